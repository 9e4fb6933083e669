"""Studio: the figures of one process for its owners (issue 16), as charts (Apache ECharts, drawn
by static/js/figures.js from a JSON data block), the same data as a table beside each chart, and
each figure as CSV. The numbers come from engine.services.process_figures (counted in SQL)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, render_template, request
from flask_babel import gettext as _

from engine.domain.errors import InvalidState
from engine.services import process_figures
from engine.services.process_figures import ProcessFigures, Share
from webui.auth import engine
from webui.studio.blueprint import bp, process_overview

DEFAULT_DAYS = 84      # twelve weeks up to today


@dataclass(frozen=True)
class Figure:
    """One figure: a table (header and rows of display strings) and what its chart draws."""
    key: str
    title: str
    text: str
    columns: list[str]
    rows: list[list[str]]
    chart: dict[str, Any]


def _day(value: str | None, default: date, label: str) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidState(f"bad date {value!r}",
                           user_message=_("Bitte geben Sie %(label)s als Datum wie 31.12.2026 an.", label=label)) from None


def _period(zone: ZoneInfo) -> tuple[date, date]:
    today = engine().clock.now().astimezone(zone).date()
    until = _day(request.args.get("bis"), today, _("das Ende des Zeitraums"))
    since = _day(request.args.get("von"), until - timedelta(days=DEFAULT_DAYS - 1), _("den Beginn des Zeitraums"))
    if until < since:
        raise InvalidState(f"period {since} .. {until}", user_message=_("Das Ende des Zeitraums liegt vor seinem Beginn."))
    return since, until


def _number(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def _days(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 86400, 2)


def _percent(share: Share) -> str:
    return "–" if share.ratio is None else _number(100 * share.ratio) + " %"


def _figures(f: ProcessFigures) -> list[Figure]:
    median, p90 = _days(f.lead_time.median), _days(f.lead_time.p90)
    d = f.deadlines
    backlog_labels = [_("unter 7 Tage"), _("7 bis 30 Tage"), _("30 bis 90 Tage"), _("über 90 Tage")]
    return [
        Figure("wochen", _("Eingänge und Abschlüsse je Kalenderwoche"),
               _("Vorgänge, die in der Woche begonnen oder abgeschlossen wurden."),
               [_("Kalenderwoche"), _("Beginn der Woche"), _("Begonnen"), _("Abgeschlossen")],
               [[w.label, w.monday.strftime("%d.%m.%Y"), str(w.started), str(w.completed)] for w in f.weeks],
               {"kind": "bar", "categories": [w.label for w in f.weeks],
                "series": [{"name": _("Begonnen"), "values": [w.started for w in f.weeks]},
                           {"name": _("Abgeschlossen"), "values": [w.completed for w in f.weeks]}]}),
        Figure("durchlaufzeit", _("Durchlaufzeit"),
               _("Vom Eingang bis zum Abschluss, über die im Zeitraum abgeschlossenen Vorgänge (%(n)s).",
                 n=f.lead_time.count),
               [_("Kennzahl"), _("Tage")],
               [[_("Median"), "–" if median is None else _number(median)],
                [_("90 Prozent der Vorgänge bis"), "–" if p90 is None else _number(p90)]],
               {"kind": "bar", "categories": [_("Median"), _("90-Prozent-Wert")], "unit": _("Tage"),
                "series": [{"name": _("Tage"), "values": [median, p90]}]}),
        _share_figure("dunkelverarbeitung", _("Dunkelverarbeitungsquote"),
                      _("Abgeschlossene Vorgänge, die ohne eine Aufgabe für die Sachbearbeitung erledigt wurden."),
                      f.without_clerk, _("ohne Sachbearbeitung"), _("mit Sachbearbeitung")),
        _share_figure("online", _("Online gestellte Anträge"),
                      _("Im Zeitraum begonnene Vorgänge, die eine Bürgerin oder ein Bürger online gestellt hat."),
                      f.online, _("online gestellt"), _("anders begonnen")),
        Figure("fristen", _("Fristüberschreitungen"),
               _("Offene Aufgaben mit Frist (Stand heute) und im Zeitraum erledigte Aufgaben mit Frist."),
               [_("Aufgaben"), _("Frist überschritten"), _("Frist eingehalten")],
               [[_("offen"), str(d.open_overdue), str(d.open_with_due - d.open_overdue)],
                [_("erledigt"), str(d.completed_late), str(d.completed_with_due - d.completed_late)]],
               {"kind": "stacked", "categories": [_("offen"), _("erledigt")],
                "series": [{"name": _("Frist überschritten"), "values": [d.open_overdue, d.completed_late]},
                           {"name": _("Frist eingehalten"),
                            "values": [d.open_with_due - d.open_overdue, d.completed_with_due - d.completed_late]}]}),
        _sla_figure(f),
        Figure("bestand", _("Offener Bestand nach Alter"),
               _("Vorgänge, die heute noch nicht abgeschlossen sind, nach Tagen seit dem Eingang."),
               [_("Alter"), _("Vorgänge")],
               [[label, str(b.count)] for label, b in zip(backlog_labels, f.backlog)],
               {"kind": "bar", "categories": backlog_labels,
                "series": [{"name": _("Vorgänge"), "values": [b.count for b in f.backlog]}]}),
    ]


def _sla_figure(f: ProcessFigures) -> Figure:
    """Cases completed per week against the processing time service.toml allows a whole case."""
    sla = f.sla
    if sla.seconds:
        limits = ", ".join(f"v{v} " + _("%(days)s Tage", days=_number(s / 86400)) for v, s in sla.seconds.items())
        text = _("Vorgänge, deren Durchlaufzeit vom Eingang bis zum Abschluss die Bearbeitungsfrist aus service.toml "
                 "([sla] vorgang) überschritten hat: %(limits)s.", limits=limits)
    else:
        text = _("Für diesen Prozess ist in service.toml keine Bearbeitungsfrist für den ganzen Vorgang "
                 "([sla] vorgang) festgelegt; es wird nichts gezählt.")
    share = sla.completed
    rows = [[w.label, w.monday.strftime("%d.%m.%Y"), str(w.completed), str(w.breached),
             _percent(Share(w.breached, w.completed))] for w in sla.weeks]
    rows.append([_("Zeitraum gesamt"), "", str(share.total), str(share.part), _percent(share)])
    rows.append([_("offen (Stand heute)"), "", str(sla.open_total), str(sla.open_breached),
                 _percent(Share(sla.open_breached, sla.open_total))])
    return Figure("bearbeitungsfrist", _("Überschreitungen der Bearbeitungsfrist je Kalenderwoche"), text,
                  [_("Kalenderwoche"), _("Beginn der Woche"), _("Abgeschlossen"), _("davon über der Frist"),
                   _("Anteil über der Frist")], rows,
                  {"kind": "stacked", "categories": [w.label for w in sla.weeks],
                   "series": [{"name": _("Frist überschritten"), "values": [w.breached for w in sla.weeks]},
                              {"name": _("Frist eingehalten"),
                               "values": [w.completed - w.breached for w in sla.weeks]}]})


def _share_figure(key: str, title: str, text: str, share: Share, part: str, rest: str) -> Figure:
    return Figure(key, title, text, [_("Vorgänge"), _("Anzahl"), _("Anteil")],
                  [[part, str(share.part), _percent(share)],
                   [rest, str(share.total - share.part), _percent(Share(share.total - share.part, share.total))]],
                  {"kind": "pie", "categories": [part, rest],
                   "series": [{"name": title, "values": [share.part, share.total - share.part]}]})


@bp.get("/prozesse/<key>/kennzahlen", endpoint="figures")
def figures_page(key: str) -> Any:
    entry = next((p for p in process_overview() if p["key"] == key), None)
    if entry is None:
        abort(404)
    zone = ZoneInfo(engine().settings.timezone)
    version = request.args.get("version", type=int)
    if version is not None and version not in {v["version"] for v in entry["versions"]}:
        abort(404)
    try:
        since, until = _period(zone)
        result = process_figures.figures(engine(), key, datetime.combine(since, time(), tzinfo=zone),
                                         datetime.combine(until + timedelta(days=1), time(), tzinfo=zone),
                                         version=version)
    except InvalidState as exc:
        if request.args.get("format") == "csv":
            return Response(exc.user_message, status=400, mimetype="text/plain")
        return render_template("studio/figures.html", process=entry, version=version, error=exc.user_message,
                               args=request.args, figures=[], since=None, until=None), 400
    shown = _figures(result)
    if request.args.get("format") == "csv":
        wanted = next((f for f in shown if f.key == request.args.get("figure")), None)
        if wanted is None:
            abort(404)
        return _csv(key, wanted)
    return render_template("studio/figures.html", process=entry, version=version, error=None, args=request.args,
                           figures=shown, since=since, until=until,
                           charts=[{"id": f"chart-{f.key}", **f.chart} for f in shown])


def _csv(key: str, figure: Figure) -> Response:
    """Semicolon-separated UTF-8 with BOM: what German spreadsheet programs open as they are."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(figure.columns)
    writer.writerows(figure.rows)
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{key}-{figure.key}.csv"'})
