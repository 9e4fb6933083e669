"""Waiting for a case's next task (engine.services.task_wait, issue 13): a waiter wakes when
another thread or process writes the task, not by polling; a timeout answers empty."""

from __future__ import annotations

import threading
import time

import pytest

from engine.bootstrap import bootstrap
from engine.jobs import JobExecutor
from engine.services import cases, queries, task_wait
from engine.settings import Settings
from tests.conftest import in_scope
from tests.fakes import FakeConnector
from tests.integration.helpers import deploy_models

ANTRAG = ("antrag.bpmn", "antrag-start.schema.json", "pruefung.schema.json")
SLOW_RECHECK = 30.0   # the fallback re-check is out of reach: only a wake-up answers in time


def _start(engine) -> str:
    engine.connectors["register"] = FakeConnector()
    deploy_models(engine, *ANTRAG)
    return cases.start_case(engine, "antrag", {"name": "Erika", "anzahl": 2}, actor="sb1")


def _later(fn, delay: float = 0.3) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        fn()
    thread = threading.Thread(target=in_scope(run))
    thread.start()
    return thread


def test_a_waiter_wakes_when_another_thread_writes_the_task(engine, monkeypatch):
    monkeypatch.setattr(task_wait, "RECHECK_SECONDS", SLOW_RECHECK)
    case_id = _start(engine)
    assert queries.list_tasks(engine, case_id=case_id) == []      # waiting at the service job
    worker = _later(lambda: JobExecutor(engine, "w1").run_due())
    started = time.monotonic()
    try:
        [task] = task_wait.wait_for_tasks(engine, case_id, 20)
    finally:
        worker.join()
        task_wait.stop_listener(engine)
    assert task["case_id"] == case_id and task["element_id"] == "pruefen"
    assert time.monotonic() - started < 10        # woken, not found by the re-check


@pytest.mark.postgres
def test_a_waiter_wakes_when_another_process_writes_the_task(pg_url, monkeypatch):
    """Another engine (as another process: bells of its own) runs the job; only the NOTIFY of
    its commit can wake the waiter in time."""
    from tests.conftest import truncate_all

    monkeypatch.setattr(task_wait, "RECHECK_SECONDS", SLOW_RECHECK)
    web = bootstrap(Settings(database_url=pg_url, embedded_worker=False))
    truncate_all(web.db)
    worker_engine = bootstrap(Settings(database_url=pg_url), connectors={"register": FakeConnector()})
    try:
        case_id = _start(web)
        task_wait.ensure_listener(web)
        worker = _later(lambda: JobExecutor(worker_engine, "w1").run_due())
        started = time.monotonic()
        try:
            [task] = task_wait.wait_for_tasks(web, case_id, 20)
        finally:
            worker.join()
        assert task["element_id"] == "pruefen"
        assert time.monotonic() - started < 10
    finally:
        task_wait.stop_listener(web)
        web.db.dispose()
        worker_engine.db.dispose()


def test_a_timeout_answers_empty(engine):
    case_id = _start(engine)
    started = time.monotonic()
    assert task_wait.wait_for_tasks(engine, case_id, 0.3) == []
    assert time.monotonic() - started >= 0.3
    task_wait.stop_listener(engine)


def test_an_open_task_or_an_ended_case_answers_at_once(engine):
    case_id = _start(engine)
    JobExecutor(engine, "w1").run_due()
    started = time.monotonic()
    [task] = task_wait.wait_for_tasks(engine, case_id, 20)
    cases.complete_task(engine, task["id"], {"entscheidung": "genehmigt"}, actor="sb1")
    assert task_wait.wait_for_tasks(engine, case_id, 20) == []      # completed: nothing will come
    assert time.monotonic() - started < 5
    task_wait.stop_listener(engine)


def test_a_waiter_returns_when_the_case_ends_meanwhile(engine, monkeypatch):
    monkeypatch.setattr(task_wait, "RECHECK_SECONDS", SLOW_RECHECK)
    case_id = _start(engine)
    canceller = _later(lambda: cases.cancel_case(engine, case_id))
    started = time.monotonic()
    try:
        assert task_wait.wait_for_tasks(engine, case_id, 20) == []
    finally:
        canceller.join()
        task_wait.stop_listener(engine)
    assert time.monotonic() - started < 10        # woken by the end, not by the timeout


