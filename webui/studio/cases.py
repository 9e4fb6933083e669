"""Studio: the case list (search, CSV export) and the case page with repairs, for process owners
and operators (admins). Every repair needs a reason and is written to the case's audit trail."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _

from engine.domain.errors import AmtsflowError, FormValidationError, InvalidState, NotFound
from engine.services import case_modification, case_repair, case_search, incidents, queries
from engine.services.case_modification import Instruction
from engine.services.case_search import CaseQuery
from webui.auth import current_user, engine
from webui.studio.blueprint import bp, process_overview
from webui.templating import status_label

ENDPOINTS = {"studio.cases", "studio.cases_csv", "studio.case", "studio.case_data", "studio.case_suspend",
             "studio.case_resume", "studio.case_cancel", "studio.case_retry", "studio.case_position"}
N_ = str   # marks text for the catalogue; translated where it is shown
ACTION_LABELS = {"skip": N_("Überspringen (danach fortsetzen)"), "cancel": N_("Abbrechen"),
                 "restart": N_("Neu beginnen vor"), "start_before": N_("Zusätzlich beginnen vor"),
                 "move": N_("Dorthin verschieben (offene Schritte abbrechen)")}


def _username() -> str:
    user = current_user()
    assert user is not None
    return user.username


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    """A German calendar day (Europe/Berlin) as its first moment in UTC; ``end``: the next day's."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidState(f"bad date {value!r}", user_message=_("Bitte geben Sie ein Datum wie 31.12.2026 an.")) from None
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, time(), tzinfo=ZoneInfo(engine().settings.timezone))


def query_from_args(args: Any, *, limit: int = case_search.PAGE_SIZE) -> CaseQuery:
    field_name = args.get("feld") or None
    field_value = args.get("wert") if field_name else None
    return CaseQuery(
        process_key=args.get("prozess") or None, version=args.get("version", type=int),
        status=args.get("status") or None, business_key=args.get("aktenzeichen") or None,
        started_from=_day(args.get("eingang_von")), started_until=_day(args.get("eingang_bis"), end=True),
        ended_from=_day(args.get("ende_von")), ended_until=_day(args.get("ende_bis"), end=True),
        field_name=field_name, field_value=field_value if field_value is not None else ("" if field_name else None),
        text=args.get("suche") or None, limit=limit, after=args.get("nach") or None)


@bp.get("/vorgaenge", endpoint="cases")
def cases_page() -> Any:
    processes = process_overview()
    fields = case_search.field_names(engine(), request.args.get("prozess") or None)
    error = None
    page = None
    try:
        page = case_search.search(engine(), query_from_args(request.args))
    except InvalidState as exc:
        error = exc.user_message
    kept = {k: v for k, v in request.args.items() if k != "nach" and v}
    return render_template("studio/cases.html", page=page, error=error, processes=processes, fields=fields,
                           statuses=case_search.STATUS_LABELS, args=request.args, kept=kept,
                           names={p["key"]: p["name"] for p in processes}), 400 if error else 200


