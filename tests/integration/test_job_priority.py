"""Job priorities and the NOTIFY wake-up of idle workers (issue 13)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.bootstrap import bootstrap
from engine.domain import priorities
from engine.jobs import JobExecutor, WorkerThread
from engine.persistence import tables as t
from engine.persistence.notify import subscribe
from engine.runtime.parsing import SourceFile
from engine.services import cases, queries
from engine.services.deploy import deploy
from engine.settings import Settings
from tests.fakes import FakeConnector
from tests.integration.helpers import MODELS, deploy_models


@pytest.fixture
def connector(engine):
    fake = FakeConnector()
    engine.connectors["test"] = fake
    return fake


def _priority_model(value: int) -> SourceFile:
    """service.bpmn as process 'eilig' whose service task declares jobPriority."""
    xml = (MODELS / "service.bpmn").read_text()
    xml = xml.replace('<bpmn:process id="service"', '<bpmn:process id="eilig"')
    xml = xml.replace('<bpmn:extensionElements>\n        <spiffworkflow:serviceTaskOperator',
                      '<bpmn:extensionElements>\n        <spiffworkflow:properties><spiffworkflow:property '
                      f'name="jobPriority" value="{value}"/></spiffworkflow:properties>\n'
                      '        <spiffworkflow:serviceTaskOperator', 1)
    return SourceFile("eilig.bpmn", xml.encode())


def test_a_due_timer_goes_before_a_backlog_of_service_calls(engine, connector, clock):
    deploy_models(engine, "service.bpmn", "wait.bpmn")
    waiting = cases.start_case(engine, "wait", {"dauer": "PT1M"}, internal=True)
    backlog = [cases.start_case(engine, "service", {"name": f"P{i}"}, internal=True) for i in range(5)]
    clock.advance(timedelta(minutes=2))               # the timer is now due, after the service jobs
    [first] = JobExecutor(engine, "w1").acquire(limit=1)
    assert (first.kind, first.case_id, first.priority) == ("timer", waiting, priorities.TIMER)
    executor = JobExecutor(engine, "w2")
    assert executor.run_until_idle() == 5
    assert {queries.get_case(engine, c)["status"] for c in backlog} == {"completed"}


def test_a_model_sets_the_priority_of_its_service_jobs(engine, connector):
    deploy_models(engine, "service.bpmn")
    deploy(engine, [_priority_model(500)], actor="test")
    cases.start_case(engine, "service", {"name": "normal"}, internal=True)
    urgent = cases.start_case(engine, "eilig", {"name": "eilig"}, internal=True)
    with engine.db.connect() as conn:
        rows = {r.case_id: r.priority for r in conn.execute(select(t.jobs.c.case_id, t.jobs.c.priority))}
    assert rows[urgent] == 500 and sorted(rows.values()) == [priorities.SERVICE, 500]
    [first] = JobExecutor(engine, "w1").acquire(limit=1)
    assert first.case_id == urgent


def test_a_priority_that_is_not_a_number_is_a_deploy_problem(engine):
    from engine.domain.errors import DeploymentError

    bad = _priority_model(1)
    bad = SourceFile(bad.name, bad.content.replace(b'value="1"', b'value="${hoch}"'))
    with pytest.raises(DeploymentError) as err:
        deploy(engine, [bad], actor="test")
    assert any("jobPriority" in p.message for p in err.value.problems)


def test_next_due_in_tells_the_idle_worker_when_to_look_again(engine, connector, clock):
    deploy_models(engine, "wait.bpmn")
    executor = JobExecutor(engine, "w1")
    assert executor.next_due_in() is None
    cases.start_case(engine, "wait", {"dauer": "PT30S"}, internal=True)
    assert executor.next_due_in() == pytest.approx(30, abs=0.01)
    clock.advance(timedelta(seconds=31))
    assert executor.next_due_in() == 0


def test_the_idle_worker_learns_the_next_due_time_with_its_acquisition(engine, connector, clock, monkeypatch):
    """An idle worker asks when to look again after every acquisition: the acquisition read the
    answer in its own round trip, so the question costs no statement (and is asked of the
    database again only when no acquisition preceded it)."""
    import engine.jobs as jobs

    deploy_models(engine, "wait.bpmn")
    cases.start_case(engine, "wait", {"dauer": "PT30S"}, internal=True)
    executor = JobExecutor(engine, "w1")
    assert executor.claim() == []            # polled: nothing due yet

    def no_reading(_db):
        raise AssertionError("next_due_in asked the database again")

    monkeypatch.setattr(jobs, "reading", no_reading)
    assert executor.next_due_in() == pytest.approx(30, abs=0.01)
    monkeypatch.undo()
    clock.advance(timedelta(seconds=31))
    assert executor.next_due_in() == 0        # the answer is used once; now from the database


@pytest.mark.postgres
def test_notify_wakes_an_idle_worker_on_another_process(pg_url, monkeypatch):
    """A worker that would poll only every 30 s runs a job written by another engine (another
    web process) before its next poll: the commit's NOTIFY wakes it."""
    from tests.conftest import truncate_all

    web = bootstrap(Settings(database_url=pg_url, embedded_worker=False))
    truncate_all(web.db)
    worker_engine = bootstrap(Settings(database_url=pg_url), connectors={"test": FakeConnector()})
    deploy(web, [SourceFile("service.bpmn", (MODELS / "service.bpmn").read_bytes())], actor="test")
    worker = WorkerThread(worker_engine, poll_seconds=30)
    polled: list[float] = []   # when each poll (claim, by run_due or the job pool) ended
    claim = worker.executor.claim
    monkeypatch.setattr(worker.executor, "claim", lambda *a, **k: (claim(*a, **k), polled.append(time.monotonic()))[0])
    worker.start()
    try:
        # the first poll has happened and the worker listens (on a loaded machine either can take
        # a while): the next poll is 30 s after the first
        assert _wait_until(lambda: polled and worker.listener is not None and worker.listener.listening.is_set())
        case_id = cases.start_case(web, "service", {"name": "Erika"}, internal=True)
        next_poll = polled[0] + 30   # or later (LISTEN itself wakes the worker once more)
        # woken, not polled: the job ran before the next poll was due
        assert _wait_until(lambda: queries.get_case(web, case_id)["status"] == "completed", next_poll - 1)
    finally:
        worker.stop()
        worker.join(timeout=10)
        web.db.dispose()
        worker_engine.db.dispose()


