"""A worker with several executor threads (engine/job_pool.py): jobs run at the same time,
each exactly once, and only as many are acquired as threads are idle."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from engine.jobs import WorkerThread
from engine.persistence import tables as t
from engine.services import cases, queries
from engine.settings import Settings
from tests.conftest import TEST_COMMAND_SECONDS
from tests.fakes import FakeConnector
from tests.integration.helpers import deploy_models

WAIT = 60.0  # seconds a test waits for the worker before it fails (never reached when it works)


@pytest.fixture
def worker_engine(database_url, clock):
    """The worker's own process, as `amtsflow worker` runs beside the web process."""
    from engine.bootstrap import bootstrap

    eng = bootstrap(Settings(database_url=database_url, max_command_seconds=TEST_COMMAND_SECONDS), clock=clock)
    yield eng
    eng.db.dispose()


@pytest.fixture
def connector(engine, worker_engine):
    fake = FakeConnector()
    worker_engine.connectors["test"] = fake
    engine.connectors["test"] = fake
    deploy_models(engine, "service.bpmn")
    return fake


def _jobs(engine):
    with engine.db.connect() as conn:
        return conn.execute(select(t.jobs)).all()


def _wait_until(condition):
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _all_completed(engine, case_ids):
    return all(queries.get_case(engine, c, with_history=False)["status"] == "completed" for c in case_ids)


def _state(engine, case_ids, connector):
    """What a failed wait reports: each case's status and incidents, the jobs left, the calls made."""
    found = [queries.get_case(engine, c, with_history=False) for c in case_ids]
    return {"cases": [(c["status"], [i["message"] for i in c.get("incidents") or []]) for c in found],
            "jobs": [(j.kind, j.lock_owner, j.attempts, j.last_error) for j in _jobs(engine)],
            "calls": [call.idempotency_key for call in connector.calls]}


def _running(worker):
    worker.start()
    return worker


def _stop(worker):
    worker.stop()
    worker.join(timeout=WAIT)
    assert not worker.is_alive()


def test_the_threads_of_one_worker_run_jobs_at_the_same_time(engine, worker_engine, connector):
    """Each call waits until three calls are in flight: one thread alone would never get there."""
    meeting = threading.Barrier(3, timeout=WAIT)
    answer = connector.behaviour["lookup"]

    def together(request):
        meeting.wait()
        return answer(request)

    connector.behaviour["lookup"] = together
    case_ids = [cases.start_case(engine, "service", {"name": f"P{i}"}, internal=True) for i in range(3)]
    worker = _running(WorkerThread(worker_engine, poll_seconds=0.05, threads=3))
    try:
        assert _wait_until(lambda: _all_completed(engine, case_ids)), _state(engine, case_ids, connector)
    finally:
        _stop(worker)
    assert len(connector.calls) == 3 and _jobs(engine) == []


def test_with_several_threads_each_job_runs_once(engine, worker_engine, connector):
    case_ids = [cases.start_case(engine, "service", {"name": f"P{i}"}, internal=True) for i in range(24)]
    worker = _running(WorkerThread(worker_engine, poll_seconds=0.05, threads=4))
    try:
        assert _wait_until(lambda: _all_completed(engine, case_ids)), _state(engine, case_ids, connector)
    finally:
        _stop(worker)
    keys = [call.idempotency_key for call in connector.calls]
    assert len(keys) == 24 and len(set(keys)) == 24
    assert _jobs(engine) == []


def test_only_as_many_jobs_are_acquired_as_threads_are_idle(engine, worker_engine, connector):
    """Two threads both busy: the third job stays free for any other worker, and runs here later."""
    release = threading.Event()
    started = threading.Semaphore(0)
    answer = connector.behaviour["lookup"]

    def blocking(request):
        started.release()
        release.wait(WAIT)
        return answer(request)

    connector.behaviour["lookup"] = blocking
    case_ids = [cases.start_case(engine, "service", {"name": f"P{i}"}, internal=True) for i in range(3)]
    worker = _running(WorkerThread(worker_engine, poll_seconds=0.05, threads=2))
    try:
        assert started.acquire(timeout=WAIT) and started.acquire(timeout=WAIT)  # both threads in a call
        time.sleep(0.3)  # several polls of the acquisition thread while both threads are busy
        owners = sorted(str(job.lock_owner) for job in _jobs(engine))
        assert owners.count(worker.executor.owner) == 2 and owners.count("None") == 1, (worker.executor.owner, owners)
        release.set()
        assert _wait_until(lambda: _all_completed(engine, case_ids)), _state(engine, case_ids, connector)
    finally:
        release.set()
        _stop(worker)
    assert len(connector.calls) == 3, _state(engine, case_ids, connector)


def test_stopping_finishes_the_running_job(engine, worker_engine, connector):
    entered = threading.Event()
    release = threading.Event()
    answer = connector.behaviour["lookup"]

    def slow(request):
        entered.set()
        release.wait(WAIT)
        return answer(request)

    connector.behaviour["lookup"] = slow
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    worker = _running(WorkerThread(worker_engine, poll_seconds=0.05, threads=2))
    assert entered.wait(WAIT)
    worker.stop()
    release.set()
    worker.join(timeout=WAIT)
    assert not worker.is_alive()
    assert queries.get_case(engine, case_id, with_history=False)["status"] == "completed"
    assert _jobs(engine) == []


def test_the_default_is_one_thread_on_sqlite_and_four_on_postgresql():
    assert Settings(database_url="sqlite:///x.sqlite").job_threads == 1
    assert Settings(database_url="postgresql+psycopg://h/db").job_threads == 4
    assert Settings.from_env({"AMTSFLOW_DATABASE_URL": "postgresql+psycopg://h/db",
                              "AMTSFLOW_WORKER_THREADS": "2"}).job_threads == 2
