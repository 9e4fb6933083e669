"""REST API for systems: messages and signals (API tokens of staff accounts only), incidents
(tokens, process owners, admins): outcomes, bad input, idempotency and who may."""

from __future__ import annotations

from typing import Any

import pytest

from engine.jobs import JobExecutor
from engine.services import cases, identity, incidents, queries
from engine.services.deploy import deploy, read_paths
from tests.web.conftest import csrf_token, login_as
from tests.web.helpers import MODELS

PAYMENT = {"zahlungs_url": "https://bezahlen.example/tx-1", "betrag_cent": 3000, "kassenzeichen": "2026-PAY001",
           "status": "INITIAL", "transaktions_id": "tx-12345678"}


def bearer(web_engine: Any, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {identity.create_api_token(web_engine, username, 'system')[1]}"}


@pytest.fixture
def gebuehr(web_engine: Any) -> str:
    deploy(web_engine, read_paths([str(MODELS / "gebuehr.bpmn")]), actor="po")
    return cases.start_case(web_engine, "gebuehr", {"zahlung": PAYMENT}, business_key="2026-PAY001", actor="erika", internal=True)


def test_message_is_delivered_once_per_message_id(client, web_engine, gebuehr):
    system = bearer(web_engine, "kasse1")
    body = {"name": "zahlung_gebucht", "key": "2026-PAY001", "data": {"zahlung_status": "BOOKED"},
            "message_id": "kasse:4711"}
    first = client.post("/api/v1/messages", json=body, headers=system)
    assert first.status_code == 200 and first.json == {"status": "delivered", "case_id": gebuehr}
    again = client.post("/api/v1/messages", json=body, headers=system)
    assert again.status_code == 200 and again.json == {"status": "duplicate", "case_id": gebuehr}
    view = queries.get_case(web_engine, gebuehr)
    assert view["status"] == "completed" and view["data"]["zahlung_status"] == "BOOKED"
    assert [h["actor"] for h in view["history"] if h["action"] == "message_received"] == ["kasse1"]


def test_message_without_waiting_case_is_buffered_and_delivered_later(client, web_engine):
    system = bearer(web_engine, "admin")
    answer = client.post("/api/v1/messages", json={"name": "zahlung_gebucht", "key": "2026-SPAET1"}, headers=system)
    assert answer.status_code == 202 and answer.json == {"status": "buffered", "case_id": None}
    deploy(web_engine, read_paths([str(MODELS / "gebuehr.bpmn")]), actor="po")
    case_id = cases.start_case(web_engine, "gebuehr", {}, business_key="2026-SPAET1", actor="erika")
    JobExecutor(web_engine, "w1").run_until_idle()
    assert queries.get_case(web_engine, case_id)["status"] == "completed"


def test_message_can_start_a_case(client, web_engine):
    deploy(web_engine, read_paths([str(MODELS.parents[1] / "models" / "messages.bpmn")]), actor="po")
    # the key names the new case only for a token that may choose business keys (issue 12.2)
    system = {"Authorization": "Bearer " + identity.create_api_token(web_engine, "sb1", "system",
                                                                     scopes=["business_key"])[1]}
    answer = client.post("/api/v1/messages", json={"name": "antrag_eingegangen", "key": "2026-MSG001"},
                         headers=system)
    assert answer.status_code == 201 and answer.json["status"] == "started"
    assert queries.get_case(web_engine, answer.json["case_id"])["business_key"] == "2026-MSG001"


@pytest.mark.parametrize("body", [
    {}, {"name": ""}, {"name": 5}, {"name": "x" * 201}, {"name": "m", "key": 7}, {"name": "m", "data": [1]},
    {"name": "m", "message_id": ""}, {"name": "m", "message_id": {"id": 1}},
])
def test_bad_messages_are_refused_with_a_german_problem(client, web_engine, body):
    answer = client.post("/api/v1/messages", json=body, headers=bearer(web_engine, "sb1"))
    assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
    assert "Ungültiges Feld" in answer.json["detail"]


def test_message_body_must_be_json(client, web_engine):
    answer = client.post("/api/v1/messages", data="name=x", headers=bearer(web_engine, "sb1"))
    assert answer.status_code == 400 and "JSON" in answer.json["detail"]


def test_messages_need_a_system_token_not_a_session_or_citizen(client, web_engine, gebuehr):
    body = {"name": "zahlung_gebucht", "key": "2026-PAY001"}
    assert client.post("/api/v1/messages", json=body).status_code == 401
    assert client.post("/api/v1/messages", json=body, headers=bearer(web_engine, "erika")).status_code == 403
    login_as(client, "admin")
    token = csrf_token(client, "/admin/")
    assert client.post("/api/v1/messages", json=body, headers={"X-CSRFToken": token}).status_code == 403
    assert queries.get_case(web_engine, gebuehr)["status"] == "waiting"


def test_signal_reaches_every_waiting_case(client, web_engine):
    deploy(web_engine, read_paths([str(MODELS.parents[1] / "models" / "messages.bpmn")]), actor="po")
    ids = [cases.start_case(web_engine, "zahlung", {}, business_key=f"2026-SIG{i}") for i in range(2)]
    system = bearer(web_engine, "sb1")
    for case_id in ids:
        client.post("/api/v1/messages", json={"name": "zahlung_eingegangen", "key": queries.get_case(
            web_engine, case_id)["business_key"]}, headers=system)
    answer = client.post("/api/v1/signals", json={"name": "fristverlaengerung", "data": {"tage": 14}}, headers=system)
    assert answer.status_code == 200 and answer.json == {"name": "fristverlaengerung", "delivered": 2}
    assert {queries.get_case(web_engine, c)["status"] for c in ids} == {"completed"}
    assert client.post("/api/v1/signals", json={"name": ""}, headers=system).status_code == 400
    assert client.post("/api/v1/signals", json={"name": "x"}, headers=bearer(web_engine, "erika")).status_code == 403


def test_incidents_list_show_retry_and_resolve_for_systems(client, web_engine, incident):
    system = bearer(web_engine, "sb1")
    listed = client.get("/api/v1/incidents", headers=system)
    assert listed.status_code == 200 and [i["id"] for i in listed.json] == [incident["incident"]]
    assert "details" not in listed.json[0]                       # the stack only in the single view
    shown = client.get(f"/api/v1/incidents/{incident['incident']}", headers=system).json
    assert "UNBEKANNT" in shown["message"] and "details" not in shown     # a clerk's token: no stack trace
    shown = client.get(f"/api/v1/incidents/{incident['incident']}", headers=bearer(web_engine, "po")).json
    assert "JobFailed" in shown["details"]                                # a process owner's token: the stack
    assert client.get(f"/api/v1/incidents?case_id={incident['case']}", headers=system).json[0]["kind"] == "job"
    retried = client.post(f"/api/v1/incidents/{incident['incident']}/retry", json={"retries": 2}, headers=system)
    assert retried.status_code == 200 and retried.json["status"] == "resolved"
    JobExecutor(web_engine, "w1").run_until_idle()
    assert queries.get_case(web_engine, incident["case"])["status"] == "completed"
    again = client.post(f"/api/v1/incidents/{incident['incident']}/resolve", headers=system)
    assert again.status_code == 409 and again.json["detail"] == "Die Störung ist bereits erledigt."
    assert client.get("/api/v1/incidents", headers=system).json == []
    assert len(client.get("/api/v1/incidents?status=all", headers=system).json) == 1


def test_incident_resolve_with_note_by_an_owner_session(client, web_engine, incident):
    login_as(client, "po")
    token = csrf_token(client, "/studio/")
    answer = client.post(f"/api/v1/incidents/{incident['incident']}/resolve", json={"note": "per Telefon geklärt"},
                         headers={"X-CSRFToken": token})
    assert answer.status_code == 200 and answer.json["status"] == "resolved"
    history = queries.get_case(web_engine, incident["case"])["history"]
    assert history[-1]["action"] == "incident_resolved" and history[-1]["details"]["note"] == "per Telefon geklärt"
    assert incidents.list_incidents(web_engine) == []


@pytest.mark.parametrize("path,body,message", [
    ("/api/v1/incidents?status=kaputt", None, "status muss"),
    ("/api/v1/incidents/{id}/retry", {"retries": 0}, "retries muss"),
    ("/api/v1/incidents/{id}/retry", {"retries": "3"}, "retries muss"),
    ("/api/v1/incidents/{id}/resolve", {"note": "x" * 1001}, "note muss"),
])
def test_bad_incident_requests(client, web_engine, incident, path, body, message):
    system = bearer(web_engine, "admin")
    url = path.format(id=incident["incident"])
    answer = client.get(url, headers=system) if body is None else client.post(url, json=body, headers=system)
    assert answer.status_code == 400 and message in answer.json["detail"]


def test_unknown_incident_is_404(client, web_engine):
    system = bearer(web_engine, "admin")
    assert client.get("/api/v1/incidents/gibt-es-nicht", headers=system).status_code == 404
    assert client.post("/api/v1/incidents/gibt-es-nicht/retry", headers=system).status_code == 404


def test_incidents_are_refused_to_citizens_and_clerk_sessions(client, web_engine, incident):
    assert client.get("/api/v1/incidents", headers=bearer(web_engine, "erika")).status_code == 403
    login_as(client, "sb1")
    assert client.get("/api/v1/incidents").status_code == 403
    assert client.get(f"/api/v1/incidents/{incident['incident']}").status_code == 403
