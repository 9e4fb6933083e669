"""Citizen portal: service catalogue, applications, my cases, status, answering requests, documents."""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from werkzeug.datastructures import MultiDict
from flask_babel import gettext as _

from engine.domain import prefill
from engine.domain.errors import AmtsflowError, Conflict, FormValidationError
from engine.services import (application_drafts, cases, delivery, documents, identity, messages, queries,
                             task_context, withdrawals)
from webui import case_data, casework, markdown
from webui.auth import PREFILL_SESSION_KEY, engine, require_roles
from webui.forms.fields import flatten, note_prefilled
from webui.forms.parse import parse_form
from webui.forms.submit import form_view, merge, parse_request
from webui.portal.blueprint import bp, signed_in_user
from webui.portal.payment import payment_of
from webui.templating import when
from engine.services.read_models import CaseView, TaskView

SUBMISSION_FIELD = "antrag_id"          # one token per application form: a resend starts no second case
SUBMISSION_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


@bp.get("/")
def index() -> Any:
    services = [s for s in casework.latest_services(engine()) if s.form is not None]
    return render_template("portal/index.html", services=services)


@bp.route("/leistungen/<key>/antrag", methods=["GET", "POST"])
@require_roles("citizen")
def apply(key: str) -> Any:
    service = casework.service(engine(), key)
    if service.form is None:
        abort(404)
    schema, ui = service.form.schema, service.form.ui_schema
    owner = signed_in_user().username
    if request.method == "GET":
        given = prefill.values(schema, ui, session.get(PREFILL_SESSION_KEY) or {})
        draft = application_drafts.get(engine(), owner, key)
        view = form_view(schema, ui, {**given, **(draft.fields if draft else {})}, submission=secrets.token_urlsafe(18))
        note_prefilled(view.fields, set(given) - set(draft.fields if draft else {}),
                       _("Aus Ihrem Nutzerkonto übernommen."))
        return render_template("portal/apply.html", service=service, form_view=view, draft=draft)
    if request.form.get("aktion") == "zwischenspeichern":
        return _save_application_draft(key, schema, ui)
    parsed = parse_request(schema, ui)
    token = request.form.get(SUBMISSION_FIELD, "")
    if not SUBMISSION_TOKEN.fullmatch(token):
        parsed.errors.setdefault("_form", []).append(_("Das Formular wurde unvollständig übertragen. Bitte senden Sie "
                                                       "es noch einmal ab."))
        token = secrets.token_urlsafe(18)
    if not parsed.errors:
        try:
            case_id = _start_once(key, parsed, token)
            application_drafts.discard(engine(), owner, key)      # sent: the draft has done its work
            return redirect(url_for("portal.received", case_id=case_id))
        except FormValidationError as exc:
            merge(parsed, exc.field_errors)
        except AmtsflowError as exc:
            parsed.errors["_form"] = [exc.user_message]
    view = form_view(schema, ui, parsed.raw, parsed.errors, submission=token)
    return render_template("portal/apply.html", service=service, form_view=view), 400


def _save_application_draft(key: str, schema: Any, ui: Any) -> Any:
    """"Als Entwurf speichern": the start form as typed, unvalidated; files are not kept (the page says so)."""
    parsed = parse_form(schema, ui, request.form, MultiDict(), current_app.config["AMTSFLOW_MAX_UPLOAD_BYTES"])
    try:
        draft = application_drafts.save(engine(), signed_in_user().username, key, parsed.raw)
    except AmtsflowError as exc:
        flash(exc.user_message, "danger")
        return redirect(url_for("portal.apply", key=key), 303)
    flash(_("Ihr Antrag ist als Entwurf gespeichert, aber noch nicht gestellt. Sie können ihn bis %(date)s Uhr "
            "fortsetzen und absenden; danach wird der Entwurf gelöscht.", date=when(draft.expires_at)), "success")
    return redirect(url_for("portal.apply", key=key), 303)


