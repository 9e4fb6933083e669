"""A process instance's variables one by one, and their modification (Camunda's
``/process-instance/{id}/variables/...``): reading as for the instance (owners and admins every
case, other staff the cases they started); setting and removing, which is
runtimeService.setVariables/removeVariables, only for owners and admins (a case's data from
people comes through forms, engine.services.variables)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from engine.services import queries
from engine.services.variables import set_variables
from webui.auth import engine
from webui.engine_rest.base import STAFF, RestError, body, bp, require, user
from webui.engine_rest.instances import readable_instance
from webui.engine_rest.variables import typed, untyped, untyped_all

OPERATORS = ("owner", "admin")


def _missing(instance_id: str, name: str) -> RestError:
    return RestError(404, f"process instance variable with name {name} does not exist", "InvalidRequestException")


@bp.get("/process-instance/<instance_id>/variables/<name>")
def get_instance_variable(instance_id: str, name: str) -> Any:
    require(*STAFF)
    data = readable_instance(instance_id)["data"] or {}
    if name not in data:
        raise _missing(instance_id, name)
    return jsonify(typed(data[name]))


def _modifiable(instance_id: str) -> None:
    require(*OPERATORS)
    queries.get_case(engine(), instance_id, with_history=False)   # 404 when unknown (or another tenant's)


@bp.put("/process-instance/<instance_id>/variables/<name>")
def put_instance_variable(instance_id: str, name: str) -> Any:
    _modifiable(instance_id)
    set_variables(engine(), instance_id, {name: untyped(name, body())}, actor=user().username)
    return "", 204


@bp.delete("/process-instance/<instance_id>/variables/<name>")
def delete_instance_variable(instance_id: str, name: str) -> Any:
    _modifiable(instance_id)
    set_variables(engine(), instance_id, {}, remove=[name], actor=user().username)
    return "", 204


@bp.post("/process-instance/<instance_id>/variables")
def modify_instance_variables(instance_id: str) -> Any:
    """``{"modifications": {name: typed value}, "deletions": [name, ...]}`` in one unit of work."""
    _modifiable(instance_id)
    data = body()
    modifications = untyped_all(data.get("modifications"), "modifications")
    deletions = data.get("deletions") or []
    if not isinstance(deletions, list) or not all(isinstance(n, str) and n for n in deletions):
        raise RestError(400, "'deletions' must be a list of variable names")
    set_variables(engine(), instance_id, modifications, remove=deletions, actor=user().username)
    return "", 204


__all__ = ["delete_instance_variable", "get_instance_variable", "modify_instance_variables", "put_instance_variable"]
