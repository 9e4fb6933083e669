"""REST API /api/v1: Bearer tokens for systems, the session for the web UI; JSON errors."""

from __future__ import annotations

from typing import Any, Callable

from flask import Blueprint, abort, current_app, g, jsonify, request, url_for

from engine.domain.errors import AmtsflowError, DeploymentError, FormValidationError, NotFound
from engine.services import cases, messages, queries, task_pages
from engine.services.deploy import deploy
from engine.services.identity import BUSINESS_KEY_SCOPE, MESSAGE_SCOPE, User
from webui import casework
from webui.api.openapi import document
from webui.auth import engine
from webui.errors import problem, status_of
from webui.studio.upload import Limits, source_files

bp = Blueprint("api", __name__, url_prefix="/api/v1")
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
DEFAULT_PAGE = 100


# No sign-in: the OpenAPI document, and callbacks that authenticate themselves by signature.
PUBLIC_ENDPOINTS = {"api.openapi", "api.payment_callback", "api.fitconnect_callback"}
SYSTEM_ROLES = ("clerk", "owner", "admin")   # staff accounts; a system holds an API token of one


@bp.before_request
def _authenticate() -> Any:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.get("auth") == "invalid-token" or g.get("user") is None:
        return problem(401, "Bitte melden Sie sich an oder senden Sie ein gültiges Token (Authorization: Bearer).")
    if g.auth == "session" and request.method in UNSAFE:
        current_app.extensions["amtsflow_csrf"].protect()   # cookies ride along: require the CSRF header
    return None


@bp.errorhandler(AmtsflowError)
def _domain_error(exc: AmtsflowError) -> Any:
    extra: dict[str, Any] = {}
    if isinstance(exc, FormValidationError):
        extra["errors"] = exc.field_errors
    if isinstance(exc, DeploymentError):
        extra["problems"] = [str(p) for p in exc.problems]
    return problem(status_of(exc), exc.user_message, **extra)


def _user() -> User:
    return g.user  # type: ignore[no-any-return]


def _roles(*roles: str) -> None:
    if not _user().has_role(*roles):
        abort(403)


def require_system() -> None:
    """Systems only: a staff account authenticated with an API token (no browser session)."""
    if g.get("auth") != "token" or not _user().has_role(*SYSTEM_ROLES):
        abort(403)


def require_message_right(name: str) -> None:
    """A message a process reserves for systems (service.toml ``nachrichten_nur_systeme``: a
    payment, a register entry) needs a token with the scope ``message:<name>``."""
    if g.get("auth") == "token" and _user().has_scope(MESSAGE_SCOPE + name):
        return
    if messages.reserved_for_systems(engine(), name):
        abort(problem(403, f"Die Nachricht „{name}“ dürfen nur Fachverfahren mit einem dafür berechtigten "
                           "Systemtoken senden.")[0])


def sees_stack_traces() -> bool:
    """Stack traces of incidents: process owners and admins only (a clerk's token sees the message)."""
    return _user().has_role("owner", "admin")


def require_operator() -> None:
    """Incidents: systems with an API token, and process owners and admins."""
    if g.get("auth") == "token" and _user().has_role(*SYSTEM_ROLES):
        return
    _roles("owner", "admin")


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(problem(400, "Der Inhalt muss ein JSON-Objekt sein (Content-Type: application/json).")[0])
    return body


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(document())


@bp.post("/deployments")
def create_deployment() -> Any:
    _roles("owner")
    uploads = [(f.filename or "upload", f.read()) for f in request.files.getlist("files")]
    limits = Limits(current_app.config["AMTSFLOW_MAX_ZIP_ENTRIES"], current_app.config["AMTSFLOW_MAX_ZIP_BYTES"])
    result = deploy(engine(), source_files(uploads, limits), actor=_user().username)
    return jsonify(processes=[{"key": p.key, "version": p.version, "definition_id": p.definition_id,
                               "created": p.created} for p in result.processes],
                   warnings=[str(w) for w in result.warnings]), 201


@bp.get("/process-definitions")
def process_definitions() -> Any:
    return jsonify(queries.list_definitions(engine()))