@bp.post("/leistungen/<key>/antrag/entwurf-verwerfen")
@require_roles("citizen")
def discard_application_draft(key: str) -> Any:
    casework.service(engine(), key)
    if application_drafts.discard(engine(), signed_in_user().username, key):
        flash(_("Der Entwurf wurde gelöscht."), "success")
    return redirect(url_for("portal.apply", key=key), 303)


def _start_once(key: str, parsed: Any, token: str) -> str:
    """Start the case with its uploads in one transaction, once per form token: a second
    submission of the same form (double click, resend after a timeout) finds the first case."""
    user = signed_in_user()
    outcome = messages.start_case_once(engine(), key, parsed.data, message_id=f"portal:{user.username}:{key}:{token}",
                                       actor=user.username, name="portal_application", uploads=parsed.uploads)
    if outcome.case_id is None:
        raise Conflict(f"portal application {token} of {user.username}: no case after a concurrent start",
                       user_message=_("Ihr Antrag konnte gerade nicht angenommen werden. Bitte senden Sie ihn "
                                      "noch einmal ab."))
    return outcome.case_id


@bp.get("/meine-antraege/<case_id>/eingang")
@require_roles("citizen")
def received(case_id: str) -> Any:
    view = casework.own_case(engine(), case_id, signed_in_user())
    return render_template("portal/received.html", case=view)


@bp.get("/meine-antraege")
@require_roles("citizen")
def my_cases() -> Any:
    rows = queries.list_cases(engine(), started_by=signed_in_user().username, limit=200)
    names = {s.key: s.name for s in casework.latest_services(engine())}
    drafts = [d for d in application_drafts.list_for(engine(), signed_in_user().username) if d.process_key in names]
    # what each open application waits for from its applicant: their tasks and an open payment
    running = {r["id"]: r for r in rows if r["status"] in ("running", "waiting") and not r["ended_at"]}
    asked = queries.waiting_for(engine(), list(running), casework.CITIZEN_GROUP)
    payments = {}
    for case_id, data in queries.case_data(engine(), list(running)).items():
        payment = payment_of({**running[case_id], "data": data or {}})
        if payment is not None and payment["open"]:
            payments[case_id] = payment
    return render_template("portal/my_cases.html", cases=rows, names=names, drafts=drafts, asked=asked,
                           payments=payments, acting=len(asked.keys() | payments.keys()))


@bp.get("/meine-antraege/<case_id>")
@require_roles("citizen")
def case(case_id: str) -> Any:
    view = casework.own_case(engine(), case_id, signed_in_user())
    return _status_page(view, viewer=signed_in_user().username, link_token=None)


def _status_page(view: CaseView, viewer: str, link_token: str | None) -> Any:
    names = {s.key: s.name for s in casework.latest_services(engine())}
    return render_template("portal/case.html", case=view, service_name=names.get(view["process_key"], ""),
                           payment=payment_of(view),
                           timeline=casework.timeline(engine(), view, viewer=viewer),
                           tasks=casework.citizen_tasks(view) if link_token is None else [],
                           withdrawable=link_token is None and withdrawals.withdrawal_message(engine(), view["id"]) is not None,
                           reason_max=withdrawals.REASON_MAX,
                           documents=documents.list_for_case(engine(), view["id"]), link_token=link_token)


@bp.post("/meine-antraege/<case_id>/ruecknahme")
@require_roles("citizen")
def withdraw(case_id: str) -> Any:
    """"Antrag zurücknehmen": the process takes it while it waits for its withdrawal message."""
    casework.own_case(engine(), case_id, signed_in_user())
    if request.form.get("bestaetigung") != "ja":
        flash(_("Bitte bestätigen Sie, dass Sie Ihren Antrag zurücknehmen möchten."), "danger")
        return redirect(url_for("portal.case", case_id=case_id, _anchor="ruecknahme"), 303)
    try:
        withdrawals.withdraw(engine(), case_id, signed_in_user().username, request.form.get("grund", ""),
                             case_link=url_for("inbox.case", case_id=case_id, _external=True))
    except AmtsflowError as exc:
        flash(exc.user_message, "danger")
        return redirect(url_for("portal.case", case_id=case_id), 303)
    flash(_("Sie haben Ihren Antrag zurückgenommen. Er wird nicht weiter bearbeitet."), "success")
    return redirect(url_for("portal.case", case_id=case_id), 303)