@bp.get("/vorgaenge.csv", endpoint="cases_csv")
def cases_csv() -> Any:
    try:
        query = query_from_args(request.args, limit=case_search.MAX_PAGE_SIZE)
    except InvalidState as exc:
        return Response(exc.user_message, status=400, mimetype="text/plain")
    fields = case_search.field_names(engine(), query.process_key)
    return Response(stream_with_context(_csv_lines(query, fields)), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="vorgaenge.csv"'})


def _csv_lines(query: CaseQuery, fields: list[str]) -> Iterator[str]:
    """Semicolon-separated UTF-8 with BOM: what German spreadsheet programs open as they are."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["Vorgang", "Aktenzeichen", "Prozess", "Version", "Status", "Angehalten", "Offene Störungen",
                     "Eingegangen", "Beendet", *fields])
    yield "\ufeff" + buffer.getvalue()
    for row in case_search.export(engine(), query):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([row.id, row.business_key or "", row.process_key, row.version, status_label(row.status),
                         "ja" if row.suspended else "nein", row.open_incidents, _iso(row.started_at),
                         _iso(row.ended_at), *[_cell(row.fields.get(name, "")) for name in fields]])
        yield buffer.getvalue()


def _iso(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def _cell(value: str) -> str:
    """No spreadsheet formulas from case data (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@bp.get("/vorgaenge/<case_id>", endpoint="case")
def case_page(case_id: str, preview: Any = None, chosen: str = "") -> Any:
    try:
        case = queries.get_case(engine(), case_id)
        labels = queries.data_labels(engine(), case_id)
    except NotFound:
        abort(404)
    position: list[tuple[str, str]] = []
    if case["status"] not in ("completed", "cancelled"):
        choices = case_modification.choices(engine(), case_id)
        position = [(f"{action}:{element}", f"{_(ACTION_LABELS[action])}: {name} ({element})")
                    for element, name, _kind in choices.open
                    for action in (("skip", "cancel") if element in choices.skippable else ("cancel",))]
        position += [(f"restart:{element}", f"{_(ACTION_LABELS['restart'])}: {name} ({element})")
                     for element, name, _kind in choices.completed]
        position += [(f"{action}:{element}", f"{_(ACTION_LABELS[action])}: {name} ({element})")
                     for action in ("move", "start_before") for element, name, _kind in choices.startable]
    definition = next(v for p in process_overview() if p["key"] == case["process_key"]
                      for v in p["versions"] if v["version"] == case["version"])
    declared = case_repair.declared_fields_of_case(engine(), case_id)   # called processes' forms too
    editable = [{"name": f.name, "title": labels.get(f.name, f.title), "type": f.schema.get("type", "string"),
                 "value": _shown_value(case["data"].get(f.name)), "enum": f.schema.get("enum")}
                for f in declared.values()]
    return render_template("studio/case.html", case=case, labels=labels, editable=editable,
                           ended=case["status"] in ("completed", "cancelled"), definition=definition,
                           min_comment=case_repair.MIN_COMMENT, position=position, preview=preview, chosen=chosen)


@bp.post("/vorgaenge/<case_id>/position", endpoint="case_position")
def case_position(case_id: str) -> Any:
    chosen = request.form.get("aenderung", "")
    action, _sep, element = chosen.partition(":")
    instruction = Instruction(action, element)
    if request.form.get("aktion") == "vorschau":
        try:
            preview = case_modification.modify(engine(), case_id, instruction, actor=_username(), preview=True)
        except NotFound:
            abort(404)
        except AmtsflowError as exc:
            flash(exc.user_message, "danger")
            return redirect(url_for("studio.case", case_id=case_id), 303)
        return case_page(case_id, preview=preview, chosen=chosen)
    return _repair(case_id, lambda: case_modification.modify(engine(), case_id, instruction, actor=_username(),
                                                             comment=request.form.get("kommentar", "")),
                   _("Die Position des Vorgangs wurde geändert."))


def _shown_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parsed_value(raw: str, kind: Any) -> Any:
    """A form input as the JSON value the field's schema type asks for (checked again by the service)."""
    text = raw.strip()
    if kind in ("integer", "number"):
        try:
            return int(text) if kind == "integer" and text.lstrip("-").isdigit() else float(text.replace(",", "."))
        except ValueError:
            return text       # the schema check names the field
    if kind == "boolean":
        return {"true": True, "ja": True, "false": False, "nein": False}.get(text.lower(), text)
    if kind in ("object", "array"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


@bp.post("/vorgaenge/<case_id>/daten", endpoint="case_data")
def case_data(case_id: str) -> Any:
    def edit() -> None:
        case = queries.get_case(engine(), case_id, with_history=False)
        declared = case_repair.declared_fields_of_case(engine(), case_id)
        changes = {}
        for name, info in declared.items():
            raw = request.form.get(f"feld-{name}")
            if raw is None or raw == _shown_value(case["data"].get(name)):
                continue
            changes[name] = _parsed_value(raw, info.schema.get("type"))
        case_repair.edit_data(engine(), case_id, changes, actor=_username(), comment=request.form.get("kommentar", ""))

    return _repair(case_id, edit, _("Die Daten des Vorgangs wurden geändert."))


@bp.post("/vorgaenge/<case_id>/anhalten", endpoint="case_suspend")
def case_suspend(case_id: str) -> Any:
    return _repair(case_id, lambda: case_repair.suspend(engine(), case_id, actor=_username(),
                                                        comment=request.form.get("kommentar", "")),
                   _("Der Vorgang ist angehalten."))


@bp.post("/vorgaenge/<case_id>/fortsetzen", endpoint="case_resume")
def case_resume(case_id: str) -> Any:
    return _repair(case_id, lambda: case_repair.resume(engine(), case_id, actor=_username(),
                                                       comment=request.form.get("kommentar", "")),
                   _("Der Vorgang läuft weiter."))


@bp.post("/vorgaenge/<case_id>/abbrechen", endpoint="case_cancel")
def case_cancel(case_id: str) -> Any:
    return _repair(case_id, lambda: case_repair.cancel(engine(), case_id, actor=_username(),
                                                       comment=request.form.get("kommentar", "")),
                   _("Der Vorgang ist abgebrochen."))


@bp.post("/vorgaenge/<case_id>/stoerungen/<incident_id>/wiederholen", endpoint="case_retry")
def case_retry(case_id: str, incident_id: str) -> Any:
    def retry() -> None:
        if incidents.get_incident(engine(), incident_id)["case_id"] != case_id:
            raise NotFound(f"incident {incident_id} is not of case {case_id}")
        case_repair.retry(engine(), incident_id, actor=_username(), comment=request.form.get("kommentar", ""))

    return _repair(case_id, retry, _("Der Schritt wird erneut versucht."))


def _repair(case_id: str, action: Any, done: str) -> Any:
    try:
        queries.get_case(engine(), case_id, with_history=False)
        action()
    except NotFound:
        abort(404)
    except FormValidationError as exc:
        for name, messages in exc.field_errors.items():
            for message in messages:
                flash(message if name in ("kommentar", "daten") else f"{name}: {message}", "danger")
        return redirect(url_for("studio.case", case_id=case_id), 303)
    except AmtsflowError as exc:
        flash(exc.user_message, "danger")
        return redirect(url_for("studio.case", case_id=case_id), 303)
    flash(done, "success")
    return redirect(url_for("studio.case", case_id=case_id), 303)
