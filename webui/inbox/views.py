"""Clerk inbox: my tasks and my groups' tasks, claim/unclaim/delegate, task forms, case view."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from flask_babel import gettext as _

from engine.domain.errors import AmtsflowError, FormValidationError, InvalidInput, NotFound
from engine.services import (cases, comments, documents, follow_ups, identity, queries, task_access, task_context,
                             task_drafts, task_pages, task_summaries)
from webui import case_data, casework, markdown
from webui.auth import current_user, engine, require_roles
from webui.forms.fields import flatten
from webui.forms.parse import parse_form
from webui.forms.submit import form_view, merge, parse_request
from engine.services import kpis
from engine.services.claim_next import claim_next as claim_next_task
from engine.services.read_models import CaseView, TaskView

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
PAGE_SIZE = 50
ORDERS = {"faelligkeit": "due", "prioritaet": "priority", "alter": "age"}
ORDER_LABELS = {"faelligkeit": "Fälligkeit (zuerst fällig)", "prioritaet": "Priorität (höchste zuerst)",
                "alter": "Alter (älteste zuerst)"}
DUE_FILTERS = {"overdue": "überfällig", "today": "heute fällig", "week": "in den nächsten 7 Tagen fällig"}
DEFERRED_FILTERS = {"ausblenden": "ohne zurückgestellte (Wiedervorlage noch nicht erreicht)"}


@bp.before_request
@require_roles(*casework.STAFF_ROLES)
def _clerks_only() -> None:
    return None


def _user() -> Any:
    user = current_user()
    assert user is not None
    return user


@bp.get("/")
def index() -> Any:
    user = _user()
    view = request.args.get("ansicht", "gruppen")
    process, due, search = request.args.get("prozess") or None, request.args.get("faellig"), request.args.get("q")
    deferred = request.args.get("wiedervorlage") if request.args.get("wiedervorlage") in DEFERRED_FILTERS else None
    sort = request.args.get("sortierung") or ""
    order = sort if sort in ORDERS else "faelligkeit"
    due_from, due_until = _due_bounds(due)
    mine = {"assignee": user.username} if view == "meine" else {"groups": casework.work_groups(user),
                                                                 "user": user.username}
    mine["viewer"] = user.username    # four-eyes: not the tasks this person may not take
    try:
        page = task_pages.task_page(engine(), process_key=process, search=search or None, due_from=due_from,
                                    due_until=due_until, cursor=request.args.get("cursor") or None,
                                    limit=PAGE_SIZE, order=ORDERS[order], hide_deferred=deferred == "ausblenden",
                                    **mine)
    except InvalidInput as exc:          # a stale or edited cursor: start on the first page
        flash(exc.user_message, "warning")
        return redirect(url_for("inbox.index", **_filters(view, process, due, search, order, deferred)))
    start = request.args.get("ab", type=int) or 1 if request.args.get("cursor") else 1
    services = casework.latest_services(engine())
    filters = _filters(view, process, due, search, order, deferred)
    return render_template("inbox/index.html", tasks=task_summaries.add_summaries(engine(), page.items),
                           drafted=task_drafts.with_drafts(engine(), [t["id"] for t in page.items]),
                           total=page.total, total_capped=page.total_capped, next_cursor=page.next_cursor,
                           paged=bool(request.args.get("cursor")), filters=filters, view=view, services=services,
                           names={s.key: s.name for s in services}, process=process, due=due, search=search or "",
                           due_filters=DUE_FILTERS, order=order, orders=ORDER_LABELS, start=max(start, 1),
                           deferred=deferred, deferred_filters=DEFERRED_FILTERS,
                           now=engine().clock.now().isoformat())


def _filters(view: str, process: str | None, due: str | None, search: str | None, order: str,
             deferred: str | None = None) -> dict[str, Any]:
    """The list's settings that every link of the list keeps (the default order is left out)."""
    return {k: v for k, v in (("ansicht", view), ("prozess", process), ("faellig", due), ("q", search),
                              ("sortierung", None if order == "faelligkeit" else order),
                              ("wiedervorlage", deferred)) if v}


def _due_bounds(due: str | None) -> tuple[datetime | None, datetime | None]:
    """The due filter as [from, until) bounds for the query."""
    now = engine().clock.now()
    if due == "overdue":
        return None, now
    if due == "today":
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=1)
    if due == "week":
        return None, now + timedelta(days=7)
    return None, None


def _task(task_id: str) -> TaskView:
    try:
        item = queries.get_task(engine(), task_id)
    except NotFound:
        abort(404)
    if item["state"] != "open" or not casework.may_work_on(_user(), item):
        abort(404)
    return item


