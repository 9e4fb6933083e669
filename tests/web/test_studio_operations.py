"""Studio: incidents with retry and resolve (owners and admins), linked from the KPI page, and what
changed between two versions of a process."""

from __future__ import annotations

import io
import re
from typing import Any

from engine.jobs import JobExecutor
from engine.services import incidents, queries
from engine.services.deploy import SourceFile, deploy
from tests.web.conftest import csrf_token, login_as
from tests.web.helpers import MODELS, WEBANTRAG


def test_kpi_page_links_to_open_incidents(client, incident):
    login_as(client, "po")
    page = client.get("/studio/").get_data(as_text=True)
    assert 'href="/studio/stoerungen"' in page and "offene Störungen ansehen" in page


def test_incident_list_and_detail_show_error_and_stack(client, incident):
    login_as(client, "po")
    page = client.get("/studio/stoerungen").get_data(as_text=True)
    assert "2026-STOER1" in page and "Register abfragen" in page and "Registerabfrage" in page
    assert "UNBEKANNT" in page and "Erneut versuchen" in page and "Als erledigt markieren" in page
    detail = client.get(f"/studio/stoerungen/{incident['incident']}").get_data(as_text=True)
    assert "Störung im Vorgang 2026-STOER1" in detail and "Technische Details (Stacktrace)" in detail
    assert "Traceback" in detail and "JobFailed" in detail


