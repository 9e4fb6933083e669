"""Studio cockpit (issue 16): the case list with filters and CSV, the case page, repairs."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest

from engine.services import cases, incidents, queries
from engine.services.deploy import deploy, read_paths
from tests.conftest import model
from tests.web.conftest import csrf_token, login_as


@pytest.fixture
def failed(web_engine: Any, clock: Any) -> str:
    deploy(web_engine, read_paths([str(model("repair"))]), actor="po")
    cases.start_case(web_engine, "reparatur", {"antragsteller": "=HYPERLINK(\"x\")", "teiler": 3}, actor="erika",
                     business_key="RP-2026-0001")
    clock.advance(timedelta(minutes=5))     # newest first: this one comes first
    return cases.start_case(web_engine, "reparatur", {"antragsteller": "Erika Mustermann", "teiler": 0},
                            actor="erika", business_key="RP-2026-0002")


def test_owner_filters_the_case_list(client: Any, failed: str) -> None:
    login_as(client, "po")
    page = client.get("/studio/vorgaenge").get_data(as_text=True)
    assert "2 Vorgänge gefunden." in page and "RP-2026-0001" in page and "RP-2026-0002" in page
    page = client.get("/studio/vorgaenge?status=failed").get_data(as_text=True)
    assert "1 Vorgang gefunden." in page and "RP-2026-0002" in page and "RP-2026-0001" not in page
    page = client.get("/studio/vorgaenge?status=incident&prozess=reparatur").get_data(as_text=True)
    assert "RP-2026-0002" in page and "1 Störung" in page
    page = client.get("/studio/vorgaenge?suche=musterm").get_data(as_text=True)
    assert "RP-2026-0002" in page and "RP-2026-0001" not in page
    page = client.get("/studio/vorgaenge?prozess=reparatur&feld=antragsteller&wert=Erika+Mustermann").get_data(as_text=True)
    assert "1 Vorgang gefunden." in page


def test_bad_filters_get_a_german_message(client: Any, failed: str) -> None:
    login_as(client, "po")
    response = client.get("/studio/vorgaenge?suche=x")
    assert response.status_code == 400 and "mindestens zwei Zeichen" in response.get_data(as_text=True)
    response = client.get("/studio/vorgaenge?eingang_von=31.12.")
    assert response.status_code == 400 and "Datum" in response.get_data(as_text=True)


def test_csv_export_has_the_filtered_cases_and_no_formulas(client: Any, failed: str) -> None:
    login_as(client, "admin")
    response = client.get("/studio/vorgaenge.csv?prozess=reparatur")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Vorgang", "Aktenzeichen", "Prozess"] and rows[0][-1] == "antragsteller"
    assert [r[1] for r in rows[1:]] == ["RP-2026-0002", "RP-2026-0001"]
    assert rows[2][-1] == "'=HYPERLINK(\"x\")"          # a formula is written as text
    assert rows[1][4] == "fehlgeschlagen"


def test_owner_edits_a_value_and_retries_from_the_case_page(client: Any, web_engine: Any, failed: str) -> None:
    login_as(client, "po")
    page = client.get(f"/studio/vorgaenge/{failed}").get_data(as_text=True)
    assert "Vorgang RP-2026-0002" in page and "fehlgeschlagen" in page and "Daten korrigieren" in page
    token = csrf_token(client, f"/studio/vorgaenge/{failed}")
    response = client.post(f"/studio/vorgaenge/{failed}/daten", data={
        "csrf_token": token, "feld-teiler": "5", "feld-antragsteller": "Erika Mustermann", "kommentar": "Teiler korrigiert"})
    assert response.status_code == 303
    page = client.get(f"/studio/vorgaenge/{failed}").get_data(as_text=True)
    assert "Die Daten des Vorgangs wurden geändert." in page
    assert "Daten korrigiert" in page and "Begründung: Teiler korrigiert" in page and "„0“ → „5“" in page
    [incident] = incidents.list_incidents(web_engine, case_id=failed)
    response = client.post(f"/studio/vorgaenge/{failed}/stoerungen/{incident['id']}/wiederholen",
                           data={"csrf_token": token, "kommentar": "Nach der Korrektur"})
    assert response.status_code == 303
    case = queries.get_case(web_engine, failed)
    assert case["status"] == "waiting" and case["data"]["anteil"] == 20


def test_a_repair_without_reason_changes_nothing(client: Any, web_engine: Any, failed: str) -> None:
    login_as(client, "po")
    token = csrf_token(client, f"/studio/vorgaenge/{failed}")
    client.post(f"/studio/vorgaenge/{failed}/daten", data={"csrf_token": token, "feld-teiler": "5", "kommentar": ""})
    page = client.get(f"/studio/vorgaenge/{failed}").get_data(as_text=True)
    assert "Bitte begründen Sie den Eingriff" in page
    assert queries.get_case(web_engine, failed)["data"]["teiler"] == 0
    client.post(f"/studio/vorgaenge/{failed}/daten", data={"csrf_token": token, "feld-teiler": "zwei",
                                                           "kommentar": "Falscher Typ"})
    assert "teiler: Der Wert passt nicht" in client.get(f"/studio/vorgaenge/{failed}").get_data(as_text=True)


def test_suspend_resume_cancel_from_the_case_page(client: Any, web_engine: Any, failed: str) -> None:
    login_as(client, "admin")
    token = csrf_token(client, f"/studio/vorgaenge/{failed}")
    for path, check in (("anhalten", lambda c: c["suspended"]), ("fortsetzen", lambda c: not c["suspended"]),
                        ("abbrechen", lambda c: c["status"] == "cancelled")):
        response = client.post(f"/studio/vorgaenge/{failed}/{path}", data={"csrf_token": token, "kommentar": "Betrieb"})
        assert response.status_code == 303
        assert check(queries.get_case(web_engine, failed)), path
    history = queries.get_case(web_engine, failed)["history"]
    assert [h["action"] for h in history[-3:]] == ["suspended", "resumed", "cancelled"]
    assert all(h["actor"] == "admin" for h in history[-3:])


def test_an_incident_of_another_case_is_not_retried_here(client: Any, web_engine: Any, failed: str) -> None:
    other = cases.start_case(web_engine, "reparatur", {"antragsteller": "Jonas", "teiler": 0}, actor="jonas")
    [incident] = incidents.list_incidents(web_engine, case_id=other)
    login_as(client, "po")
    token = csrf_token(client, f"/studio/vorgaenge/{failed}")
    response = client.post(f"/studio/vorgaenge/{failed}/stoerungen/{incident['id']}/wiederholen",
                           data={"csrf_token": token, "kommentar": "Falscher Vorgang"})
    assert response.status_code == 404
    assert incidents.list_incidents(web_engine, case_id=other)[0]["status"] == "open"


@pytest.mark.parametrize("user,status", [("erika", 403), ("sb1", 403), (None, 302)])
def test_citizens_and_clerks_do_not_see_the_cockpit(client: Any, failed: str, user: str | None, status: int) -> None:
    login_as(client, user)
    for path in ("/studio/vorgaenge", "/studio/vorgaenge.csv", f"/studio/vorgaenge/{failed}"):
        assert client.get(path).status_code == status


def test_owner_previews_and_changes_the_position(client: Any, web_engine: Any) -> None:
    from engine.runtime.parsing import SourceFile

    deploy(web_engine, [SourceFile("m.bpmn", (model("migration") / "v2.bpmn").read_bytes())], actor="po")
    case_id = cases.start_case(web_engine, "migration_test", {}, actor="t", internal=True)
    login_as(client, "po")
    page = client.get(f"/studio/vorgaenge/{case_id}").get_data(as_text=True)
    assert "Überspringen (danach fortsetzen): Antrag fachlich prüfen (antrag_pruefen)" in page
    assert "Dorthin verschieben (offene Schritte abbrechen): Bescheid freigeben (freigeben)" in page
    assert "Zusätzlich beginnen vor: Bescheid freigeben (freigeben)" in page
    token = csrf_token(client, f"/studio/vorgaenge/{case_id}")
    shown = client.post(f"/studio/vorgaenge/{case_id}/position", data={
        "csrf_token": token, "aenderung": "skip:antrag_pruefen", "aktion": "vorschau"}).get_data(as_text=True)
    assert "Danach offen: freigeben" in shown
    assert [t["element_id"] for t in queries.list_tasks(web_engine, case_id=case_id)] == ["antrag_pruefen"]
    done = client.post(f"/studio/vorgaenge/{case_id}/position", data={
        "csrf_token": token, "aenderung": "skip:antrag_pruefen", "aktion": "ausfuehren",
        "kommentar": "Telefonisch geklärt"})
    assert done.status_code == 303
    page = client.get(f"/studio/vorgaenge/{case_id}").get_data(as_text=True)
    assert "Position geändert" in page and "Begründung: Telefonisch geklärt" in page
    assert [t["element_id"] for t in queries.list_tasks(web_engine, case_id=case_id)] == ["freigeben"]


def test_process_page_shows_waiting_time_per_activity(client: Any, web_engine: Any, clock: Any) -> None:
    from engine.runtime.parsing import SourceFile

    result = deploy(web_engine, [SourceFile("m.bpmn", (model("migration") / "v2.bpmn").read_bytes())], actor="po")
    for hours in (2, 4):
        case_id = cases.start_case(web_engine, "migration_test", {}, actor="t", internal=True)
        clock.advance(timedelta(hours=hours))
        [task] = queries.list_tasks(web_engine, case_id=case_id)
        cases.complete_task(web_engine, task["id"], {}, actor="sb1", internal=True)
    login_as(client, "po")
    page = client.get("/studio/prozesse/migration_test").get_data(as_text=True)
    assert "Wartezeit Mittel" in page and "3 Std." in page and "4 Std." in page     # mean 3 h, p90 4 h
    diagram = client.get(f"/studio/definitionen/{result.processes[0].definition_id}/diagramm.json").get_json()
    assert diagram["waits"]["antrag_pruefen"] == {"completed": 2, "mean": "3 Std.", "seconds": 10800.0}