@bp.post("/cases")
def create_case() -> Any:
    _roles("citizen", "clerk")
    body = _json_body()
    key, data, business_key = body.get("key"), body.get("data", {}), body.get("business_key")
    if not isinstance(key, str) or not isinstance(data, dict) or not isinstance(business_key, (str, type(None))):
        return problem(400, "Erwartet: key (Text), data (Objekt), business_key (Text, optional).")
    if business_key is not None and not (g.auth == "token" and _user().has_scope(BUSINESS_KEY_SCOPE)):
        return problem(403, "Das Aktenzeichen vergibt die Verwaltung beim Start selbst. Vorgeben dürfen es nur "
                            "Fachverfahren mit einem dafür berechtigten Systemtoken; bitte lassen Sie "
                            "business_key weg.")
    case_id = cases.start_case(engine(), key, data, business_key=business_key, actor=_user().username)
    return jsonify(id=case_id), 201


def _visible_case(case_id: str) -> dict[str, Any]:
    user = _user()
    try:
        view = queries.get_case(engine(), case_id)
    except NotFound:
        abort(404)
    if casework.started_by(view) == user.username:   # whoever started a case may follow it
        return view
    if user.has_role(*casework.STAFF_ROLES):
        related = queries.list_tasks(engine(), case_id=case_id) + \
            queries.list_tasks(engine(), case_id=case_id, state="completed")
        if any(casework.may_work_on(user, t) for t in related):
            return view
    abort(404)


@bp.get("/cases/<case_id>")
def get_case(case_id: str) -> Any:
    return jsonify(_visible_case(case_id))


@bp.get("/tasks")
def list_tasks() -> Any:
    """One page of the open tasks of my groups and mine; X-Total-Count says how many there are,
    Link rel="next" (RFC 8288) points at the next page while there is one."""
    _roles(*casework.STAFF_ROLES)
    user = _user()
    try:
        limit = int(request.args.get("limit", DEFAULT_PAGE))
    except ValueError:
        return problem(400, f"limit muss eine ganze Zahl zwischen 1 und {task_pages.MAX_PAGE} sein.")
    filters = {name: request.args.get(name) or None
               for name in ("case_id", "process_key", "q", "business_key", "field")}
    field = None
    if filters["field"]:       # name:value, an exact match on a searchable case field (indexed)
        name, sep, value = filters["field"].partition(":")
        if not sep or not name:
            return problem(400, "field erwartet Name:Wert eines Suchfelds, z. B. field=name:Erika Mustermann.")
        field = (name, value)
    page = task_pages.task_page(engine(), groups=casework.work_groups(user), user=user.username, case_id=filters["case_id"],
                                process_key=filters["process_key"], search=filters["q"],
                                business_key=filters["business_key"], field=field,
                                cursor=request.args.get("cursor") or None, limit=limit)
    response = jsonify(page.items)
    response.headers["X-Total-Count"] = str(page.total)
    if page.total_capped:   # counting stopped: at least this many
        response.headers["X-Total-Count-Exact"] = "false"
    if page.next_cursor:
        following = url_for("api.list_tasks", _external=True, limit=limit, cursor=page.next_cursor,
                            **{k: v for k, v in filters.items() if v})
        response.headers["Link"] = f'<{following}>; rel="next"'
    return response


def _task_for(task_id: str, allow_citizen: bool = False) -> dict[str, Any]:
    try:
        task = queries.get_task(engine(), task_id)
    except NotFound:
        abort(404)
    user = _user()
    if casework.may_work_on(user, task):
        return task
    if allow_citizen and user.has_role("citizen") and casework.CITIZEN_GROUP in task["candidate_groups"]:
        if casework.started_by(queries.get_case(engine(), task["case_id"])) == user.username:
            return task
    abort(404)


def _task_action(task_id: str, action: Callable[[], None]) -> Any:
    _task_for(task_id)
    action()
    return jsonify(queries.get_task(engine(), task_id))


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Any:
    return _task_action(task_id, lambda: cases.claim(engine(), task_id, _user().username))


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> Any:
    return _task_action(task_id, lambda: cases.unclaim(engine(), task_id, _user().username))


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> Any:
    _task_for(task_id, allow_citizen=True)
    data = _json_body().get("data", {})
    if not isinstance(data, dict):
        return problem(400, "data muss ein JSON-Objekt sein.")
    cases.complete_task(engine(), task_id, data, actor=_user().username)
    return jsonify(queries.get_task(engine(), task_id))


from webui.api import callbacks, operations  # noqa: E402,F401  (their routes live on bp)
