"""A thread inside db.pinned() keeps one pooled connection for its units of work (the worker's
job threads, engine/job_pool.py): no check-out and check-in per unit of work, and otherwise the
same as a connection from the pool (no transaction left open between units of work, a unit of
work inside another gets its own, a failed one returns its connection, one idle for long is
pinged at its next check-out)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, text

from engine.job_pool import JobPool
from engine.persistence import db as dbmod
from engine.persistence.db import make_engine, pinned, unit_of_work


@pytest.fixture
def db(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _checkouts(db):
    seen: list[object] = []
    event.listen(db, "checkout", lambda dbapi_conn, _record, _proxy: seen.append(dbapi_conn))
    return seen


def _driver(uow):
    return uow.conn.connection.driver_connection


def test_units_of_work_in_a_pinned_thread_share_one_check_out(db):
    checkouts = _checkouts(db)
    with pinned(db):
        drivers = []
        for _ in range(3):
            with unit_of_work(db) as uow:
                uow.conn.execute(text("SELECT 1"))
                drivers.append(_driver(uow))
                uow.commit()
        with unit_of_work(db) as uow:   # not committed: rolled back, the connection stays
            uow.conn.execute(text("SELECT 1"))
            drivers.append(_driver(uow))
    assert len(checkouts) == 1 and len(set(map(id, drivers))) == 1
    assert db.pool.checkedout() == 0   # back in the pool after the block
    with unit_of_work(db) as uow:   # outside the block: a check-out per unit of work, as before
        uow.commit()
    assert len(checkouts) == 2


def test_a_unit_of_work_inside_another_gets_its_own_connection(db):
    with pinned(db):
        with unit_of_work(db) as outer:
            with unit_of_work(db, write=False) as inner:   # (SQLite: one writer at a time)
                assert _driver(inner) is not _driver(outer)
                inner.commit()
            outer.commit()
        assert db.pool.checkedout() == 1   # the pinned one only


def test_a_failed_unit_of_work_returns_its_connection_and_the_next_checks_one_out(db):
    checkouts = _checkouts(db)
    with pinned(db):
        with pytest.raises(ZeroDivisionError):
            with unit_of_work(db) as uow:
                uow.conn.execute(text("SELECT 1"))
                1 / 0
        assert db.pool.checkedout() == 0
        with unit_of_work(db) as uow:
            assert uow.conn.execute(text("SELECT 1")).scalar() == 1
            uow.commit()
    assert len(checkouts) == 2


def test_no_transaction_stays_open_after_a_statement_after_the_commit(db):
    with pinned(db):
        with unit_of_work(db) as uow:
            uow.commit()
            uow.conn.execute(text("SELECT 1"))   # begins another transaction (autobegin)
        with unit_of_work(db) as uow:   # would fail with "a transaction is already begun"
            assert not uow.conn.get_transaction() is None
            uow.commit()
        assert not uow.conn.in_transaction()


@pytest.mark.postgres
def test_a_pinned_connection_idle_for_long_is_pinged_at_its_next_check_out(pg_url, monkeypatch):
    db = make_engine(pg_url)
    try:
        pings = []
        ping = db.dialect.do_ping
        monkeypatch.setattr(db.dialect, "do_ping", lambda conn: pings.append(conn) or ping(conn))
        with pinned(db):
            with unit_of_work(db) as uow:
                uow.commit()
            monkeypatch.setattr(dbmod, "PING_AFTER_IDLE", 60.0)
            with unit_of_work(db) as uow:   # used a moment ago: no ping
                uow.commit()
            assert pings == []
            monkeypatch.setattr(dbmod, "PING_AFTER_IDLE", -1.0)   # as if it had sat unused for long
            with unit_of_work(db) as uow:
                assert uow.conn.execute(text("SELECT 1")).scalar() == 1
                uow.commit()
            assert len(pings) == 1
    finally:
        db.dispose()


def test_the_job_pool_pins_its_threads_connections(monkeypatch):
    """The acquisition loop and every runner thread run inside pinned(the executor's database)."""
    entered: list[tuple[str, object]] = []
    real = dbmod.pinned

    def recording(db):
        entered.append((threading.current_thread().name, db))
        return real(None)

    monkeypatch.setattr("engine.job_pool.pinned", recording)
    database = object()
    executor = type("Executor", (), {"engine": type("E", (), {"db": database})(), "owner": "x",
                                     "wakeup": threading.Event(), "claim": lambda self, n: []})()
    stopping = threading.Event()
    pool = JobPool(executor, 2, lambda: 0.01, stopping, tick=stopping.set)
    pool.run()
    assert sorted(name for name, _db in entered) == ["MainThread", "amtsflow-job-1", "amtsflow-job-2"]
    assert {id(db) for _name, db in entered} == {id(database)}
