# ruff: noqa: F811  (the fixtures imported from _app are test parameters)
"""Issue 12.2 and 12.7 over the API: who may choose an Aktenzeichen, who may send a message that
stands for a payment or a register entry, who may read an incident's stack trace."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from engine.jobs import JobExecutor
from engine.persistence import tables as t
from engine.services import cases, incidents, queries
from engine.services.deploy import deploy, read_paths
from tests.fakes import FakeConnector
from tests.integration.helpers import MODELS, deploy_models

from ._app import PROCESSES, app, as_user, bearer, client, people, post_json  # noqa: F401  (fixtures)

GEWERBE = {
    "antragsteller": {"familienname": "Mustermann", "vornamen": "Max", "geburtsdatum": "1962-03-01",
                      "email": "max.mustermann@example.org", "staatsangehoerigkeit": "deutsch"},
    "betrieb": {"name": "Fahrradladen Mustermann", "rechtsform": "Einzelunternehmen",
                "taetigkeit": "Einzelhandel mit Fahrrädern und Zubehör", "beginn": "2026-02-01",
                "anschrift": {"strasse": "Bahnhofstraße", "hausnummer": "8", "postleitzahl": "12345",
                              "ort": "Musterstadt"},
                "handwerk": "nein", "erlaubnispflichtig": False, "nebenerwerb": False},
    "elektronische_bekanntgabe": True,
}


def _case_count(engine) -> int:
    return len(queries.list_cases(engine, limit=100))


@pytest.fixture
def zahlung(engine):
    deploy_models(engine, "messages.bpmn")


def test_a_citizen_may_not_choose_the_business_key(engine, client, zahlung):
    as_user(client, "max")
    answer = post_json(client, "/api/v1/cases", {"key": "zahlung", "business_key": "2026-ERIKA1"})
    assert answer.status_code == 403 and "Aktenzeichen" in answer.json["detail"]
    assert _case_count(engine) == 0
    answer = post_json(client, "/api/v1/cases", {"key": "zahlung"})
    assert answer.status_code == 201
    assert queries.get_case(engine, answer.json["id"])["business_key"] == "2026-000001"


def test_a_clerk_token_without_the_scope_may_not_choose_it_a_system_token_may(engine, client, zahlung):
    answer = client.post("/api/v1/cases", json={"key": "zahlung", "business_key": "AZ-9"}, headers=bearer(engine, "sb1"))
    assert answer.status_code == 403 and _case_count(engine) == 0
    system = bearer(engine, "sb1", scopes=["business_key"])
    answer = client.post("/api/v1/cases", json={"key": "zahlung", "business_key": "AZ-9"}, headers=system)
    assert answer.status_code == 201 and queries.get_case(engine, answer.json["id"])["business_key"] == "AZ-9"
    again = client.post("/api/v1/cases", json={"key": "zahlung", "business_key": "AZ-9"}, headers=system)
    assert again.status_code == 409
    assert again.json["detail"] == "Das Aktenzeichen „AZ-9“ ist für diese Leistung bereits vergeben."
    assert _case_count(engine) == 1


def test_a_standard_process_started_over_the_api_gets_its_aktenzeichen(engine, client, clock):
    """Before: no business key, and the fee's service call failed with a TypeError (None + str)."""
    clock.advance(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc) - clock.now())
    deploy(engine, read_paths([str(PROCESSES / "gewerbeanmeldung")]), actor="po")
    as_user(client, "max")
    answer = post_json(client, "/api/v1/cases", {"key": "gewerbeanmeldung", "data": GEWERBE})
    assert answer.status_code == 201, answer.json
    view = queries.get_case(engine, answer.json["id"])
    assert view["business_key"] == "GA-2026-000001" and view["data"]["aktenzeichen"] == "GA-2026-000001"
    assert view["status"] != "failed"
    with engine.db.connect() as conn:
        payloads = conn.execute(select(t.jobs.c.payload).where(t.jobs.c.case_id == answer.json["id"])).scalars().all()
    assert payloads and all(not p.get("param_error") for p in payloads), payloads
    assert [p["params"]["kassenzeichen"] for p in payloads if p["operation"] == "payment.create_transaction"] \
        == ["GA-2026-000001"]