@bp.route("/aufgaben/<task_id>", methods=["GET", "POST"])
def task(task_id: str) -> Any:
    item = _task(task_id)
    view = queries.get_case(engine(), item["case_id"])
    form = casework.task_form(engine(), task_id)
    schema, ui = (form.schema, form.ui_schema) if form else (None, None)
    if _excluded(item):      # four-eyes principle: shown why, no form, no claim
        return _task_page(item, view, None, 200 if request.method == "GET" else 403)
    if request.method == "GET":
        draft = task_drafts.get(engine(), task_id) if schema else None
        values = {**flatten(view["data"]), **(draft.fields if draft else {})} if schema else {}
        return _task_page(item, view, form_view(schema, ui, values), draft=draft)
    if request.form.get("aktion") == "zwischenspeichern" and schema:
        return _save_draft(item, schema, ui)
    parsed = parse_request(schema, ui)
    if not parsed.errors:
        try:
            cases.complete_task(engine(), task_id, parsed.data, actor=_user().username, uploads=parsed.uploads)
            flash(_("Die Aufgabe „%(name)s“ ist erledigt.", name=item["name"]), "success")
            return redirect(url_for("inbox.index"))
        except FormValidationError as exc:
            merge(parsed, exc.field_errors)
        except AmtsflowError as exc:
            parsed.errors["_form"] = [exc.user_message]
    return _task_page(item, view, form_view(schema, ui, parsed.raw, parsed.errors), 400)


def _save_draft(item: TaskView, schema: Any, ui: Any) -> Any:
    """"Zwischenspeichern": the fields as typed, unvalidated; files are not kept (the page says so)."""
    parsed = parse_form(schema, ui, request.form, MultiDict(), current_app.config["AMTSFLOW_MAX_UPLOAD_BYTES"])
    try:
        task_drafts.save(engine(), item["id"], parsed.raw, _user().username)
    except AmtsflowError as exc:
        flash(exc.user_message, "danger")
        return redirect(url_for("inbox.task", task_id=item["id"]), 303)
    flash(_("Ihr Zwischenstand ist gespeichert. Die Aufgabe ist noch nicht abgeschlossen."), "success")
    return redirect(url_for("inbox.task", task_id=item["id"]), 303)


@bp.post("/aufgaben/<task_id>/wiedervorlage")
def follow_up(task_id: str) -> Any:
    """"Wiedervorlage": the day the task should come up again (or none)."""
    item = _task(task_id)
    if _excluded(item):
        abort(403)
    try:
        day = None if request.form.get("aktion") == "entfernen" else _day(request.form.get("datum", ""))
        follow_ups.set_follow_up(engine(), task_id, day, _user().username)
        flash(_("Die Wiedervorlage ist entfernt.") if day is None else
              _("Die Aufgabe liegt auf Wiedervorlage zum %(day)s.", day=day.strftime("%d.%m.%Y")), "success")
    except AmtsflowError as exc:
        flash(exc.user_message, "danger")
    return redirect(url_for("inbox.task", task_id=task_id), 303)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"follow-up day {text[:20]!r}",
                           user_message=_("Bitte geben Sie einen Tag an, zum Beispiel 14.12.2026.")) from None


@bp.post("/aufgaben/<task_id>/zwischenstand-verwerfen")
def discard_draft(task_id: str) -> Any:
    item = _task(task_id)
    if _excluded(item):
        abort(403)
    try:
        if task_drafts.discard(engine(), item["id"], _user().username):
            flash(_("Der Zwischenstand wurde verworfen."), "success")
    except AmtsflowError as exc:
        flash(exc.user_message, "danger")
    return redirect(url_for("inbox.task", task_id=task_id), 303)


def _task_page(item: TaskView, view: CaseView, fv: Any, status: int = 200,
               draft: task_drafts.Draft | None = None) -> Any:
    docs = documents.list_for_case(engine(), view["id"])
    context = task_context.task_context(engine(), item)
    return render_template("inbox/task.html", task=item, case=view, form_view=fv, documents=docs,
                           display=_display(context, view, docs),
                           instructions=[markdown.render(text) for text in context.instructions],
                           excluded=fv is None, draft=draft, today=_local(engine().clock.now()).date().isoformat(),
                           follow_up_day=_local(datetime.fromisoformat(item["follow_up"])).date().isoformat()
                           if item["follow_up"] else "",
                           clerks=[] if fv is None else _colleagues(item)), status


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(engine().settings.timezone))


def _display(context: Any, view: CaseView, docs: list[Any]) -> case_data.CaseDisplay:
    return case_data.build(context, view["data"], {d.id: d.filename for d in docs},
                           lambda doc_id: url_for("inbox.document", case_id=view["id"], document_id=doc_id))


def _excluded(item: TaskView) -> bool:
    return _user().username in task_access.excluded_for(engine(), item["id"])


def _colleagues(item: TaskView) -> list[Any]:
    excluded = task_access.excluded_for(engine(), item["id"])
    return [u for u in identity.list_users(engine()) if u.active and u.has_role(*casework.STAFF_ROLES)
            and set(casework.work_groups(u)) & set(item["candidate_groups"]) and u.username != _user().username
            and u.username not in excluded]


