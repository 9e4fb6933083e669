"""Studio: incidents (Störungen) with retry and resolve, for process owners and admins.

The error text and the stack trace are shown here only: these pages are refused to everyone but
process owners and admins (see ``OPERATOR_ENDPOINTS`` in views), citizens and clerks never see them.
"""

from __future__ import annotations

from typing import Any, Sequence

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.domain.errors import AmtsflowError, NotFound
from engine.services import incidents, queries
from webui import casework
from webui.auth import current_user, engine
from webui.studio.blueprint import bp
from engine.services.read_models import CaseView, IncidentView

N_ = str                                          # marks text for the catalogue; translated when shown
FILTERS = {"open": N_("offen"), "resolved": N_("erledigt")}
KINDS = {"job": N_("Automatischer Schritt (Fachverfahren)"), "workflow": N_("Prozessschritt")}
MAX_NOTE = 1000


def _username() -> str:
    user = current_user()
    assert user is not None
    return user.username


def _enrich(items: Sequence[IncidentView]) -> list[dict[str, Any]]:
    """Add the case's business key, process name and the element's name to each incident."""
    names = {d["key"]: d["name"] for d in queries.list_definitions(engine())}
    views: dict[str | None, CaseView | None] = {None: None}   # a job incident may belong to no case
    enriched = []
    for item in items:
        case_id = item["case_id"]
        if case_id is not None and case_id not in views:
            try:
                views[case_id] = queries.get_case(engine(), case_id, with_history=False)
            except NotFound:
                views[case_id] = None
        view = views[case_id]
        element = item.get("element_id") or ""
        if view is not None and element:
            try:
                element = casework.model_of(engine(), view["process_key"], view["version"]).element(element).name
            except NotFound:
                pass
        enriched.append({**item, "case": view, "element_name": element or "–",
                         "process_name": names.get(view["process_key"], view["process_key"]) if view else "–",
                         "kind_label": _(KINDS.get(item["kind"], item["kind"]))})
    return enriched


@bp.get("/stoerungen", endpoint="incidents")
def incidents_page() -> Any:
    status = request.args.get("stand", "open")
    if status not in FILTERS:
        status = "open"
    items = _enrich(incidents.list_incidents(engine(), status=status))
    return render_template("studio/incidents.html", incidents=items, status=status, filters=FILTERS)


@bp.get("/stoerungen/<incident_id>")
def incident(incident_id: str) -> Any:
    try:
        item = incidents.get_incident(engine(), incident_id)
    except NotFound:
        abort(404)
    return render_template("studio/incident.html", incident=_enrich([item])[0], max_note=MAX_NOTE)


@bp.post("/stoerungen/<incident_id>/wiederholen")
def incident_retry(incident_id: str) -> Any:
    return _act(incident_id, lambda: incidents.retry_incident(engine(), incident_id, actor=_username()),
                _("Der Schritt wird erneut versucht."))


@bp.post("/stoerungen/<incident_id>/erledigt")
def incident_resolve(incident_id: str) -> Any:
    note = request.form.get("notiz", "").strip()
    if len(note) > MAX_NOTE:
        flash(_("Die Notiz darf höchstens %(n)s Zeichen lang sein.", n=MAX_NOTE), "danger")
        return redirect(url_for("studio.incident", incident_id=incident_id), 303)
    return _act(incident_id, lambda: incidents.resolve_incident(engine(), incident_id, actor=_username(), note=note),
                _("Die Störung ist als erledigt vermerkt."))


def _act(incident_id: str, action: Any, done: str) -> Any:
    try:
        incidents.get_incident(engine(), incident_id)
    except NotFound:
        abort(404)
    try:
        action()
        flash(done, "success")
    except AmtsflowError as exc:
        flash(exc.user_message, "danger")
        return redirect(url_for("studio.incident", incident_id=incident_id), 303)
    return redirect(url_for("studio.incidents"), 303)
