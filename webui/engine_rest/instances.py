"""Process instances (our cases) and message correlation."""

from __future__ import annotations

from typing import Any, Mapping

from flask import jsonify, request, url_for

from engine.domain.errors import AmbiguousCorrelation, InvalidState, NoCorrelation
from engine.services import cases, definitions, messages, queries
from engine.services.identity import BUSINESS_KEY_SCOPE, MESSAGE_SCOPE
from engine.services.instance_query import InstanceQuery, count_open_cases, list_open_cases, parse_variables
from engine.services.read_models import CaseView
from webui.auth import engine
from webui.engine_rest.base import STAFF, RestError, camunda_tenant, body, bp, int_arg, own_tenant, require, user
from webui.engine_rest.variables import typed_all, untyped_all

ENDED = ("completed", "cancelled")


def _dto(view: Mapping[str, Any], definition_id: str | None) -> dict[str, Any]:
    return {"links": [{"method": "GET", "href": url_for("engine_rest.get_instance", instance_id=view["id"],
                                                        _external=True), "rel": "self"}],
            "id": view["id"], "definitionId": definition_id, "businessKey": view.get("business_key"),
            "caseInstanceId": None, "ended": view["status"] in ENDED, "suspended": bool(view.get("suspended")),
            "tenantId": camunda_tenant()}


def instance_dto(case_id: str) -> dict[str, Any]:
    view = queries.get_case(engine(), case_id, with_history=False)
    return _dto(view, definitions.definition_of(engine(), case_id))


def readable_instance(case_id: str) -> CaseView:
    """Owners and admins read every case; other staff the cases they started."""
    view = queries.get_case(engine(), case_id, with_history=False)
    if not user().has_role("owner", "admin") and view.get("started_by") != user().username:
        raise RestError(404, f"Process instance with id {case_id} does not exist")
    return view


def _instance_query() -> InstanceQuery:
    """Camunda's filters; clerks see the cases they started, owners and admins all."""
    args = request.args
    ids = args.get("processInstanceIds")
    try:
        variables = parse_variables(args.get("variables") or "")
    except InvalidState as exc:
        raise RestError(400, exc.message) from exc
    return InstanceQuery(process_key=args.get("processDefinitionKey") or None,
                         definition_id=args.get("processDefinitionId") or None,
                         business_key=args.get("businessKey") or None,
                         case_ids=None if ids is None else [i for i in ids.split(",") if i],
                         started_by=None if user().has_role("owner", "admin") else user().username,
                         variables=variables)


@bp.get("/process-instance")
def list_instances() -> Any:
    require(*STAFF)
    rows = list_open_cases(engine(), _instance_query(), limit=int_arg("maxResults", 100),
                           offset=int_arg("firstResult", 0, 10**9))
    return jsonify([_dto(r, r["definition_id"]) for r in rows])


@bp.get("/process-instance/count")
def count_instances() -> Any:
    require(*STAFF)
    return jsonify(count=count_open_cases(engine(), _instance_query()))


@bp.get("/process-instance/<instance_id>")
def get_instance(instance_id: str) -> Any:
    require(*STAFF)
    view = readable_instance(instance_id)
    return jsonify(_dto(view, definitions.definition_of(engine(), instance_id)))


@bp.get("/process-instance/<instance_id>/variables")
def instance_variables(instance_id: str) -> Any:
    require(*STAFF)
    return jsonify(typed_all(readable_instance(instance_id)["data"] or {}))


@bp.delete("/process-instance/<instance_id>")
def delete_instance(instance_id: str) -> Any:
    require("owner", "admin")
    queries.get_case(engine(), instance_id, with_history=False)   # 404 when unknown
    cases.cancel_case(engine(), instance_id, actor=user().username, reason="engine-rest DELETE")
    return "", 204


MISMATCH = "org.camunda.bpm.engine.MismatchingMessageCorrelationException: Cannot correlate message '{name}': {why}"
NO_MATCH = "No process definition or execution matches the parameters"