def test_a_payment_message_needs_a_system_token_scoped_to_it(engine, client, zahlung):
    deploy(engine, read_paths([str(PROCESSES / "bewohnerparkausweis")]), actor="po")   # reserves zahlung_gebucht
    body = {"name": "zahlung_gebucht", "key": "BP-2026-000001", "data": {"zahlung_status": "BOOKED"}}
    answer = client.post("/api/v1/messages", json=body, headers=bearer(engine, "sb1"))
    assert answer.status_code == 403 and "zahlung_gebucht" in answer.json["detail"]
    other = client.post("/api/v1/messages", json=body, headers=bearer(engine, "kasse", scopes=["message:x"]))
    assert other.status_code == 403
    with engine.db.connect() as conn:
        assert conn.execute(select(t.messages.c.id)).first() is None         # not even buffered
    allowed = client.post("/api/v1/messages", json=body,
                          headers=bearer(engine, "kasse", scopes=["message:zahlung_gebucht"]))
    assert allowed.status_code == 202 and allowed.json["status"] == "buffered"
    # a message no process reserves: any staff token, as before
    cases.start_case(engine, "zahlung", {}, business_key="KZ-1")
    free = client.post("/api/v1/messages", json={"name": "zahlung_eingegangen", "key": "KZ-1"},
                       headers=bearer(engine, "sb1"))
    assert free.status_code == 200 and free.json["status"] == "delivered"


def test_an_ambiguous_message_is_a_409_naming_the_cases(engine, client, zahlung):
    from tests.security.test_correlation import _second_payment_process

    _second_payment_process(engine)
    a = cases.start_case(engine, "zahlung", {}, business_key="KZ-5")
    b = cases.start_case(engine, "zahlung_b", {}, business_key="KZ-5")
    answer = client.post("/api/v1/messages", json={"name": "zahlung_eingegangen", "key": "KZ-5"},
                         headers=bearer(engine, "sb1"))
    assert answer.status_code == 409 and a in answer.json["detail"] and b in answer.json["detail"]


@pytest.fixture
def incident(engine):
    connector = FakeConnector()
    engine.connectors["test"] = connector
    deploy(engine, read_paths([str(MODELS / "service.bpmn")]), actor="po")
    connector.answer("lookup", bpmn_error="UNBEKANNT")
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, actor="sb1", internal=True)
    JobExecutor(engine, "w1").run_until_idle()
    [item] = incidents.list_incidents(engine, case_id=case_id)
    return item["id"]


def test_a_clerk_token_sees_incidents_without_stack_traces(engine, client, incident):
    shown = client.get(f"/api/v1/incidents/{incident}", headers=bearer(engine, "sb1"))
    assert shown.status_code == 200 and "UNBEKANNT" in shown.json["message"] and "details" not in shown.json
    resolved = client.post(f"/api/v1/incidents/{incident}/resolve", headers=bearer(engine, "sb1"))
    assert resolved.status_code == 200 and "details" not in resolved.json
    for name in ("po", "admin"):
        full = client.get(f"/api/v1/incidents/{incident}", headers=bearer(engine, name))
        assert "JobFailed" in full.json["details"]


def test_a_start_message_names_the_new_case_only_for_a_system_token(engine, client, zahlung):
    """A message start event with a key would otherwise let any staff token choose an Aktenzeichen."""
    body = {"name": "antrag_eingegangen", "key": "AZ-100", "data": {}}
    started = client.post("/api/v1/messages", json=body, headers=bearer(engine, "sb1"))
    assert started.status_code == 201
    assert queries.get_case(engine, started.json["case_id"])["business_key"] == "2026-000001"
    system = bearer(engine, "sb1", scopes=["business_key"])
    named = client.post("/api/v1/messages", json={**body, "key": "AZ-101"}, headers=system)
    assert queries.get_case(engine, named.json["case_id"])["business_key"] == "AZ-101"


FAILING = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://amtsflow.de/test">
  <bpmn:process id="kaputt" name="Kaputt" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="rechnen" scriptFormat="python"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>x = 1 / 0</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="rechnen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="rechnen" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_case_view_carries_no_stack_trace_for_citizens_and_clerks(engine, client):
    """The failed step's stack trace is in the audit log; only owners and admins may see it."""
    from engine.runtime.parsing import SourceFile

    deploy(engine, [SourceFile("kaputt.bpmn", FAILING)], actor="po")
    as_user(client, "max")
    started = post_json(client, "/api/v1/cases", {"key": "kaputt"})
    assert started.status_code == 201
    view = client.get(f"/api/v1/cases/{started.json['id']}")
    assert view.status_code == 200 and view.json["status"] == "failed"
    assert "Traceback" not in view.get_data(as_text=True)
    assert view.json["error"] and view.json["history"][0]["details"]["error"] == view.json["error"]  # the error shows
    with engine.db.connect() as conn:                                  # the audit log keeps the stack
        stored = conn.execute(select(t.audit_events.c.details).where(t.audit_events.c.case_id == started.json["id"])
                              ).scalars().all()
    assert any("Traceback" in (d or {}).get("stack", "") for d in stored)