def test_retry_from_the_studio_completes_the_case(client, web_engine, incident):
    login_as(client, "po")
    token = csrf_token(client, "/studio/stoerungen")
    answer = client.post(f"/studio/stoerungen/{incident['incident']}/wiederholen", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"] == "/studio/stoerungen"
    assert "Der Schritt wird erneut versucht." in client.get("/studio/stoerungen").get_data(as_text=True)
    JobExecutor(web_engine, "w1").run_until_idle()
    assert queries.get_case(web_engine, incident["case"])["status"] == "completed"
    assert "Keine offenen Störungen." in client.get("/studio/stoerungen").get_data(as_text=True)
    resolved = client.get("/studio/stoerungen?stand=resolved").get_data(as_text=True)
    assert "2026-STOER1" in resolved and "/wiederholen" not in resolved


def test_resolve_with_a_note_by_an_admin(client, web_engine, incident):
    login_as(client, "admin")
    nav = client.get("/admin/").get_data(as_text=True)
    assert 'href="/studio/stoerungen"' in nav                      # admins reach the incidents from the menu
    token = csrf_token(client, "/studio/stoerungen")
    answer = client.post(f"/studio/stoerungen/{incident['incident']}/erledigt",
                         data={"csrf_token": token, "notiz": "Im Register von Hand nachgetragen"})
    assert answer.status_code == 303
    assert incidents.get_incident(web_engine, incident["incident"])["status"] == "resolved"
    history = queries.get_case(web_engine, incident["case"])["history"]
    assert history[-1]["details"]["note"] == "Im Register von Hand nachgetragen"
    again = client.post(f"/studio/stoerungen/{incident['incident']}/wiederholen", data={"csrf_token": token})
    assert again.status_code == 303 and again.headers["Location"].endswith(incident["incident"])
    assert "Die Störung ist bereits erledigt." in client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Studio" not in re.findall(r'<ul class="site-nav">(.*?)</ul>', nav, re.DOTALL)[0]  # no other studio page
    assert client.get("/studio/").status_code == 403


def test_too_long_note_is_refused(client, web_engine, incident):
    login_as(client, "po")
    token = csrf_token(client, "/studio/stoerungen")
    answer = client.post(f"/studio/stoerungen/{incident['incident']}/erledigt",
                         data={"csrf_token": token, "notiz": "x" * 1001})
    assert answer.status_code == 303
    assert "höchstens 1000 Zeichen" in client.get(answer.headers["Location"]).get_data(as_text=True)
    assert incidents.get_incident(web_engine, incident["incident"])["status"] == "open"


def test_unknown_incident_is_404(client):
    login_as(client, "po")
    token = csrf_token(client, "/studio/")
    assert client.get("/studio/stoerungen/gibt-es-nicht").status_code == 404
    assert client.post("/studio/stoerungen/gibt-es-nicht/wiederholen", data={"csrf_token": token}).status_code == 404


def _version(web_engine: Any, bpmn: str) -> Any:
    files = [SourceFile(n, (MODELS / n).read_bytes()) for n in WEBANTRAG if n != "webantrag.bpmn"]
    return deploy(web_engine, files + [SourceFile("webantrag.bpmn", bpmn.encode())], actor="po")


def test_what_changed_between_versions(client, web_engine):
    original = (MODELS / "webantrag.bpmn").read_text(encoding="utf-8")
    _version(web_engine, original)
    _version(web_engine, original.replace('name="Antrag prüfen"', 'name="Antrag sachlich prüfen"')
             .replace("end_ok", "end_entschieden"))
    _version(web_engine, original.replace("end_ok", "end_neu").replace('name="Entschieden"', 'name="Beschieden"'))
    login_as(client, "po")
    process_page = client.get("/studio/prozesse/webantrag").get_data(as_text=True)
    assert 'href="/studio/prozesse/webantrag/aenderungen?bis=3"' in process_page
    page = client.get("/studio/prozesse/webantrag/aenderungen?von=1&bis=2").get_data(as_text=True)
    assert "Umbenannte Elemente (1)" in page and "„Antrag prüfen“ → „Antrag sachlich prüfen“" in page
    assert "Geänderte Element-IDs (1)" in page and "<code>end_ok</code> → <code>end_entschieden</code>" in page
    assert "<code>webantrag.bpmn</code> – geändert" in page and "Neue Elemente" not in page
    page = client.get("/studio/prozesse/webantrag/aenderungen?von=1&bis=3").get_data(as_text=True)
    assert "Neue Elemente (1)" in page and "Beschieden <code>end_neu</code> (Endereignis)" in page
    assert "Entfernte Elemente (1)" in page and "Entschieden <code>end_ok</code>" in page
    default = client.get("/studio/prozesse/webantrag/aenderungen").get_data(as_text=True)
    assert 'value="2" selected' in default and 'value="3" selected' in default
    same = client.get("/studio/prozesse/webantrag/aenderungen?von=2&bis=2").get_data(as_text=True)
    assert "nichts zu vergleichen" in same
    assert client.get("/studio/prozesse/webantrag/aenderungen?von=9").status_code == 404
    assert client.get("/studio/prozesse/gibtsnicht/aenderungen").status_code == 404


def test_upload_report_links_to_the_changes(client, web_engine):
    _version(web_engine, (MODELS / "webantrag.bpmn").read_text(encoding="utf-8"))
    login_as(client, "po")
    token = csrf_token(client, "/studio/")
    changed = (MODELS / "webantrag.bpmn").read_bytes().replace("Antrag prüfen".encode(), b"Antrag ansehen")
    files = [(io.BytesIO((MODELS / n).read_bytes()), n) for n in WEBANTRAG if n != "webantrag.bpmn"]
    page = client.post("/studio/bereitstellen", content_type="multipart/form-data",
                       data={"csrf_token": token, "files": files + [(io.BytesIO(changed), "webantrag.bpmn")]})
    assert 'href="/studio/prozesse/webantrag/aenderungen?bis=2"' in page.get_data(as_text=True)


def test_files_are_compared_by_name_whatever_folder_they_came_from(client, web_engine):
    from engine.services.deploy import read_paths
    deploy(web_engine, read_paths([str(MODELS / n) for n in WEBANTRAG]), actor="po")       # full paths
    _version(web_engine, (MODELS / "webantrag.bpmn").read_text(encoding="utf-8").replace("Entschieden", "Fertig"))
    login_as(client, "po")
    page = client.get("/studio/prozesse/webantrag/aenderungen").get_data(as_text=True)
    assert "Geänderte Dateien (1)" in page and "<code>webantrag.bpmn</code> – geändert" in page
    assert "– neu" not in page and "– entfernt" not in page


def test_an_incident_of_a_start_schedule_has_no_case_and_still_shows(client, web_engine):
    import uuid

    from engine.persistence import tables as t

    incident_id = str(uuid.uuid4())
    with web_engine.db.begin() as conn:
        conn.execute(t.incidents.insert(), dict(
            id=incident_id, case_id=None, job_id=None, task_id=None, element_id="verlaengerung", kind="job",
            message="start timer failed", details="Traceback ...", status="open",
            created_at=web_engine.clock.now()))
    login_as(client, "po")
    page = client.get("/studio/stoerungen").get_data(as_text=True)
    assert "Zeitplan verlaengerung" in page and "start timer failed" in page
    assert client.get(f"/studio/stoerungen/{incident_id}").status_code == 200