@bp.post("/message")
def correlate() -> Any:
    """Correlate a message as Camunda does: to the one subscription that matches the message
    name, ``businessKey``, ``processInstanceId``, ``correlationKeys`` (case variables) and
    ``localCorrelationKeys`` (variables local to the waiting activity instance, e.g. a
    multi-instance element variable or loopCounter), else start a case whose start event
    catches it; ``all`` delivers to every matching subscription. A message that matches
    nothing is not kept (Camunda has no buffer, unlike our /api/v1): 400 "Cannot correlate
    message", or with ``all`` an empty result; several matches without ``all``: 400."""
    require(*STAFF)
    data = body()
    name = data.get("messageName")
    if not isinstance(name, str) or not name:
        raise RestError(400, "No message name supplied")
    key = data.get("businessKey")
    if key is not None and not isinstance(key, (str, int)):
        raise RestError(400, "businessKey must be a text")
    instance = data.get("processInstanceId")
    if instance is not None and not isinstance(instance, str):
        raise RestError(400, "processInstanceId must be a text")
    own_tenant(data.get("tenantId"), "tenantId")   # correlated within the request's municipality only
    if messages.reserved_for_systems(engine(), name) and not user().has_scope(MESSAGE_SCOPE + name):
        raise RestError(403, f"The message '{name}' is reserved for back-office systems with an API token "
                             f"scoped 'message:{name}'.", "AuthorizationException")
    every = data.get("all") is True
    try:
        outcome = messages.correlate_message(
            engine(), name, None if key is None else str(key),
            untyped_all(data.get("processVariables"), "processVariables"), actor=user().username,
            key_names_new_case=user().has_scope(BUSINESS_KEY_SCOPE), to_case=instance,
            variables=untyped_all(data.get("correlationKeys"), "correlationKeys"),
            local_variables=untyped_all(data.get("localCorrelationKeys"), "localCorrelationKeys"),
            any_key=key is None, to_all=every, buffer=False)
    except (AmbiguousCorrelation, NoCorrelation) as exc:
        why = exc.message if isinstance(exc, AmbiguousCorrelation) else NO_MATCH
        raise RestError(400, MISMATCH.format(name=name, why=why), "RestException") from exc
    reached = outcome.case_ids if outcome.status in ("delivered", "started") else []
    if not reached and not every:
        raise RestError(400, MISMATCH.format(name=name, why=NO_MATCH), "RestException")
    if not data.get("resultEnabled"):
        return "", 204
    return jsonify([_result(case_id, outcome.status, data.get("variablesInResultEnabled") is True)
                    for case_id in reached])


@bp.post("/signal")
def throw_signal() -> Any:
    """Throw a signal as Camunda's ``POST /signal`` does: every case of the request's tenant
    waiting for ``name`` receives it with ``variables``, and every process with a signal start
    event for it starts a case; with ``executionId`` (a process instance id here: we have no
    executions of our own) only that case's waits, and 400 when it does not wait for it. A
    signal never crosses municipalities: ``tenantId`` may name only the request's own (403 otherwise)."""
    require(*STAFF)
    data = body()
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise RestError(400, "No signal name given")
    execution = data.get("executionId")
    if execution is not None and not isinstance(execution, str):
        raise RestError(400, "executionId must be a text")
    own_tenant(data.get("tenantId"), "tenantId")   # a signal reaches the request's municipality's cases only
    delivered = messages.broadcast_signal(engine(), name, untyped_all(data.get("variables"), "variables"),
                                          actor=user().username, only_case=execution)
    if execution is not None and not delivered:
        raise RestError(400, f"Cannot find execution with id '{execution}' waiting for signal '{name}'",
                        "RestException")
    return "", 204


def _result(case_id: str, status: str, with_variables: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"resultType": "ProcessDefinition" if status == "started" else "Execution",
                              "execution": None, "processInstance": None}
    instance = instance_dto(case_id)
    if status == "started":
        result["processInstance"] = instance
    else:
        result["execution"] = {"id": case_id, "processInstanceId": case_id, "ended": instance["ended"],
                               "tenantId": camunda_tenant()}
    if with_variables:
        result["variables"] = typed_all(queries.get_case(engine(), case_id, with_history=False)["data"] or {})
    return result
