"""Service jobs created by a process are handed to that process's worker after the commit."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.jobs import JobExecutor, WorkerThread
from engine.persistence import tables as t
from engine.services import cases, queries
from tests.fakes import FakeConnector
from tests.integration.helpers import deploy_models


@pytest.fixture
def connector(engine):
    fake = FakeConnector()
    engine.connectors["test"] = fake
    deploy_models(engine, "service.bpmn")
    return fake


def _jobs(engine):
    with engine.db.connect() as conn:
        return conn.execute(select(t.jobs)).all()


def _status(engine, case_id):
    return queries.get_case(engine, case_id, with_history=False)["status"]


def test_the_local_worker_runs_the_job_without_acquiring_it(engine, connector):
    local = JobExecutor(engine, "local").take_local_jobs()
    case_id = cases.start_case(engine, "service", {"name": "Erika"})
    [job] = _jobs(engine)
    assert job.lock_owner == "local"                       # locked in the start's own transaction
    assert JobExecutor(engine, "other").acquire() == []    # so no other worker takes it
    assert local.run_due() == 1
    assert _status(engine, case_id) == "completed"
    assert len(connector.calls) == 1 and _jobs(engine) == []


def test_jobs_of_a_process_that_died_go_to_any_worker_once_the_lock_expires(engine, connector, clock):
    JobExecutor(engine, "gone").take_local_jobs()          # never runs what it is handed
    case_id = cases.start_case(engine, "service", {"name": "Erika"})
    other = JobExecutor(engine, "other")
    assert other.run_due() == 0
    clock.advance(timedelta(seconds=engine.settings.job_lock_seconds + 1))
    assert other.run_due() == 1
    assert _status(engine, case_id) == "completed"


def test_stopping_the_local_worker_unlocks_what_it_did_not_run(engine, connector):
    local = JobExecutor(engine, "local").take_local_jobs()
    case_id = cases.start_case(engine, "service", {"name": "Erika"})
    local.release_local_jobs()
    assert engine.local_worker is None
    [job] = _jobs(engine)
    assert job.lock_owner is None
    assert JobExecutor(engine, "other").run_due() == 1
    assert _status(engine, case_id) == "completed"


def test_a_handed_over_job_whose_lock_ran_low_is_left_to_acquisition(engine, connector, clock):
    local = JobExecutor(engine, "local").take_local_jobs()
    case_id = cases.start_case(engine, "service", {"name": "Erika"})
    clock.advance(timedelta(seconds=engine.settings.job_lock_seconds * 0.75))
    assert local.run_due() == 0          # not run from the hand-over; the lock still holds others off
    assert connector.calls == []
    clock.advance(timedelta(seconds=engine.settings.job_lock_seconds))
    assert local.run_due() == 1          # acquired like any other job once the lock expired
    assert _status(engine, case_id) == "completed"


def test_handed_over_jobs_come_first_and_the_database_is_still_polled(engine, connector):
    waiting = cases.start_case(engine, "service", {"name": "Alt"})        # nobody local yet: unlocked
    local = JobExecutor(engine, "local", poll_seconds=3600).take_local_jobs()
    assert local.run_due() == 1          # the first round polls: takes the waiting job
    handed = cases.start_case(engine, "service", {"name": "Neu"})
    assert local.run_due() == 1          # the handed job, no poll within the poll interval
    assert _status(engine, waiting) == _status(engine, handed) == "completed"
    assert [c.params["name"] for c in connector.calls] == ["Alt", "Neu"]


def test_the_worker_thread_wakes_up_when_a_job_is_handed_over(engine, connector):
    thread = WorkerThread(engine, poll_seconds=60)   # would not poll again within this test
    thread.start()
    try:
        time.sleep(0.2)                              # first (empty) poll done: the thread sleeps
        case_id = cases.start_case(engine, "service", {"name": "Erika"})
        deadline = time.monotonic() + 10
        while _status(engine, case_id) != "completed" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _status(engine, case_id) == "completed"
    finally:
        thread.stop()
        thread.join(10)
    assert not thread.is_alive() and engine.local_worker is None