@bp.route("/meine-antraege/<case_id>/aufgaben/<task_id>", methods=["GET", "POST"])
@require_roles("citizen")
def task(case_id: str, task_id: str) -> Any:
    view = casework.own_case(engine(), case_id, signed_in_user())
    item = next((t for t in casework.citizen_tasks(view) if t["id"] == task_id), None)
    if item is None:
        abort(404)
    form = casework.task_form(engine(), task_id)
    schema, ui = (form.schema, form.ui_schema) if form else (None, None)
    if request.method == "GET":
        values = flatten(view["data"]) if schema else {}
        return _task_page(view, item, form_view(schema, ui, values))
    parsed = parse_request(schema, ui)
    if not parsed.errors:
        try:
            cases.complete_task(engine(), task_id, parsed.data, actor=signed_in_user().username, uploads=parsed.uploads)
            flash(_("Vielen Dank, Ihre Angaben sind eingegangen."), "success")
            return redirect(url_for("portal.case", case_id=case_id))
        except FormValidationError as exc:
            merge(parsed, exc.field_errors)
        except AmtsflowError as exc:
            parsed.errors["_form"] = [exc.user_message]
    return _task_page(view, item, form_view(schema, ui, parsed.raw, parsed.errors)), 400


def _task_page(view: CaseView, item: TaskView, fv: Any) -> str:
    """The citizen's task: what the office asks for (what the task declares), the deadline, the form."""
    context = task_context.task_context(engine(), item)
    docs = {d.id: d.filename for d in documents.list_for_case(engine(), view["id"])}
    asked = case_data.entries(context, context.task_summary, view["data"], docs,
                              lambda doc_id: url_for("portal.document", case_id=view["id"], document_id=doc_id))
    return render_template("portal/task.html", case=view, task=item, form_view=fv, asked=asked,
                           instructions=[markdown.render(text) for text in context.instructions])


@bp.get("/meine-antraege/<case_id>/dokumente/<document_id>")
@require_roles("citizen")
def document(case_id: str, document_id: str) -> Any:
    casework.own_case(engine(), case_id, signed_in_user())
    response = casework.send_document(engine(), case_id, document_id)
    delivery.record_retrieval(engine(), case_id, document_id, actor=signed_in_user().username)  # § 41 (2a) VwVfG
    return response


@bp.post("/meine-antraege/<case_id>/statuslink")
@require_roles("citizen")
def case_link(case_id: str) -> Any:
    view = casework.own_case(engine(), case_id, signed_in_user())
    token = identity.create_case_link(engine(), case_id, signed_in_user().username)
    return render_template("portal/case_link.html", case=view, link=url_for("portal.shared_case", token=token,
                                                                              _external=True))


@bp.get("/status/<token>")
def shared_case(token: str) -> Any:
    case_id = identity.case_for_link(engine(), token)
    if case_id is None:
        abort(404)
    return _status_page(queries.get_case(engine(), case_id), viewer="", link_token=token)


@bp.get("/status/<token>/dokumente/<document_id>")
def shared_document(token: str, document_id: str) -> Any:
    case_id = identity.case_for_link(engine(), token)
    if case_id is None:
        abort(404)
    response = casework.send_document(engine(), case_id, document_id)
    delivery.record_retrieval(engine(), case_id, document_id, actor="statuslink")
    return response


@bp.get("/barrierefreiheit")
def accessibility() -> Any:
    return render_template("portal/accessibility.html")


@bp.get("/impressum")
def imprint() -> Any:
    return render_template("portal/imprint.html")
