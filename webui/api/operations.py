"""REST API for systems and operators: messages, signals and incidents.

Messages and signals change running cases on behalf of a back office, so only systems send them:
a staff account that authenticates with an API token (a browser session is refused, even an
admin's); a message a process reserves for systems needs a token scoped to it. Incidents are for
the same systems (monitoring) and for process owners and admins; stack traces only for the latter.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _

from engine.domain.errors import InvalidState
from engine.services import incidents, messages
from engine.services.identity import BUSINESS_KEY_SCOPE
from webui.api.blueprint import (
    api_user, bp, json_body, require_message_right, require_operator, require_system, sees_stack_traces,
)
from webui.auth import engine
from webui.errors import problem
from engine.services.read_models import IncidentView

MAX_TEXT = 200
STATUS_CODES = {"started": 201, "buffered": 202}     # delivered and duplicate: 200
INCIDENT_FILTERS = ("open", "resolved", "all")


def _text(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise ValueError(name)
    return value


@bp.post("/messages")
def send_message() -> Any:
    require_system()
    body = json_body()
    data = body.get("data", {})
    try:
        name = _text(body, "name", required=True)
        key, message_id = _text(body, "key"), _text(body, "message_id")
        if not isinstance(data, dict):
            raise ValueError("data")
    except ValueError as exc:
        return problem(400, _("Ungültiges Feld „%(field)s“. Erwartet: name (Text), key (Text, optional), "
                              "data (Objekt), message_id (Text, optional), Texte bis %(max)s Zeichen.",
                              field=str(exc), max=MAX_TEXT))
    assert name is not None
    require_message_right(name)
    outcome = messages.correlate_message(engine(), name, key, data, message_id=message_id, actor=api_user().username,
                                         key_names_new_case=api_user().has_scope(BUSINESS_KEY_SCOPE))
    return jsonify(status=outcome.status, case_id=outcome.case_id), STATUS_CODES.get(outcome.status, 200)


@bp.post("/signals")
def send_signal() -> Any:
    require_system()
    body = json_body()
    data = body.get("data", {})
    try:
        name = _text(body, "name", required=True)
        if not isinstance(data, dict):
            raise ValueError("data")
    except ValueError as exc:
        return problem(400, _("Ungültiges Feld „%(field)s“. Erwartet: name (Text), data (Objekt, optional).",
                              field=str(exc)))
    assert name is not None
    delivered = messages.broadcast_signal(engine(), name, data, actor=api_user().username)
    return jsonify(name=name, delivered=delivered)


@bp.get("/incidents")
def list_incidents() -> Any:
    require_operator()
    status = request.args.get("status", "open")
    if status not in INCIDENT_FILTERS:
        return problem(400, _("status muss open, resolved oder all sein."))
    return jsonify(incidents.list_incidents(engine(), status=None if status == "all" else status,
                                            case_id=request.args.get("case_id") or None))


@bp.get("/incidents/<incident_id>")
def get_incident(incident_id: str) -> Any:
    require_operator()
    return jsonify(_incident(incident_id))


def _incident(incident_id: str) -> IncidentView:
    view = incidents.get_incident(engine(), incident_id)
    if not sees_stack_traces():
        view.pop("details", None)
    return view


@bp.post("/incidents/<incident_id>/retry")
def retry_incident(incident_id: str) -> Any:
    require_operator()
    body = request.get_json(silent=True) or {}
    retries = body.get("retries", 1) if isinstance(body, dict) else None
    if not isinstance(retries, int) or isinstance(retries, bool) or not 1 <= retries <= 10:
        return problem(400, _("retries muss eine ganze Zahl von 1 bis 10 sein."))
    return _incident_action(incident_id, lambda: incidents.retry_incident(
        engine(), incident_id, actor=api_user().username, retries=retries))


@bp.post("/incidents/<incident_id>/resolve")
def resolve_incident(incident_id: str) -> Any:
    require_operator()
    body = request.get_json(silent=True) or {}
    note = body.get("note", "") if isinstance(body, dict) else None
    if not isinstance(note, str) or len(note) > 1000:
        return problem(400, _("note muss ein Text mit höchstens 1000 Zeichen sein."))
    return _incident_action(incident_id, lambda: incidents.resolve_incident(
        engine(), incident_id, actor=api_user().username, note=note))


def _incident_action(incident_id: str, action: Any) -> Any:
    incidents.get_incident(engine(), incident_id)          # 404 before anything else
    try:
        action()
    except InvalidState as exc:
        return problem(409, _(exc.user_message))
    return jsonify(_incident(incident_id))
