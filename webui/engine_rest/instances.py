"""Process instances (our cases) and message correlation."""

from __future__ import annotations

from typing import Any, Mapping

from flask import jsonify, request, url_for

from engine.domain.errors import AmbiguousCorrelation, InvalidState
from engine.services import cases, definitions, messages, queries
from engine.services.identity import BUSINESS_KEY_SCOPE, MESSAGE_SCOPE
from engine.services.instance_query import InstanceQuery, count_open_cases, list_open_cases, parse_variables
from engine.services.read_models import CaseView
from webui.auth import engine
from webui.engine_rest.base import STAFF, RestError, body, bp, int_arg, require, user
from webui.engine_rest.variables import typed_all, untyped_all

ENDED = ("completed", "cancelled")


def _dto(view: Mapping[str, Any], definition_id: str | None) -> dict[str, Any]:
    return {"links": [{"method": "GET", "href": url_for("engine_rest.get_instance", instance_id=view["id"],
                                                        _external=True), "rel": "self"}],
            "id": view["id"], "definitionId": definition_id, "businessKey": view.get("business_key"),
            "caseInstanceId": None, "ended": view["status"] in ENDED, "suspended": bool(view.get("suspended")),
            "tenantId": None}


def instance_dto(case_id: str) -> dict[str, Any]:
    view = queries.get_case(engine(), case_id, with_history=False)
    return _dto(view, definitions.definition_of(engine(), case_id))


def _readable(case_id: str) -> CaseView:
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
    view = _readable(instance_id)
    return jsonify(_dto(view, definitions.definition_of(engine(), instance_id)))


@bp.get("/process-instance/<instance_id>/variables")
def instance_variables(instance_id: str) -> Any:
    require(*STAFF)
    return jsonify(typed_all(_readable(instance_id)["data"] or {}))


@bp.delete("/process-instance/<instance_id>")
def delete_instance(instance_id: str) -> Any:
    require("owner", "admin")
    queries.get_case(engine(), instance_id, with_history=False)   # 404 when unknown
    cases.cancel_case(engine(), instance_id, actor=user().username, reason="engine-rest DELETE")
    return "", 204


MISMATCH = "org.camunda.bpm.engine.MismatchingMessageCorrelationException: Cannot correlate message '{name}': {why}"
NO_MATCH = "No process definition or execution matches the parameters"


def _message_request(data: dict[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
    name = data.get("messageName")
    if not isinstance(name, str) or not name:
        raise RestError(400, "No message name supplied")
    key = data.get("businessKey")
    keys = data.get("correlationKeys") or {}
    if not isinstance(keys, dict) or len(keys) > 1:
        raise RestError(400, "correlationKeys: at most one correlation key (amtsflow correlates on one key)")
    if key is None and keys:
        key = untyped_all(keys, "correlationKeys").popitem()[1]
    if key is not None and not isinstance(key, (str, int)):
        raise RestError(400, "businessKey must be a text")
    if messages.reserved_for_systems(engine(), name) and not user().has_scope(MESSAGE_SCOPE + name):
        raise RestError(403, f"The message '{name}' is reserved for back-office systems with an API token "
                             f"scoped 'message:{name}'.", "AuthorizationException")
    return name, None if key is None else str(key), untyped_all(data.get("processVariables"), "processVariables")


@bp.post("/message")
def correlate() -> Any:
    """Correlate a message as Camunda does: to the case waiting for it (businessKey, or the one
    correlation key the model declares), else start a case whose start event catches it. A
    message that matches nothing is not kept (Camunda has no buffer, unlike our /api/v1): 400
    "Cannot correlate message", or with ``all`` an empty result. ``all`` delivers to every
    waiting case; without it a message matching several is refused (400), as in Camunda."""
    require(*STAFF)
    data = body()
    name, key, variables = _message_request(data)
    every = data.get("all") is True

    def send(to_case: str | None = None) -> messages.MessageOutcome:
        return messages.correlate_message(engine(), name, key, variables, actor=user().username, to_case=to_case,
                                          key_names_new_case=user().has_scope(BUSINESS_KEY_SCOPE), buffer=False)

    try:
        waiting = messages.waiting_cases(engine(), name, key) if every else []
        outcomes = [send(case_id) for case_id in waiting] or [send()]
    except AmbiguousCorrelation as exc:
        raise RestError(400, MISMATCH.format(name=name, why=exc.message), "RestException") from exc
    outcomes = [o for o in outcomes if o.status in ("delivered", "started")]
    if not outcomes and not every:
        raise RestError(400, MISMATCH.format(name=name, why=NO_MATCH), "RestException")
    if not data.get("resultEnabled"):
        return "", 204
    return jsonify([_result(outcome, data.get("variablesInResultEnabled") is True) for outcome in outcomes])


def _result(outcome: messages.MessageOutcome, with_variables: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"resultType": "ProcessDefinition" if outcome.status == "started" else "Execution",
                              "execution": None, "processInstance": None}
    case_id = str(outcome.case_id)
    instance = instance_dto(case_id)
    if outcome.status == "started":
        result["processInstance"] = instance
    else:
        result["execution"] = {"id": case_id, "processInstanceId": case_id, "ended": instance["ended"],
                               "tenantId": None}
    if with_variables:
        result["variables"] = typed_all(queries.get_case(engine(), case_id, with_history=False)["data"] or {})
    return result
