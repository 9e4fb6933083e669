"""REST API /api/v1: Bearer tokens for systems, the session for the web UI; JSON errors."""

from __future__ import annotations

import math
from datetime import date
from typing import Any, Callable

from flask import current_app, g, jsonify, request, url_for
from flask_babel import gettext as _

from engine.domain.errors import InvalidState, NotFound
from engine.services import (cases, follow_ups, inbox_orders, queries, task_drafts, task_pages, task_summaries,
                             task_wait, withdrawals)
from engine.services.claim_next import claim_next as claim_next_task
from engine.services.deploy import deploy
from engine.services.identity import BUSINESS_KEY_SCOPE
from webui import casework
from webui.api.blueprint import SYSTEM_ROLES, api_user, bp, json_body, not_found, require_api_roles
from webui.api.openapi import document
from webui.auth import engine
from webui.engine_rest.long_polls import gate
from webui.errors import problem
from webui.studio.upload import Limits, source_files
from engine.services.read_models import CaseView, TaskView
from engine.tenancy import tenant_or_none

DEFAULT_PAGE = 100


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(document())


@bp.post("/deployments")
def create_deployment() -> Any:
    require_api_roles("owner")
    uploads = [(f.filename or "upload", f.read()) for f in request.files.getlist("files")]
    limits = Limits(current_app.config["AMTSFLOW_MAX_ZIP_ENTRIES"], current_app.config["AMTSFLOW_MAX_ZIP_BYTES"])
    result = deploy(engine(), source_files(uploads, limits), actor=api_user().username)
    return jsonify(processes=[{"key": p.key, "version": p.version, "definition_id": p.definition_id,
                               "created": p.created} for p in result.processes],
                   warnings=[str(w) for w in result.warnings]), 201


@bp.get("/process-definitions")
def process_definitions() -> Any:
    return jsonify(queries.list_definitions(engine()))


@bp.post("/cases")
def create_case() -> Any:
    require_api_roles("citizen", "clerk")
    body = json_body()
    key, data, business_key = body.get("key"), body.get("data", {}), body.get("business_key")
    if not isinstance(key, str) or not isinstance(data, dict) or not isinstance(business_key, (str, type(None))):
        return problem(400, _("Erwartet: key (Text), data (Objekt), business_key (Text, optional)."))
    if business_key is not None and not (g.auth == "token" and api_user().has_scope(BUSINESS_KEY_SCOPE)):
        return problem(403, _("Das Aktenzeichen vergibt die Verwaltung beim Start selbst. Vorgeben dürfen es nur "
                              "Fachverfahren mit einem dafür berechtigten Systemtoken; bitte lassen Sie "
                              "business_key weg."), required_roles=list(SYSTEM_ROLES))
    case_id = cases.start_case(engine(), key, data, business_key=business_key, actor=api_user().username)
    return jsonify(id=case_id), 201


@bp.post("/conditions")
def evaluate_conditions() -> Any:
    """Start a case at every conditional start event whose condition holds over ``data`` (Camunda's
    evaluateStartConditions); who may start cases may ask, with the same rules for data and key."""
    require_api_roles("citizen", "clerk")
    body = json_body()
    data, key, business_key = body.get("data", {}), body.get("process_key"), body.get("business_key")
    if not isinstance(data, dict) or not isinstance(key, (str, type(None))) \
            or not isinstance(business_key, (str, type(None))):
        return problem(400, _("Erwartet: data (Objekt), process_key (Text, optional), business_key (Text, optional)."))
    if business_key is not None and not (g.auth == "token" and api_user().has_scope(BUSINESS_KEY_SCOPE)):
        return problem(403, _("Das Aktenzeichen vergibt die Verwaltung beim Start selbst. Vorgeben dürfen es nur "
                              "Fachverfahren mit einem dafür berechtigten Systemtoken; bitte lassen Sie "
                              "business_key weg."), required_roles=list(SYSTEM_ROLES))
    from engine.services.condition_starts import evaluate_start_conditions

    started = evaluate_start_conditions(engine(), data, process_key=key, business_key=business_key,
                                        actor=api_user().username)
    return jsonify(ids=started), 201 if started else 200


def _visible_case(case_id: str, *, with_history: bool = True) -> CaseView:
    try:
        view = queries.get_case(engine(), case_id, with_history=with_history)
    except NotFound:
        not_found("case", case_id)
    if _may_follow(case_id, casework.started_by(view)):
        return view
    not_found("case", case_id)


def _check_visible(case_id: str) -> None:
    """As :func:`_visible_case`, without reading the case's view: who started it is enough."""
    try:
        started_by = queries.case_starter(engine(), case_id)
    except NotFound:
        not_found("case", case_id)
    if not _may_follow(case_id, started_by):
        not_found("case", case_id)


