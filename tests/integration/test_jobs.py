"""Job executor: service calls, retries, incidents, timers, messages, driven by the clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.jobs import JobExecutor
from engine.persistence import tables as t
from engine.services import cases, incidents, messages, queries
from tests.fakes import FakeConnector
from tests.integration.helpers import deploy_models


@pytest.fixture
def connector(engine):
    fake = FakeConnector()
    engine.connectors["test"] = fake
    return fake


def _jobs(engine):
    with engine.db.connect() as conn:
        return conn.execute(select(t.jobs)).all()


def test_service_task_runs_outside_the_command_and_completes(engine, connector):
    deploy_models(engine, "service.bpmn")
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, business_key="AZ-9", internal=True)
    assert connector.calls == []  # nothing called inside the start transaction
    assert queries.get_case(engine, case_id)["status"] == "running"
    assert JobExecutor(engine, "w1").run_until_idle() == 1
    [call] = connector.calls
    assert call.operation == "test.lookup"
    assert dict(call.params) == {"name": "Erika", "jahr": 2026}
    assert call.idempotency_key.startswith(case_id) and call.attempt == 1
    assert call.business_key == "AZ-9"
    view = queries.get_case(engine, case_id)
    assert view["status"] == "completed"
    assert view["data"]["person"] == {"found": True, "name": "Erika"} and view["data"]["gefunden"] is True
    assert _jobs(engine) == []


def test_business_error_goes_to_the_error_boundary_event(engine, connector):
    deploy_models(engine, "service.bpmn")
    connector.answer("lookup", bpmn_error="NOT_FOUND")
    case_id = cases.start_case(engine, "service", {"name": "Niemand"}, internal=True)
    JobExecutor(engine, "w1").run_until_idle()
    view = queries.get_case(engine, case_id)
    assert view["status"] == "completed"
    assert view["data"]["gefunden"] is False
    assert view["history"][-1]["details"]["bpmn_error"] == "NOT_FOUND"


def test_uncaught_business_error_raises_an_incident(engine, connector):
    deploy_models(engine, "service.bpmn")
    connector.answer("lookup", bpmn_error="UNBEKANNT")
    case_id = cases.start_case(engine, "service", {"name": "X"}, internal=True)
    JobExecutor(engine, "w1").run_until_idle()
    [incident] = incidents.list_incidents(engine, case_id=case_id)
    assert "UNBEKANNT" in incident["message"] and "not caught" in incident["message"]
    assert queries.get_case(engine, case_id)["status"] == "failed"


def test_technical_failures_retry_with_backoff_then_incident_then_retry_completes(engine, connector, clock):
    deploy_models(engine, "service.bpmn")
    connector.fail_with("lookup", "register unreachable (connection refused)")
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    worker = JobExecutor(engine, "w1")
    assert worker.run_due() == 1
    [job] = _jobs(engine)
    assert (job.retries, job.attempts) == (2, 1) and "unreachable" in job.last_error
    assert worker.run_due() == 0  # backing off: not due yet
    clock.advance(timedelta(seconds=10))
    assert worker.run_due() == 1
    clock.advance(timedelta(seconds=20))
    assert worker.run_due() == 1
    clock.advance(timedelta(hours=2))
    assert worker.run_due() == 0  # retries used up: one incident, no more attempts
    [incident] = incidents.list_incidents(engine, case_id=case_id)
    assert "unreachable" in incident["message"]
    assert "ConnectorError" in incidents.get_incident(engine, incident["id"])["details"]
    assert queries.get_case(engine, case_id)["status"] == "failed"
    assert len({c.idempotency_key for c in connector.calls}) == 1  # retries carry the same key
    assert [c.attempt for c in connector.calls] == [1, 2, 3]
    connector.answer("lookup", {"found": True})
    incidents.retry_incident(engine, incident["id"], actor="admin")
    worker.run_until_idle()
    view = queries.get_case(engine, case_id)
    assert view["status"] == "completed"
    assert incidents.list_incidents(engine, case_id=case_id) == []


def test_crashed_worker_lock_expires_and_another_worker_finishes(engine, connector, clock):
    deploy_models(engine, "service.bpmn")
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    crashed = JobExecutor(engine, "crashed")
    assert len(crashed.acquire()) == 1  # took the job, then died without running it
    other = JobExecutor(engine, "other")
    assert other.run_due() == 0  # still locked
    clock.advance(timedelta(seconds=engine.settings.job_lock_seconds + 1))
    assert other.run_due() == 1
    assert queries.get_case(engine, case_id)["status"] == "completed"


def test_timers_boundary_cycle_duration_and_date(engine, clock):
    deploy_models(engine, "timers.bpmn")
    start = clock.now()
    case_id = cases.start_case(engine, "timers", {"erinnerungen": 0, "stichtag": "2026-01-10T09:00:00+01:00"}, internal=True)
    due = sorted((j.element_id, j.due_at) for j in _jobs(engine))
    assert due == [("erinnerung", start + timedelta(hours=1)), ("frist", start + timedelta(days=14))]
    worker = JobExecutor(engine, "w")
    clock.advance(timedelta(minutes=59))
    assert worker.run_due() == 0
    clock.advance(timedelta(minutes=2))
    assert worker.run_due() == 1
    assert queries.get_case(engine, case_id)["data"]["erinnerungen"] == 1
    [task] = queries.list_tasks(engine, case_id=case_id)  # non-interrupting: still open
    clock.advance(timedelta(hours=1))
    worker.run_until_idle()
    fired = [h for h in queries.get_case(engine, case_id)["history"] if h["action"] == "timer_fired"]
    assert [h["details"]["element"] for h in fired] == ["erinnerung", "erinnerung"]
    clock.advance(timedelta(hours=1))
    assert worker.run_due() == 0  # R2: two reminders, then the cycle is over
    cases.complete_task(engine, task["id"], {}, actor="sb1")
    assert [j.element_id for j in _jobs(engine)] == ["warten"]  # boundary timers gone with the task
    clock.advance(timedelta(hours=2, seconds=1))
    worker.run_until_idle()
    [stichtag] = _jobs(engine)
    assert stichtag.element_id == "stichtag" and stichtag.due_at.isoformat() == "2026-01-10T08:00:00+00:00"
    clock.advance(timedelta(days=5))
    worker.run_until_idle()
    assert queries.get_case(engine, case_id)["status"] == "completed"


def test_interrupting_deadline_cancels_the_task(engine, clock):
    deploy_models(engine, "timers.bpmn")
    case_id = cases.start_case(engine, "timers", {"erinnerungen": 0, "stichtag": "2026-01-10T09:00:00+01:00"}, internal=True)
    clock.advance(timedelta(days=15))
    JobExecutor(engine, "w").run_until_idle()
    view = queries.get_case(engine, case_id)
    assert view["status"] == "completed" and view["open_tasks"] == []
    assert _jobs(engine) == []


def test_suspended_case_runs_no_jobs_until_resumed(engine, clock):
    deploy_models(engine, "timers.bpmn")
    case_id = cases.start_case(engine, "timers", {"erinnerungen": 0, "stichtag": "2026-01-10T09:00:00+01:00"}, internal=True)
    cases.set_suspended(engine, case_id, True)
    clock.advance(timedelta(days=15))
    assert JobExecutor(engine, "w").run_due() == 0
    cases.set_suspended(engine, case_id, False)
    JobExecutor(engine, "w").run_until_idle()
    assert queries.get_case(engine, case_id)["status"] == "completed"


def test_message_routed_by_business_key_and_idempotent_by_id(engine):
    deploy_models(engine, "messages.bpmn")
    a = cases.start_case(engine, "zahlung", {}, business_key="KZ-1")
    b = cases.start_case(engine, "zahlung", {}, business_key="KZ-2")
    out = messages.correlate_message(engine, "zahlung_eingegangen", "KZ-2", {"betrag": 30}, message_id="pay-1")
    assert (out.status, out.case_id) == ("delivered", b)
    again = messages.correlate_message(engine, "zahlung_eingegangen", "KZ-2", {"betrag": 30}, message_id="pay-1")
    assert (again.status, again.case_id) == ("duplicate", b)
    assert queries.get_case(engine, b)["data"]["betrag"] == 30
    assert "betrag" not in queries.get_case(engine, a)["data"]
    assert [h["action"] for h in queries.get_case(engine, b)["history"]].count("message_received") == 1
    assert messages.broadcast_signal(engine, "fristverlaengerung") == 1
    assert queries.get_case(engine, b)["status"] == "completed"
    assert queries.get_case(engine, a)["status"] == "waiting"


def test_early_message_is_buffered_and_delivered_when_the_case_waits(engine, clock):
    deploy_models(engine, "messages.bpmn")
    out = messages.correlate_message(engine, "zahlung_eingegangen", "KZ-7", {"betrag": 12}, message_id="m-7")
    assert out.status == "buffered"
    case_id = cases.start_case(engine, "zahlung", {}, business_key="KZ-7")
    JobExecutor(engine, "w").run_until_idle()
    view = queries.get_case(engine, case_id)
    assert view["data"]["betrag"] == 12
    assert messages.correlate_message(engine, "zahlung_eingegangen", "KZ-7", {}, message_id="m-7").status == "duplicate"


def _buffered(engine) -> list:
    with engine.db.connect() as conn:
        return list(conn.execute(select(t.messages.c.id, t.messages.c.delivered_at)))


def _ttl_jobs(engine) -> list:
    with engine.db.connect() as conn:
        return list(conn.execute(select(t.jobs.c.id, t.jobs.c.due_at, t.jobs.c.payload)
                                 .where(t.jobs.c.kind == "message_ttl")))


def test_a_buffered_message_is_removed_by_its_ttl_job_once_it_expired(engine, clock):
    deploy_models(engine, "messages.bpmn")
    messages.correlate_message(engine, "zahlung_eingegangen", "KZ-8", {"betrag": 1})
    [(message_id, _)] = _buffered(engine)
    ttl = timedelta(seconds=engine.settings.message_ttl_seconds)
    assert _ttl_jobs(engine) == [(messages.ttl_job_id(message_id), clock.now() + ttl, {"message": message_id})]
    clock.advance(ttl - timedelta(seconds=1))
    JobExecutor(engine, "w").run_until_idle()            # not yet due
    assert len(_buffered(engine)) == 1
    clock.advance(timedelta(seconds=2))
    JobExecutor(engine, "w").run_until_idle()
    assert _buffered(engine) == [] and _ttl_jobs(engine) == []       # its payload with it
    case_id = cases.start_case(engine, "zahlung", {}, business_key="KZ-8")
    JobExecutor(engine, "w").run_until_idle()
    assert "betrag" not in queries.get_case(engine, case_id)["data"]


def test_a_buffered_message_delivered_in_time_no_longer_expires(engine, clock):
    deploy_models(engine, "messages.bpmn")
    messages.correlate_message(engine, "zahlung_eingegangen", "KZ-9", {"betrag": 3}, message_id="m-9")
    case_id = cases.start_case(engine, "zahlung", {}, business_key="KZ-9")
    JobExecutor(engine, "w").run_until_idle()
    assert queries.get_case(engine, case_id)["data"]["betrag"] == 3
    assert _ttl_jobs(engine) == [] and _buffered(engine)[0][1] is not None   # the record of the delivery stays
    clock.advance(timedelta(seconds=engine.settings.message_ttl_seconds + 1))
    JobExecutor(engine, "w").run_until_idle()
    assert len(_buffered(engine)) == 1
    assert messages.correlate_message(engine, "zahlung_eingegangen", "KZ-9", {}, message_id="m-9").status == "duplicate"


def test_message_start_event_starts_a_case(engine):
    deploy_models(engine, "messages.bpmn")
    out = messages.correlate_message(engine, "antrag_eingegangen", "AZ-100", {"antragsteller": "Erika"},
                                     message_id="sub-1")
    assert out.status == "started"
    view = queries.get_case(engine, out.case_id)
    assert view["business_key"] == "AZ-100" and view["data"]["antragsteller"] == "Erika"
    assert [x["name"] for x in view["open_tasks"]] == ["Eingang prüfen"]
    assert messages.correlate_message(engine, "antrag_eingegangen", "AZ-100", {}, message_id="sub-1").status == "duplicate"


def test_cycle_timer_start_event_starts_cases_on_schedule(engine, clock):
    deploy_models(engine, "reminder.bpmn")
    [job] = _jobs(engine)
    assert (job.kind, job.case_id, job.due_at) == ("start_timer", None, clock.now() + timedelta(hours=1))
    worker = JobExecutor(engine, "w")
    assert worker.run_due() == 0
    for hour in range(1, 5):
        clock.advance(timedelta(hours=1))
        worker.run_until_idle()
    started = queries.list_cases(engine, process_key="reminder")
    assert len(started) == 3  # R3: three firings, then the schedule ends
    assert all(c["started_by"] == "scheduler" and c["status"] == "waiting" for c in started)
    assert [t["name"] for t in queries.list_tasks(engine, process_key="reminder")] == ["Verlängerungen prüfen"] * 3
    assert _jobs(engine) == []


def test_new_version_replaces_the_start_schedule(engine, clock, tmp_path):
    from engine.services.deploy import deploy, read_paths
    from tests.integration.helpers import MODELS

    deploy_models(engine, "reminder.bpmn")
    changed = tmp_path / "reminder.bpmn"
    changed.write_text((MODELS / "reminder.bpmn").read_text().replace('"R3/PT1H"', '"R/PT2H"'))
    deploy(engine, read_paths([str(changed)]))
    [job] = _jobs(engine)
    assert job.due_at == clock.now() + timedelta(hours=2) and job.payload["remaining"] == -1
    clock.advance(timedelta(hours=2))
    JobExecutor(engine, "w").run_until_idle()
    [case] = queries.list_cases(engine, process_key="reminder")
    assert case["version"] == 2
    assert len(_jobs(engine)) == 1  # endless cycle: the next firing is scheduled


def test_generated_documents_are_stored_with_the_case_not_in_its_data(engine, connector):
    import base64

    from engine.services import documents

    deploy_models(engine, "service.bpmn")
    pdf = b"%PDF-1.7 Bescheid"
    connector.answer("lookup", {"found": True, "filename": "bescheid.pdf", "mime_type": "application/pdf",
                                "content_base64": base64.b64encode(pdf).decode()})
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    JobExecutor(engine, "w").run_until_idle()
    person = queries.get_case(engine, case_id)["data"]["person"]
    assert "content_base64" not in person
    [doc] = documents.list_for_case(engine, case_id)
    meta, content = documents.get(engine, person["document_ref"])
    assert content == pdf and meta.filename == "bescheid.pdf" and doc.kind == "decision"


def test_a_failing_start_schedule_raises_an_incident_without_a_case(engine, clock, monkeypatch):
    from engine.services import schedules

    deploy_models(engine, "reminder.bpmn")

    def broken(_engine, _job):
        raise RuntimeError("scheduler broke")

    monkeypatch.setattr(schedules, "fire", broken)
    worker = JobExecutor(engine, "w")
    clock.advance(timedelta(hours=1))
    for _ in range(4):
        worker.run_due()
        clock.advance(timedelta(hours=2))
    [incident] = incidents.list_incidents(engine)
    assert incident["case_id"] is None and incident["element_id"] == "reminder"
    assert "scheduler broke" in incident["message"]
    monkeypatch.undo()
    incidents.retry_incident(engine, incident["id"], actor="admin")
    worker.run_until_idle()
    assert len(queries.list_cases(engine, process_key="reminder")) == 1