def _web_and_worker(pg_url):
    from tests.conftest import truncate_all

    web = bootstrap(Settings(database_url=pg_url, embedded_worker=False))
    truncate_all(web.db)
    worker_engine = bootstrap(Settings(database_url=pg_url), connectors={"register": FakeConnector()})
    task_wait.ensure_listener(web)      # listening before the start: the start marks its case quiet
    return web, worker_engine


def _counting_reads(monkeypatch) -> list[str]:
    reads: list[str] = []
    original = task_wait.open_tasks

    def counted(engine, case_id, **kwargs):
        reads.append(case_id)
        return original(engine, case_id, **kwargs)

    monkeypatch.setattr(task_wait, "open_tasks", counted)
    return reads


@pytest.mark.postgres
def test_a_case_this_process_left_quiet_is_read_once_woken(pg_url, monkeypatch):
    """The start left the case without a task; the first check is known without a read: the
    wait reads once, when another process's NOTIFY wakes it."""
    monkeypatch.setattr(task_wait, "RECHECK_SECONDS", SLOW_RECHECK)
    web, worker_engine = _web_and_worker(pg_url)
    try:
        case_id = _start(web)
        reads = _counting_reads(monkeypatch)
        worker = _later(lambda: JobExecutor(worker_engine, "w1").run_due())
        started = time.monotonic()
        try:
            [task] = task_wait.wait_for_tasks(web, case_id, 20)
        finally:
            worker.join()
        assert task["element_id"] == "pruefen" and time.monotonic() - started < 10
        assert reads == [case_id]
        assert task_wait.wait_for_tasks(web, case_id, 0.0) == [task]   # no wait: always read
    finally:
        task_wait.stop_listener(web)
        web.db.dispose()
        worker_engine.db.dispose()


@pytest.mark.postgres
def test_a_task_another_process_wrote_before_the_wait_is_found_at_once(pg_url, monkeypatch):
    """The NOTIFY of the task came before the client waited: it ended the case's quiet mark,
    so the wait reads and answers at once (not after its timeout)."""
    monkeypatch.setattr(task_wait, "RECHECK_SECONDS", SLOW_RECHECK)
    web, worker_engine = _web_and_worker(pg_url)
    try:
        case_id = _start(web)
        assert web.task_bells.quiet(case_id, "default")
        JobExecutor(worker_engine, "w1").run_due()
        deadline = time.monotonic() + 5
        while web.task_bells.quiet(case_id, "default") and time.monotonic() < deadline:
            time.sleep(0.02)      # the NOTIFY reaches the listener
        time.sleep(0.1)
        started = time.monotonic()
        [task] = task_wait.wait_for_tasks(web, case_id, 15)
        assert task["element_id"] == "pruefen"
        assert time.monotonic() - started < 5
    finally:
        task_wait.stop_listener(web)
        web.db.dispose()
        worker_engine.db.dispose()


@pytest.mark.postgres
def test_a_waiter_of_another_tenant_does_not_take_the_quiet_mark(pg_url, monkeypatch):
    """The mark holds for the case's tenant: a waiter acting for another reads (and is refused
    as before), it does not wait on the mark."""
    from engine.domain.errors import NotFound
    from engine.tenancy import tenant_scope
    from engine.services import tenants

    monkeypatch.setattr(task_wait, "RECHECK_SECONDS", SLOW_RECHECK)
    web, worker_engine = _web_and_worker(pg_url)
    try:
        case_id = _start(web)
        assert web.task_bells.quiet(case_id, "default")
        tenants.add_tenant(web, "musterstadt", "Musterstadt")
        started = time.monotonic()
        with tenant_scope("musterstadt"):
            with pytest.raises(NotFound):
                task_wait.wait_for_tasks(web, case_id, 10)
        assert time.monotonic() - started < 5      # refused by its first read, not after the wait
    finally:
        task_wait.stop_listener(web)
        web.db.dispose()
        worker_engine.db.dispose()
