"""Service jobs created by a process are handed to that process's worker after the commit."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.jobs import JobExecutor, WorkerThread
from engine.persistence import tables as t
from engine.services import cases, queries, variables
from tests.fakes import FakeConnector
from tests.integration.helpers import deploy_models


@pytest.fixture
def other(database_url, clock):
    """A second process on the same database."""
    from engine.bootstrap import bootstrap
    from engine.settings import Settings

    eng = bootstrap(Settings(database_url=database_url), clock=clock)
    yield eng
    eng.db.dispose()


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
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    [job] = _jobs(engine)
    assert job.lock_owner == "local"                       # locked in the start's own transaction
    assert JobExecutor(engine, "other").acquire() == []    # so no other worker takes it
    assert local.run_due() == 1
    assert _status(engine, case_id) == "completed"
    assert len(connector.calls) == 1 and _jobs(engine) == []


def test_jobs_of_a_process_that_died_go_to_any_worker_once_the_lock_expires(engine, connector, clock):
    JobExecutor(engine, "gone").take_local_jobs()          # never runs what it is handed
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    other = JobExecutor(engine, "other")
    assert other.run_due() == 0
    clock.advance(timedelta(seconds=engine.settings.job_lock_seconds + 1))
    assert other.run_due() == 1
    assert _status(engine, case_id) == "completed"


def test_stopping_the_local_worker_unlocks_what_it_did_not_run(engine, connector):
    local = JobExecutor(engine, "local").take_local_jobs()
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    local.release_local_jobs()
    assert engine.local_worker is None
    [job] = _jobs(engine)
    assert job.lock_owner is None
    assert JobExecutor(engine, "other").run_due() == 1
    assert _status(engine, case_id) == "completed"


def _waiting_worker(engine):
    """A local worker that treats every job as having waited (so it re-reads each one first)."""
    local = JobExecutor(engine, "local").take_local_jobs()
    local.recheck_after = -1
    return local


def test_a_job_another_worker_took_over_is_not_run_again(engine, connector, clock):
    local = _waiting_worker(engine)
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    clock.advance(timedelta(seconds=engine.settings.job_lock_seconds + 1))  # this worker hung meanwhile
    assert JobExecutor(engine, "other").run_due() == 1
    assert local.run_due() == 0
    assert len(connector.calls) == 1 and _status(engine, case_id) == "completed"


def test_a_handed_job_whose_lock_ran_low_is_locked_anew_before_it_runs(engine, connector, clock):
    local = _waiting_worker(engine)
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    clock.advance(timedelta(seconds=engine.settings.job_lock_seconds * 0.75))
    seen = []
    answer = connector.behaviour["lookup"]

    def look_at_the_lock(request):
        [job] = _jobs(engine)
        seen.append(job.lock_expires_at - clock.now())
        return answer(request)

    connector.behaviour["lookup"] = look_at_the_lock
    assert local.run_due() == 1
    assert seen == [timedelta(seconds=engine.settings.job_lock_seconds)]   # a full lock for the call
    assert _status(engine, case_id) == "completed"


def test_the_job_of_a_case_cancelled_here_is_dropped_from_the_hand_over(engine, connector):
    local = JobExecutor(engine, "local").take_local_jobs()
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    cases.cancel_case(engine, case_id, "sb1")
    assert len(local.handover) == 0
    assert local.run_due() == 0 and connector.calls == []


def test_the_job_of_a_case_cancelled_elsewhere_is_not_run_after_waiting(engine, connector, other):
    local = _waiting_worker(engine)
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    cases.cancel_case(other, case_id, "sb1")        # another process: this one's queue still has it
    assert len(local.handover) == 1
    assert local.run_due() == 0 and connector.calls == []


def test_an_acquired_job_that_waited_behind_a_slow_call_is_re_read(engine, connector, other, clock):
    """Two acquired in one round; the first call is slow, and meanwhile the second's case is cancelled."""
    first = cases.start_case(engine, "service", {"name": "Langsam"}, internal=True)
    clock.advance(timedelta(seconds=1))              # due one after the other
    second = cases.start_case(engine, "service", {"name": "Storniert"}, internal=True)
    worker = JobExecutor(engine, "w1")
    worker.recheck_after = 0.05
    answer = connector.behaviour["lookup"]

    def slow(request):
        if request.params["name"] == "Langsam":
            cases.cancel_case(other, second, "sb1")
            time.sleep(0.1)
        return answer(request)

    connector.behaviour["lookup"] = slow
    assert worker.run_due() == 1
    assert [c.params["name"] for c in connector.calls] == ["Langsam"]
    assert _status(engine, first) == "completed" and _status(engine, second) == "cancelled"


def test_the_job_of_a_case_suspended_meanwhile_runs_after_the_resume(engine, connector):
    local = _waiting_worker(engine)
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    cases.set_suspended(engine, case_id, True)
    assert local.run_due() == 0 and connector.calls == []
    cases.set_suspended(engine, case_id, False)
    assert JobExecutor(engine, "other").run_due() == 1    # unlocked, so any worker takes it
    assert _status(engine, case_id) == "completed"


def test_a_job_whose_case_is_suspended_during_the_call_is_kept(engine, connector):
    """Suspended while the connector ran: the answer is not applied, the job waits for the resume."""
    local = JobExecutor(engine, "local").take_local_jobs()
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    answer = connector.behaviour["lookup"]

    def suspend_then_answer(request):
        cases.set_suspended(engine, case_id, True)
        return answer(request)

    connector.behaviour["lookup"] = suspend_then_answer
    assert local.run_due() == 1
    [job] = _jobs(engine)
    assert job.suspended and job.lock_owner is None
    connector.behaviour["lookup"] = answer
    cases.set_suspended(engine, case_id, False)
    assert JobExecutor(engine, "other").run_due() == 1
    assert _status(engine, case_id) == "completed"
    assert {c.idempotency_key for c in connector.calls} == {connector.calls[0].idempotency_key}