@bp.post("/naechste-aufgabe")
def claim_next() -> Any:
    """Take the first free task of the list as the clerk sees it (groups, filters, order)."""
    user = _user()
    process, due, search = request.form.get("prozess") or None, request.form.get("faellig"), request.form.get("q")
    sort = request.form.get("sortierung") or ""
    order = sort if sort in ORDERS else "faelligkeit"
    due_from, due_until = _due_bounds(due)
    taken = claim_next_task(engine(), user.username, casework.work_groups(user), process_key=process,
                            search=search or None, due_from=due_from, due_until=due_until, order=ORDERS[order])
    if taken is None:
        flash(_("In Ihren Gruppen ist keine freie Aufgabe (mit diesen Filtern) übrig."), "info")
        return redirect(url_for("inbox.index", **_filters("gruppen", process, due, search, order)), 303)
    flash(_("Sie haben die Aufgabe übernommen."), "success")
    return redirect(url_for("inbox.task", task_id=taken["id"]), 303)


@bp.post("/aufgaben/<task_id>/uebernehmen")
def claim(task_id: str) -> Any:
    return _assign(task_id, lambda: cases.claim(engine(), task_id, _user().username),
                   _("Sie haben die Aufgabe übernommen."))


@bp.post("/aufgaben/<task_id>/zurueckgeben")
def unclaim(task_id: str) -> Any:
    return _assign(task_id, lambda: cases.unclaim(engine(), task_id, _user().username),
                   _("Sie haben die Aufgabe zurückgegeben."))


@bp.post("/aufgaben/<task_id>/weitergeben")
def delegate(task_id: str) -> Any:
    item = _task(task_id)
    target = request.form.get("to_user", "")
    if target not in {u.username for u in _colleagues(item)}:
        flash(_("Bitte wählen Sie eine Person aus der zuständigen Gruppe."), "danger")
        return redirect(url_for("inbox.task", task_id=task_id)), 303
    link = url_for("inbox.task", task_id=task_id, _external=True)     # for the colleague's mail
    return _assign(task_id, lambda: cases.delegate(engine(), task_id, target, _user().username, link=link),
                   _("Die Aufgabe wurde an %(name)s weitergegeben.", name=target))


def _assign(task_id: str, action: Any, done: str) -> Any:
    _task(task_id)
    try:
        action()
        flash(done, "success")
    except AmtsflowError as exc:
        flash(exc.user_message, "danger")
    return redirect(request.form.get("back") == "liste" and url_for("inbox.index")
                    or url_for("inbox.task", task_id=task_id), 303)


def _case(case_id: str) -> CaseView:
    """A case is visible to a clerk as casework.clerk_sees_case says."""
    try:
        view = queries.get_case(engine(), case_id)
    except NotFound:
        abort(404)
    if not casework.clerk_sees_case(engine(), _user(), case_id):
        abort(404)
    return view


@bp.get("/vorgaenge/<case_id>")
def case(case_id: str) -> Any:
    view = _case(case_id)
    docs = documents.list_for_case(engine(), case_id)
    service_name = next((s.name for s in casework.latest_services(engine()) if s.key == view["process_key"]),
                        view["process_key"])
    return render_template("inbox/case.html", case=view, service_name=service_name,
                           timeline=casework.timeline(engine(), view),
                           display=_display(task_context.case_context(engine(), view), view, docs),
                           documents=docs,
                           comments=comments.list_comments(engine(), case_id),
                           kinds={"attachment": _("Anlage"), "decision": _("Bescheid")})


@bp.post("/vorgaenge/<case_id>/kommentare")
def comment(case_id: str) -> Any:
    _case(case_id)
    try:
        comments.add_comment(engine(), case_id, _user().username, request.form.get("text", ""))
        flash(_("Der Kommentar wurde gespeichert."), "success")
    except AmtsflowError as exc:
        flash(exc.user_message, "danger")
    return redirect(url_for("inbox.case", case_id=case_id) + "#kommentare", 303)


@bp.post("/vorgaenge/<case_id>/dokumente")
def upload(case_id: str) -> Any:
    _case(case_id)
    file = request.files.get("file")
    kind = request.form.get("kind", "attachment")
    if file is None or not file.filename:
        flash(_("Bitte wählen Sie eine Datei aus."), "danger")
        return redirect(url_for("inbox.case", case_id=case_id), 303)
    try:
        documents.store(engine(), file.filename, file.read(), uploaded_by=_user().username, case_id=case_id,
                        kind=kind if kind in documents.KINDS else "attachment")
        flash(_("Das Dokument wurde hinzugefügt."), "success")
    except AmtsflowError as exc:
        flash(exc.user_message, "danger")
    return redirect(url_for("inbox.case", case_id=case_id), 303)


@bp.get("/vorgaenge/<case_id>/dokumente/<document_id>")
def document(case_id: str, document_id: str) -> Any:
    _case(case_id)
    return casework.send_document(engine(), case_id, document_id)


@bp.get("/vorgaenge/<case_id>/diagramm.json")
def diagram(case_id: str) -> Any:
    view = _case(case_id)
    definition = casework.definition_id(engine(), view["process_key"], view["version"])
    return jsonify(xml=kpis.process_xml(engine(), definition), active=kpis.current_elements(engine(), case_id),
                   counts=kpis.open_items_per_element(engine(), definition))
