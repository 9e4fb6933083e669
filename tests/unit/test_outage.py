"""A database that does not answer is one warning line per outage (and one a minute while it
lasts), not a stack trace per worker round (engine/outage.py)."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError, OperationalError

from engine.outage import REPORT_EVERY, Outage, unreachable


class _DriverError(Exception):
    def __init__(self, text: str, sqlstate: str | None) -> None:
        super().__init__(text)
        self.sqlstate = sqlstate


def _operational(text: str, sqlstate: str | None = None) -> OperationalError:
    return OperationalError("SELECT 1", {}, _DriverError(text, sqlstate))


def test_what_counts_as_a_database_that_does_not_answer():
    assert unreachable(_operational("connection failed: Connection refused"))
    assert unreachable(_operational("terminating connection due to administrator command", "57P01"))
    assert unreachable(_operational("the database system is starting up", "57P03"))
    assert unreachable(_operational("server closed the connection unexpectedly", "08006"))
    assert not unreachable(_operational("canceling statement due to lock timeout", "55P03"))
    assert not unreachable(IntegrityError("INSERT", {}, _DriverError("duplicate key", "23505")))
    assert not unreachable(ValueError("a bug"))


def test_one_line_per_outage_one_a_minute_while_it_lasts_and_one_when_it_ends(caplog):
    now = [100.0]
    outage = Outage(logging.getLogger("amtsflow.test"), "worker", clock=lambda: now[0])
    refused = _operational("connection failed: Connection refused\n\tIs the server running?")
    with caplog.at_level(logging.WARNING, logger="amtsflow.test"):
        outage.answered()                                   # nothing was wrong: nothing said
        for _ in range(30):                                 # a round a second for half a minute
            assert outage.failed("acquiring jobs", refused)
            now[0] += 1
        now[0] += REPORT_EVERY
        assert outage.failed("heartbeat", refused)
        assert not outage.failed("acquiring jobs", ValueError("a bug"))   # the caller logs it with its stack
        outage.answered()
        outage.answered()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "worker: the database does not answer (acquiring jobs: connection failed: Connection refused); trying again",
        "worker: the database has not answered for 90 s (heartbeat: connection failed: Connection refused)",
        "worker: the database answers again, after 90 s",
    ]
    assert {r.levelno for r in caplog.records} == {logging.WARNING}


def test_psycopgs_own_errors_of_the_listen_connections():
    import psycopg
    from psycopg import errors

    assert unreachable(psycopg.OperationalError("connection failed: Connection refused"))
    assert unreachable(errors.AdminShutdown("terminating connection due to administrator command"))
    assert not unreachable(errors.QueryCanceled("canceling statement due to statement timeout"))
    assert not unreachable(psycopg.ProgrammingError("syntax error"))


def test_jobs_an_outage_cut_short_are_freed_once_the_database_answers(monkeypatch):
    """A job whose run failed because the database went away (its outcome and its retry not
    written) is unlocked by the worker after its next acquisition that reached the database,
    not left locked until its lock expires."""
    import threading
    import time
    from types import SimpleNamespace

    from engine import job_pool

    freed: list[list[str]] = []
    monkeypatch.setattr(job_pool, "unlock", lambda _engine, owner, ids: freed.append([owner, *ids]))
    stopping = threading.Event()
    database_up = threading.Event()

    class Executor:
        engine, owner, wakeup = object(), "w1", threading.Event()
        claims = 0

        def claim(self, free):
            Executor.claims += 1
            if Executor.claims == 1:
                return [(SimpleNamespace(id="job-1"), 0.0)]
            if not database_up.is_set():
                raise _operational("connection failed: Connection refused")
            return []

        def run_claimed(self, job, since):
            raise _operational("server closed the connection unexpectedly")

    pool = job_pool.JobPool(Executor(), 2, lambda: 0.01, stopping)
    runner = threading.Thread(target=pool._acquire_until_stopped)   # noqa: SLF001 - no database to pin
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while Executor.claims < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert freed == []                      # still down: nothing to free it with
        database_up.set()
        while not freed and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stopping.set()
        runner.join(10)
    assert freed == [["w1", "job-1"]]