def _may_follow(case_id: str, started_by: str | None) -> bool:
    """Whoever started a case may follow it; staff who may work on one of its tasks too."""
    user = api_user()
    if started_by == user.username:
        return True
    return user.has_role(*casework.STAFF_ROLES) and casework.clerk_sees_case(engine(), user, case_id)


@bp.get("/cases/<case_id>")
def get_case(case_id: str) -> Any:
    return jsonify(_visible_case(case_id))


def _own_case(case_id: str) -> None:
    """The case the signed-in citizen started (else 404, as for a case that does not exist)."""
    require_api_roles("citizen")
    try:
        started_by = queries.case_starter(engine(), case_id)
    except NotFound:
        not_found("case", case_id)
    if started_by != api_user().username:
        not_found("case", case_id)


@bp.get("/cases/<case_id>/withdrawal")
def withdrawal(case_id: str) -> Any:
    """Whether the applicant may withdraw the application now ("Antrag zurücknehmen")."""
    _own_case(case_id)
    return jsonify(possible=withdrawals.withdrawal_message(engine(), case_id) is not None,
                   reason_max=withdrawals.REASON_MAX)


@bp.post("/cases/<case_id>/withdrawal")
def withdraw(case_id: str) -> Any:
    """The applicant withdraws the application: {"reason": "..."} (optional). 409 when the
    process does not take a withdrawal now (decided, or at a step without one)."""
    _own_case(case_id)
    body = request.get_json(silent=True) if request.content_length else {}
    reason = body.get("reason", "") if isinstance(body, dict) else None
    if not isinstance(reason, str):
        return problem(400, _("Erwartet: reason (Text, optional)."))
    try:
        withdrawals.withdraw(engine(), case_id, api_user().username, reason,
                             case_link=url_for("inbox.case", case_id=case_id, _external=True))
    except InvalidState as exc:
        return problem(409, exc.user_message)
    return "", 204


@bp.get("/cases/<case_id>/tasks")
def case_tasks(case_id: str) -> Any:
    """The case's open tasks (whoever may read the case sees them, as in its view). ``wait=N``:
    when it has none and has not ended, wait up to N seconds (at most MAX_WAIT_SECONDS) for
    one; the answer comes as soon as the task is written (by this or another process). Waits
    count against the long-poll caps of engine-rest (AMTSFLOW_LONG_POLLS_MAX in all and
    _PER_ACCOUNT per account, webui/engine_rest/long_polls.py): beyond them it answers at once."""
    _check_visible(case_id)
    try:
        wait = float(request.args.get("wait", "0"))
    except ValueError:
        wait = -1.0
    if not math.isfinite(wait) or wait < 0:
        return problem(400, _("wait erwartet eine Wartezeit in Sekunden (0 bis %(max)s).",
                              max=int(task_wait.MAX_WAIT_SECONDS)))
    polls = gate()   # the same bounds as engine-rest's long polls: each wait holds a request thread
    account = f"{tenant_or_none() or '-'}:{api_user().username}"
    if wait <= 0 or not polls.enter(account):             # beyond the caps: answer now
        return jsonify(task_wait.wait_for_tasks(engine(), case_id, 0.0))
    try:
        return jsonify(task_wait.wait_for_tasks(engine(), case_id, wait))
    finally:
        polls.leave(account)


@bp.get("/tasks")
def list_tasks() -> Any:
    """One page of the open tasks of my groups and mine; X-Total-Count says how many there are,
    Link rel="next" (RFC 8288) points at the next page while there is one."""
    require_api_roles(*casework.STAFF_ROLES)
    user = api_user()
    try:
        limit = int(request.args.get("limit", DEFAULT_PAGE))
    except ValueError:
        return problem(400, _("limit muss eine ganze Zahl zwischen 1 und %(max)s sein.", max=task_pages.MAX_PAGE))
    filters = {name: request.args.get(name) or None
               for name in ("case_id", "process_key", "q", "business_key", "field", "hide_deferred")}
    if filters["hide_deferred"] not in (None, "true", "false"):
        return problem(400, _("hide_deferred erwartet true oder false."))
    hide_deferred = filters["hide_deferred"] == "true"
    field = None
    if filters["field"]:       # name:value, an exact match on a searchable case field (indexed)
        name, sep, value = filters["field"].partition(":")
        if not sep or not name:
            return problem(400, _("field erwartet Name:Wert eines Suchfelds, z. B. field=name:Erika Mustermann."))
        field = (name, value)
    page = task_pages.task_page(engine(), groups=casework.work_groups(user), user=user.username, viewer=user.username,
                                case_id=filters["case_id"],
                                process_key=filters["process_key"], search=filters["q"],
                                business_key=filters["business_key"], field=field,
                                cursor=request.args.get("cursor") or None, limit=limit,
                                order=request.args.get("sort") or "due", hide_deferred=hide_deferred)
    response = jsonify(task_summaries.add_summaries(engine(), page.items))
    response.headers["X-Total-Count"] = str(page.total)
    if page.total_capped:   # counting stopped: at least this many
        response.headers["X-Total-Count-Exact"] = "false"
    if page.next_cursor:
        following = url_for("api.list_tasks", _external=True, limit=limit, cursor=page.next_cursor,
                            **{k: v for k, v in filters.items() if v},
                            **({"sort": request.args["sort"]} if request.args.get("sort") else {}))
        response.headers["Link"] = f'<{following}>; rel="next"'
    return response


