"""Issue 14.7, the clerk's task page of a parking-permit case that came to manual review (real
process, back-office simulators): the reasons first as a list, the process's summary, the data as
the citizen entered them (labels, sections, German dates, option labels), technical variables only
behind "Technische Daten anzeigen", the model's instructions as sanitised Markdown."""

from __future__ import annotations

import html
import re

from engine.services import queries
from tests.processes.conftest import Scenario, backoffices  # noqa: F401 - the simulators fixture
from tests.processes.test_bewohnerparkausweis import KEY, antrag
from tests.web.conftest import login_as
from webui.markdown import render


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def _between(page: str, start: str, end: str) -> str:
    return page.split(start, 1)[1].split(end, 1)[0]


def review_case(web_engine, backoffices):  # noqa: ANN001, F811
    web_engine.connectors.update(backoffices.connectors)
    s = Scenario(web_engine, None, backoffices)  # type: ignore[arg-type]
    s.deploy(KEY)
    case_id = s.start(KEY, antrag(antragsteller={"geburtsdatum": "1984-08-12"},
                                  fahrzeug={"kennzeichen": "MS-EM 2024", "nutzung": "firmenwagen"}), actor="erika")
    [task] = queries.list_tasks(web_engine, case_id=case_id)
    return case_id, task


def test_task_page_reads_as_the_citizen_entered_it(client, web_engine, backoffices):  # noqa: F811
    case_id, task = review_case(web_engine, backoffices)
    login_as(client, "sb1")
    page = client.get(f"/inbox/aufgaben/{task['id']}").get_data(as_text=True)

    # the reasons for the manual review come first, as a list, each once
    notes = _between(page, 'id="review-notes">', "</ul>")
    items = [_text(li) for li in re.findall(r"<li>(.*?)</li>", notes, re.S)]
    assert items == ["Person im Melderegister nicht eindeutig gefunden",
                     "Fahrzeugregister: Halter/in weicht ab oder Fahrzeug unbekannt"]
    assert page.index('id="review-notes"') < page.index('id="form-title"') < page.index('id="data-title"')

    summary = _text(_between(page, 'id="summary"', "</dl>"))
    assert "Familienname Mustermann" in summary and "Amtliches Kennzeichen MS-EM 2024" in summary
    assert "Geburtsdatum 12.08.1984" in summary                                  # German date
    assert "Wie nutzen Sie das Fahrzeug? Firmenwagen, den ich auch privat nutze" in summary   # option label
    assert "Im Melderegister gefunden nein" in summary and "Privater Stellplatz" not in summary.split("Halter")[0]

    data = _between(page, 'id="data-title"', 'id="technical-data"')
    for section in ("Antragstellerin / Antragsteller", "Fahrzeug", "Weitere Angaben"):
        assert f'<h3 class="kern-heading-small">{section}</h3>' in data
    shown = _text(data)
    assert "E-Mail-Adresse erika.mustermann@example.org" in shown
    assert "Ich willige ein, dass mir der Bescheid elektronisch im Serviceportal bekannt gegeben wird ja" in shown
    for raw in ("Portal url", "portal_url", "Verlaengerung vorlauf monate", "None", "halter'", "1984-08-12", "['"):
        assert raw not in shown, raw

    technical = _between(page, 'id="technical-data"', "</details>")
    assert "<details" not in technical and "Technische Daten anzeigen" in technical
    assert "<code>portal_url</code>" in technical and "<code>verlaengerung_vorlauf_monate</code>" in technical
    assert "<code>antragsteller.familienname</code>" not in technical     # shown above already
    assert "<code>pruefhinweise</code>" not in technical

    instructions = _between(page, 'id="task-instructions"', "</div>")
    assert "<strong>Prüfhinweise</strong>" in instructions and '<ul class="kern-list">' in instructions
    assert "`" not in instructions


def test_a_per_task_summary_and_the_earlier_decision_on_the_four_eyes_task(client, web_engine, backoffices):  # noqa: F811
    from engine.services import cases
    case_id, task = review_case(web_engine, backoffices)
    cases.complete_task(web_engine, task["id"], {"entscheidung": "ablehnen", "begruendung": "Kein Wohnsitz in der Zone.",
                                                 "vermerk": "Rücksprache am 3.12."}, actor="sb1")
    [second] = queries.list_tasks(web_engine, case_id=case_id)
    login_as(client, "sb2")
    page = client.get(f"/inbox/aufgaben/{second['id']}").get_data(as_text=True)
    summary = _text(_between(page, 'id="summary"', "</dl>"))
    assert "Entscheidung Ablehnen (Freigabe durch zweite Person)" in summary
    assert "Begründung der Ablehnung Kein Wohnsitz in der Zone." in summary
    assert "Eine zweite Person prüft die Ablehnung" in _between(page, 'id="task-instructions"', "</div>")


def test_instructions_are_sanitised_markdown():
    out = str(render("**fett** <script>alert(1)</script> [x](javascript:alert(1)) [y](https://example.org)\n\n# Titel"))
    assert "<strong>fett</strong>" in out and "<script>" not in out and 'href="javascript' not in out
    assert '<a href="https://example.org" class="kern-link" rel="noopener noreferrer">y</a>' in out
    assert "<h3>Titel</h3>" in out and "<h1>" not in out


def test_values_read_as_people_write_them():
    from engine.services.task_context import FieldSetting, TaskContext
    from webui.case_data import build
    context = TaskContext(element_id="pruefen", instructions=[], start_form=None, task_form=None, other_forms=[],
                          review_notes_variable="hinweise", summary=["gebuehr", "frist"], task_summary=[],
                          fields={"gebuehr": FieldSetting("Gebühr", "cent")})
    data = {"gebuehr": 3000, "frist": "2026-12-16", "hinweise": "Ein Hinweis", "jahressteuer_cent": 12050,
            "nachgereicht": [{"datei": "mietvertrag.pdf", "am": "2026-12-03T10:00:00+00:00"}], "leer": None}
    display = build(context, data, {}, lambda doc_id: doc_id)
    assert display.review_notes == ["Ein Hinweis"]
    assert [(e.label, e.text) for e in display.summary] == [("Gebühr", "30,00\xa0€"), ("Frist", "16.12.2026")]
    technical = {e.label: (e.text, e.items) for e in display.technical}
    assert technical["jahressteuer_cent"] == ("120,50\xa0€", [])
    assert technical["nachgereicht"] == ("", ["Datei: mietvertrag.pdf, Am: 03.12.2026, 11:00 Uhr"])
    assert technical["leer"] == ("–", []) and "hinweise" not in technical


def test_case_page_shows_the_same_readable_data(client, web_engine, backoffices):  # noqa: F811
    case_id, _task = review_case(web_engine, backoffices)
    login_as(client, "sb1")
    page = client.get(f"/inbox/vorgaenge/{case_id}").get_data(as_text=True)
    assert "Person im Melderegister nicht eindeutig gefunden" in page.split('id="review-notes">', 1)[1]
    shown = _text(page.split('id="data-title"', 1)[1].split('id="technical-data"', 1)[0])
    assert "Wie nutzen Sie das Fahrzeug? Firmenwagen, den ich auch privat nutze" in shown
    assert "Portal url" not in shown and "<code>portal_url</code>" in page