@pytest.mark.postgres
def test_the_listener_ignores_jobs_written_locked_to_their_worker(pg_url):
    from sqlalchemy import update

    from tests.conftest import truncate_all

    web = bootstrap(Settings(database_url=pg_url, embedded_worker=False))
    truncate_all(web.db)
    deploy(web, [SourceFile("service.bpmn", (MODELS / "service.bpmn").read_bytes())], actor="test")
    woken = threading.Event()
    subscription = subscribe(web, "amtsflow_jobs", on_payload=lambda _payload: woken.set(), on_listen=woken.set)
    try:
        assert subscription is not None and subscription.listening.wait(5)
        time.sleep(0.2)
        woken.clear()
        case_id = cases.start_case(web, "service", {"name": "Erika"}, internal=True)
        assert woken.wait(5)                       # a free job: notified
        woken.clear()
        with web.db.begin() as conn:               # taken by a worker: nobody else needs waking
            conn.execute(update(t.jobs).where(t.jobs.c.case_id == case_id).values(lock_owner="w9"))
        assert not woken.wait(1)
        with web.db.begin() as conn:               # put back: wake the others
            conn.execute(update(t.jobs).where(t.jobs.c.case_id == case_id).values(lock_owner=None))
        assert woken.wait(5)
    finally:
        if subscription is not None:
            subscription.cancel(wait=5)
        web.db.dispose()


def _wait_until(condition, until: float | None = None) -> bool:
    """Whether ``condition()`` holds before ``until`` (time.monotonic(); default: 60 s from now)."""
    until = time.monotonic() + 60 if until is None else until
    while not condition():
        if time.monotonic() > until:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.postgres
def test_the_worker_waits_for_notifications_itself_without_a_listener_thread(pg_url):
    """The NOTIFY wakes the thread that acquires the jobs, not a listener thread that would then
    have to wake it: no amtsflow-listener thread runs beside the worker."""
    worker_engine = bootstrap(Settings(database_url=pg_url), connectors={"test": FakeConnector()})
    worker = WorkerThread(worker_engine, poll_seconds=30)
    worker.start()
    try:
        assert _wait_until(lambda: worker.listener is not None and worker.listener.listening.is_set())
        assert [t.name for t in threading.enumerate() if t.name.startswith("amtsflow-listener")] == []
    finally:
        worker.stop()
        worker.join(timeout=10)
        worker_engine.db.dispose()
    assert not worker.is_alive() and not worker.listener.listening.is_set()


@pytest.mark.postgres
def test_the_inline_listener_wakes_on_a_notification_and_listens_again_after_losing_its_connection(pg_url):
    from sqlalchemy import text

    from engine.bell import Doorbell
    from engine.persistence.notify import InlineListener

    web = bootstrap(Settings(database_url=pg_url, embedded_worker=False))
    listener = InlineListener(web.db, reconnect_seconds=0.1)
    doorbell = Doorbell()
    try:
        listener.wait(doorbell, 30)             # connects: returns at once (look for what came before)
        assert listener.listening.is_set()
        started = time.monotonic()
        _later(lambda: _notify(web), listener.wait, doorbell)
        assert 0.05 < time.monotonic() - started < 10          # woken by the notification, not the timeout
        started = time.monotonic()
        _later(doorbell.set, listener.wait, doorbell)
        assert doorbell.is_set() and time.monotonic() - started < 10   # ... and by the doorbell
        doorbell.clear()
        with web.db.connect() as conn:            # the server ends the LISTEN connection
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": listener._conn.pgconn.backend_pid})
            conn.commit()
        assert _wait_until(lambda: (listener.wait(doorbell, 0.2), not listener.listening.is_set())[1], time.monotonic() + 10)
        assert _wait_until(lambda: (listener.wait(doorbell, 0.2), listener.listening.is_set())[1], time.monotonic() + 10)
        started = time.monotonic()
        _later(lambda: _notify(web), listener.wait, doorbell)
        assert time.monotonic() - started < 10    # listening again
    finally:
        listener.close()
        web.db.dispose()


def _later(action, wait, doorbell) -> None:
    """``action`` in another thread 0.1 s from now, while this one waits (up to 30 s); that thread
    is over on return."""
    timer = threading.Timer(0.1, action)
    timer.start()
    try:
        wait(doorbell, 30)
    finally:
        timer.join()


def _notify(engine) -> None:
    from sqlalchemy import text

    with engine.db.connect() as conn:
        conn.execute(text("NOTIFY amtsflow_jobs"))
        conn.commit()