def _task_for(task_id: str) -> TaskView:
    try:
        task = queries.get_task(engine(), task_id)
    except NotFound:
        not_found("task", task_id)
    if casework.may_work_on(api_user(), task):
        return task
    not_found("task", task_id)


def _may_complete(work_item: Any, case_started_by: str | None) -> bool:
    """Clerks of the task's groups; citizens their own cases' tasks for citizens."""
    user, task = api_user(), queries.task_view(work_item)
    if casework.may_work_on(user, task):
        return True
    return (user.has_role("citizen") and casework.CITIZEN_GROUP in task["candidate_groups"]
            and case_started_by == user.username)


def _task_action(task_id: str, action: Callable[[], None]) -> Any:
    _task_for(task_id)
    action()
    return jsonify(queries.get_task(engine(), task_id))


@bp.post("/tasks/claim-next")
def claim_next() -> Any:
    """The first free task of GET /tasks's list with the same filters and order, claimed; 204 if none."""
    require_api_roles(*casework.STAFF_ROLES)
    user = api_user()
    order = request.args.get("sort") or "due"
    if order not in inbox_orders.ORDERS:
        return problem(400, _("sort erwartet due, priority oder age."))
    taken = claim_next_task(engine(), user.username, casework.work_groups(user),
                            process_key=request.args.get("process_key") or None, search=request.args.get("q") or None,
                            order=order)
    if taken is None:
        return "", 204
    return jsonify(queries.get_task(engine(), taken["id"]))


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Any:
    return _task_action(task_id, lambda: cases.claim(engine(), task_id, api_user().username))


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> Any:
    return _task_action(task_id, lambda: cases.unclaim(engine(), task_id, api_user().username))


def _draft_json(draft: task_drafts.Draft) -> dict[str, Any]:
    return {"fields": draft.fields, "saved_by": draft.saved_by, "saved_at": draft.saved_at.isoformat()}


@bp.get("/tasks/<task_id>/draft")
def get_draft(task_id: str) -> Any:
    """The clerk's unfinished form of the task ("Zwischenspeichern"), as typed."""
    require_api_roles(*casework.STAFF_ROLES)
    _task_for(task_id)
    draft = task_drafts.get(engine(), task_id)
    if draft is None:
        return problem(404, _("Zu dieser Aufgabe ist kein Zwischenstand gespeichert."))
    return jsonify(_draft_json(draft))


@bp.put("/tasks/<task_id>/draft")
def put_draft(task_id: str) -> Any:
    """Save the form's fields as typed, unvalidated (a free task is claimed for the caller)."""
    require_api_roles(*casework.STAFF_ROLES)
    _task_for(task_id)
    fields = json_body().get("fields")
    if not isinstance(fields, dict):
        return problem(400, _("fields muss ein JSON-Objekt sein (Feldpfad -> Text oder Liste von Texten)."))
    return jsonify(_draft_json(task_drafts.save(engine(), task_id, fields, api_user().username)))


@bp.delete("/tasks/<task_id>/draft")
def delete_draft(task_id: str) -> Any:
    require_api_roles(*casework.STAFF_ROLES)
    _task_for(task_id)
    task_drafts.discard(engine(), task_id, api_user().username)
    return "", 204


@bp.put("/tasks/<task_id>/follow-up")
def put_follow_up(task_id: str) -> Any:
    """Wiedervorlage: {"date": "2026-12-14"} (the day begins in the installation's time zone) or null."""
    require_api_roles(*casework.STAFF_ROLES)
    _task_for(task_id)
    text = json_body().get("date")
    if text is not None and not isinstance(text, str):
        return problem(400, _("date muss ein Tag (JJJJ-MM-TT) oder null sein."))
    try:
        day = date.fromisoformat(text) if text is not None else None
    except ValueError:
        return problem(400, _("date muss ein Tag (JJJJ-MM-TT) oder null sein."))
    follow_ups.set_follow_up(engine(), task_id, day, api_user().username)
    return jsonify(queries.get_task(engine(), task_id))


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> Any:
    """Who may complete the task is decided on the command's own read of it, in its transaction
    (one read of the task in all; its answer is the task, completed)."""
    data = json_body().get("data", {})
    if not isinstance(data, dict):
        return problem(400, _("data muss ein JSON-Objekt sein."))
    try:
        done = cases.complete_task(engine(), task_id, data, actor=api_user().username, may_complete=_may_complete)
    except NotFound:
        not_found("task", task_id)
    return jsonify(queries.task_view(done))

