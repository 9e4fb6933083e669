"""Template helpers: German labels for statuses and audit actions, dates in Europe/Berlin."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Flask, has_request_context, request
from flask_babel import get_timezone, gettext as _, ngettext

from webui.document_names import document_name
from webui.tenant_web import UNKNOWN_KEY, request_tenant

STATUS = {
    "running": "in Bearbeitung", "waiting": "wartet", "completed": "abgeschlossen",
    "failed": "fehlgeschlagen", "cancelled": "abgebrochen",
}
ACTIONS = {
    "started": "Antrag eingegangen", "task_completed": "Arbeitsschritt erledigt",
    "task_claimed": "Aufgabe übernommen", "task_unclaimed": "Aufgabe zurückgegeben",
    "task_delegated": "Aufgabe weitergegeben", "task_follow_up": "Wiedervorlage geändert",
    "cancelled": "Vorgang abgebrochen",
    "suspended": "Vorgang angehalten", "resumed": "Vorgang fortgesetzt", "completed": "Vorgang abgeschlossen",
    "message_received": "Nachricht eingegangen", "service_completed": "Automatischer Schritt erledigt",
    "incident_raised": "Automatischer Schritt fehlgeschlagen", "incident_resolved": "Störung behoben",
    "incident_retried": "Störung: erneuter Versuch", "signal_received": "Signal eingegangen",
    "personal_data_erased": "Personenbezogene Daten gelöscht (Aufbewahrungsfrist abgelaufen)",
    "comment_added": "Kommentar hinzugefügt", "timer_fired": "Frist abgelaufen", "deployed": "Prozess bereitgestellt", "migrated": "Vorgang migriert",
    "data_edited": "Daten korrigiert", "modified": "Position geändert",
    "tenant_switched": "Mandant gewechselt (Anbieterbetrieb)",
}
STATUS_BADGE = {"completed": "success", "failed": "danger", "cancelled": "warning"}


def status_label(status: str) -> str:
    return str(_(STATUS.get(status, status)))


def citizen_status(status: str, milestone: str | None = None) -> str:
    """The latest milestone the model declared ("Bescheid erteilt"), else the engine status in
    words; citizens do not care whether the engine runs or waits: both are "in Bearbeitung".
    A cancelled or failed case says so even after a milestone."""
    if milestone and status not in ("cancelled", "failed"):
        return milestone
    return status_label("running" if status == "waiting" else status)


def action_label(action: str) -> str:
    return str(_(ACTIONS.get(action, action.replace("_", " "))))


def _local(value: Any) -> datetime:
    """A stored moment (ISO text or datetime; naive ones are UTC, as Babel reads them) in the
    time zone of the request (BABEL_DEFAULT_TIMEZONE: Europe/Berlin)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(get_timezone())


# Day and time as numbers (dd.MM.yyyy, HH:mm), the same in every locale: formatted by strftime.
# Babel's format_datetime parsed its pattern and looked up the locale on every call: 160 us, a
# quarter of the inbox page's rendering for a page of 50 tasks with three dates each.
def when(value: Any) -> str:
    if not value:
        return "–"
    return _local(value).strftime("%d.%m.%Y, %H:%M")


def deadline(value: Any) -> str:
    """A person's deadline: "16.12.2026" when it ends with that day (engine: whole-day deadlines end
    at 23:59:59 local time), otherwise date and time."""
    if not value:
        return "–"
    moment = _local(value)
    if (moment.hour, moment.minute) in ((23, 59), (0, 0)):   # a whole day (a follow-up starts with it)
        return moment.strftime("%d.%m.%Y")
    return moment.strftime("%d.%m.%Y, %H:%M")


def duration(value: Any) -> str:
    """A timedelta in German words: "2 Tage 3 Std.", "45 Min."."""
    if value is None:
        return "–"
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [ngettext("%(num)d Tag", "%(num)d Tage", days)] if days else []
    if hours:
        parts.append(_("%(n)d Std.", n=hours))
    if not days and (minutes or not parts):
        parts.append(_("%(n)d Min.", n=minutes))
    return " ".join(parts)


def short_id(value: str) -> str:
    """Case numbers shown to people: the first block of the UUID, upper case."""
    return value.split("-")[0].upper() if value else ""


def site_name(app: Flask) -> str:
    """The portal's name: the tenant's, or the installation's for the default tenant (as before tenants)."""
    tenant = request_tenant() if has_request_context() else None
    if tenant is None and has_request_context() and request.environ.get(UNKNOWN_KEY):
        return "Serviceportal"        # an unknown host: no municipality's name
    if tenant is None or tenant.is_default:
        return str(app.config["AMTSFLOW_SITE_NAME"])
    return tenant.name


def init_templating(app: Flask) -> None:
    app.jinja_env.filters.update(status_label=status_label, action_label=action_label, when=when, deadline=deadline, duration=duration, citizen_status=citizen_status,
                                 short_id=short_id, document_name=document_name)
    app.jinja_env.globals.update(STATUS_BADGE=STATUS_BADGE, site_name=lambda: site_name(app))
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
