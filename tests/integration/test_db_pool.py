"""PostgreSQL pool: a connection is pinged only after it sat unused; a dead one is replaced."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from engine.persistence import db as dbmod
from engine.persistence.db import make_engine

pytestmark = pytest.mark.postgres


def _counting_pings(db, monkeypatch):
    pings = []
    ping = db.dialect.do_ping

    def counted(dbapi_conn):
        pings.append(dbapi_conn)
        return ping(dbapi_conn)

    monkeypatch.setattr(db.dialect, "do_ping", counted)
    return pings


def test_a_connection_used_a_moment_ago_is_not_pinged(pg_url, monkeypatch):
    monkeypatch.setattr(dbmod, "PING_AFTER_IDLE", 60.0, raising=False)
    db = make_engine(pg_url)
    try:
        pings = _counting_pings(db, monkeypatch)
        for _ in range(3):
            with db.begin() as conn:
                assert conn.execute(text("SELECT 1")).scalar() == 1
        assert pings == []
    finally:
        db.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(pg_url, monkeypatch):
    db = make_engine(pg_url)
    admin = create_engine(pg_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with db.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        monkeypatch.setattr(dbmod, "PING_AFTER_IDLE", 0.0, raising=False)  # as if it had sat in the pool for long
        pings = _counting_pings(db, monkeypatch)
        with db.begin() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
        assert len(pings) >= 1
    finally:
        db.dispose()
        admin.dispose()


def test_commit_and_rollback_without_an_open_transaction_skip_psycopg(pg_url, monkeypatch):
    """After the libpq pipeline's COMMIT, at the end of a read and at the pool's reset, psycopg's
    commit()/rollback() would send nothing: they are not called. With a transaction open they
    are, and do their work."""
    import psycopg

    from engine.persistence.db import reading, unit_of_work
    from engine.persistence.fast import FastStatement, defer_sql
    from engine.tenancy import all_tenants

    calls: list[str] = []
    commit, rollback = psycopg.Connection.commit, psycopg.Connection.rollback
    monkeypatch.setattr(psycopg.Connection, "commit", lambda self: calls.append("commit") or commit(self))
    monkeypatch.setattr(psycopg.Connection, "rollback", lambda self: calls.append("rollback") or rollback(self))
    db = make_engine(pg_url)
    try:
        from sqlalchemy import select

        from engine.persistence import tables as t

        count = FastStatement(select(t.jobs.c.id).where(t.jobs.c.id == "none"))
        with db.connect():   # SQLAlchemy's first connect (dialect initialisation) ends its own transactions
            pass
        calls.clear()
        with all_tenants("test"), unit_of_work(db) as uow:
            count.first_column(uow.conn, {})
            defer_sql(uow.conn, "SET LOCAL statement_timeout TO 5000")   # something deferred: COMMIT with it
            uow.commit()   # the COMMIT in the pipeline
        with all_tenants("test"), reading(db) as conn:
            conn.execute(text("SELECT 1"))
        assert calls == []
        with db.connect() as conn:   # a transaction psycopg began: its commit goes to psycopg
            conn.execute(text("SELECT 1"))
            conn.commit()
            conn.execute(text("SELECT 1"))
            conn.rollback()
        assert calls == ["commit", "rollback"]
    finally:
        db.dispose()


def _one_by_sql(conn) -> int:
    return conn.execute(text("SELECT 1")).scalar()


def _one_by_fast_statement(conn) -> int:
    from sqlalchemy import literal, select

    from engine.persistence.fast import FastStatement

    return [r.one for r in FastStatement(select(literal(1).label("one"))).all(conn, {})][0]


@pytest.mark.parametrize("opener, read_one, broken_raises", [("reading", _one_by_sql, True),
                                                           ("fast_reading", _one_by_fast_statement, False)])
def test_a_read_runs_in_autocommit_and_its_connection_goes_back_without(pg_url, opener, read_one, broken_raises):
    """reading() switches autocommit on the driver for the read only, and so does fast_reading()
    (FastStatement reads without SQLAlchemy's Connection): the pool gets the connection back as
    it gave it, also after a failed read; one that cannot be switched back is discarded."""
    import psycopg

    open_read = getattr(dbmod, opener)
    db = make_engine(pg_url)
    try:
        with open_read(db) as conn:
            driver = conn.connection.driver_connection
            assert driver.autocommit is True
            assert read_one(conn) == 1
        assert driver.autocommit is False
        with pytest.raises(ZeroDivisionError):
            with open_read(db) as conn:
                assert conn.connection.driver_connection is driver   # the pool's only connection
                1 / 0
        assert driver.autocommit is False
        with db.begin() as conn:   # a transaction as before
            assert conn.connection.driver_connection is driver and driver.autocommit is False
            conn.execute(text("SELECT 1"))
            assert driver.pgconn.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        # broken during the read: autocommit cannot be switched back (reading() raises, a
        # FastStatement read that is over has nothing left to fail)
        with pytest.raises(Exception) if broken_raises else contextlib.nullcontext():
            with open_read(db) as conn:
                driver.close()
        with open_read(db) as conn:   # a fresh connection
            assert conn.connection.driver_connection is not driver
            assert read_one(conn) == 1
    finally:
        db.dispose()


def test_a_statement_read_in_a_pinned_thread_uses_its_connection(pg_url):
    """In a thread that keeps a connection (pinned()), fast_reading() reads on it, not on
    another one of the pool, and leaves it out of autocommit for the next unit of work."""
    from sqlalchemy import literal, select

    from engine.persistence.db import fast_reading, pinned, unit_of_work
    from engine.persistence.fast import FastStatement

    one = FastStatement(select(literal(1).label("one")))
    db = make_engine(pg_url)
    try:
        with pinned(db):
            with unit_of_work(db) as uow:
                driver = uow.conn.connection.driver_connection
                uow.commit()
            with fast_reading(db) as conn:
                assert conn.connection.driver_connection is driver and driver.autocommit is True
                assert [r.one for r in one.all(conn, {})] == [1]
            assert driver.autocommit is False
            with unit_of_work(db) as uow:
                assert uow.conn.connection.driver_connection is driver
                assert [r.one for r in one.all(uow.conn, {})] == [1]
                uow.commit()
            with pytest.raises(ZeroDivisionError):
                with fast_reading(db) as conn:
                    1 / 0
            assert driver.autocommit is False
        assert db.pool.checkedout() == 0
    finally:
        db.dispose()


def _in_thread(body):
    import threading

    result: list = []
    errors: list = []

    def run():
        try:
            result.append(body())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    if errors:
        raise errors[0]
    return result[0]


def test_a_request_thread_keeps_its_connection_until_it_ends(pg_url):
    """keep_connection(): a server's request thread keeps one pooled connection across its units
    of work and reads (no check-out per request); when the thread ends it goes back."""
    from sqlalchemy import literal, select

    from engine.persistence.db import fast_reading, keep_connection, unit_of_work
    from engine.persistence.fast import FastStatement

    one = FastStatement(select(literal(1).label("one")))
    db = make_engine(pg_url)
    try:
        def requests():
            assert keep_connection(db)
            drivers = []
            for _request in range(3):
                keep_connection(db)   # every request asks; the first one took it
                with unit_of_work(db) as uow:
                    drivers.append(uow.conn.connection.driver_connection)
                    uow.commit()
                with fast_reading(db) as conn:
                    drivers.append(conn.connection.driver_connection)
                    assert [r.one for r in one.all(conn, {})] == [1]
                assert db.pool.checkedout() == 1   # kept between requests
            return drivers

        drivers = _in_thread(requests)
        assert len(set(map(id, drivers))) == 1
        assert db.pool.checkedout() == 0           # the thread ended: back in the pool
        assert dbmod._KEEPERS[db] == [0]           # and another thread may keep one in its place
    finally:
        db.dispose()


def test_no_more_threads_keep_a_connection_than_the_pool_holds(pg_url):
    """Threads beyond the pool's size use the pool per unit of work as before: a server with
    more request threads than pooled connections never waits for one that an idle thread keeps."""
    import threading

    from engine.persistence.db import keep_connection

    db = make_engine(pg_url)
    size = db.pool.size()
    kept: list[bool] = []
    ready, done = threading.Barrier(size + 2), threading.Event()

    def thread():
        kept.append(keep_connection(db))
        ready.wait(30)
        done.wait(30)

    threads = [threading.Thread(target=thread) for _ in range(size + 1)]
    try:
        for t in threads:
            t.start()
        ready.wait(30)
        assert sorted(kept) == [False] + [True] * size
    finally:
        done.set()
        for t in threads:
            t.join(30)
        db.dispose()


def test_keep_connection_is_for_postgresql_only(tmp_path):
    from engine.persistence.db import keep_connection

    db = make_engine(f"sqlite:///{tmp_path}/x.sqlite")
    try:
        assert _in_thread(lambda: keep_connection(db)) is False
    finally:
        db.dispose()