def test_jobs_taken_in_a_round_that_fails_are_run_in_the_next(engine, connector, monkeypatch):
    local = JobExecutor(engine, "local").take_local_jobs()
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)

    def unreachable(_limit=10):
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(local, "acquire", unreachable)
    with pytest.raises(ConnectionError):
        local.run_due()
    monkeypatch.undo()
    assert local.run_due() == 1
    assert _status(engine, case_id) == "completed"


def test_a_due_poll_gets_a_slot_even_with_a_backlog_of_handed_jobs(engine, connector):
    waiting = cases.start_case(engine, "service", {"name": "Alt"}, internal=True)     # nobody local yet: unlocked
    local = JobExecutor(engine, "local", poll_seconds=0).take_local_jobs()
    for i in range(3):
        cases.start_case(engine, "service", {"name": f"Neu {i}"}, internal=True)
    assert local.run_due(limit=3) == 3             # two handed jobs and one from the poll
    assert _status(engine, waiting) == "completed"


def test_a_job_handed_to_a_stopped_worker_is_unlocked(engine, connector):
    local = JobExecutor(engine, "local").take_local_jobs()
    handover = engine.local_worker
    local.release_local_jobs()
    engine.local_worker = handover                   # a save that read it before the stop
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    engine.local_worker = None
    [job] = _jobs(engine)
    assert job.lock_owner is None
    assert JobExecutor(engine, "other").run_due() == 1
    assert _status(engine, case_id) == "completed"


def test_handed_over_jobs_come_first_and_the_database_is_still_polled(engine, connector):
    waiting = cases.start_case(engine, "service", {"name": "Alt"}, internal=True)        # nobody local yet: unlocked
    local = JobExecutor(engine, "local", poll_seconds=3600).take_local_jobs()
    assert local.run_due() == 1          # the first round polls: takes the waiting job
    handed = cases.start_case(engine, "service", {"name": "Neu"}, internal=True)
    assert local.run_due() == 1          # the handed job, no poll within the poll interval
    assert _status(engine, waiting) == _status(engine, handed) == "completed"
    assert [c.params["name"] for c in connector.calls] == ["Alt", "Neu"]


def test_the_worker_thread_wakes_up_when_a_job_is_handed_over(engine, connector):
    thread = WorkerThread(engine, poll_seconds=60)   # would not poll again within this test
    thread.start()
    try:
        time.sleep(0.2)                              # first (empty) poll done: the thread sleeps
        case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
        deadline = time.monotonic() + 30             # well below the poll: never reached when woken
        while _status(engine, case_id) != "completed" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _status(engine, case_id) == "completed"
    finally:
        thread.stop()
        thread.join(10)
    assert not thread.is_alive() and engine.local_worker is None


def test_a_case_changed_by_another_process_during_the_call_is_completed_on_its_stored_state(engine, connector, other):
    """On PostgreSQL the acquisition reads the job's case row with it; a change saved meanwhile
    (here: during the connector call) makes that row stale, and the completion is decided again
    on the stored row: both changes are kept."""
    case_id = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    answer = connector.behaviour["lookup"]

    def changing(request):
        variables.set_variables(other, case_id, {"vermerk": "während des Aufrufs"})
        return answer(request)

    connector.behaviour["lookup"] = changing
    assert JobExecutor(engine, "w").run_due() == 1
    case = queries.get_case(engine, case_id, with_history=False)
    assert case["status"] == "completed" and len(connector.calls) == 1
    assert case["data"]["vermerk"] == "während des Aufrufs" and "person" in case["data"]
    assert _jobs(engine) == []


@pytest.mark.postgres
def test_the_acquisition_brings_the_case_row_of_the_job_along(pg_url, clock):
    """PostgreSQL: a service job's case row comes with its acquisition, in that round trip, so
    running the job takes two round trips (acquire, complete), not a third to read the case."""
    from engine.bootstrap import bootstrap
    from engine.persistence import fast
    from engine.settings import Settings
    from tests.conftest import truncate_all

    web = bootstrap(Settings(database_url=pg_url, embedded_worker=False), clock=clock)
    worker = bootstrap(Settings(database_url=pg_url), clock=clock)
    try:
        truncate_all(web.db)
        worker.connectors["test"] = web.connectors["test"] = FakeConnector()
        deploy_models(web, "service.bpmn")
        case_id = cases.start_case(web, "service", {"name": "Erika"}, internal=True)
        executor = JobExecutor(worker, "w")
        executor.run_until_idle()          # warm: the definition parsed, statements prepared
        case_id = cases.start_case(web, "service", {"name": "Max"}, internal=True)
        sent: list[list[str]] = []
        pipeline = fast._libpq_pipeline

        def recorded(driver, pending, commit):
            sent.append([sql for sql, _args, _receive in pending])
            pipeline(driver, pending, commit)

        fast._libpq_pipeline = recorded
        try:
            assert executor.run_due() == 1
        finally:
            fast._libpq_pipeline = pipeline
        assert _status(web, case_id) == "completed"
        assert len(sent) == 2, sent                                  # acquire (with the case), complete
        assert not any(sql.startswith("SELECT") and "FROM cases" in sql for sqls in sent for sql in sqls), sent
    finally:
        web.db.dispose()
        worker.db.dispose()
