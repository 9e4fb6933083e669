"""Writes deferred by FastStatement.defer (on PostgreSQL sent in one round trip with the next
statement or the commit) behave as if they had run at once: in order, all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from engine.persistence import tables as t
from engine.persistence.db import unit_of_work
from engine.persistence.fast import FastStatement

_EVENT = FastStatement(t.audit_events.insert())


def _event(action):
    from datetime import datetime, timezone

    return {"case_id": None, "at": datetime(2026, 1, 1, tzinfo=timezone.utc), "actor": "test", "action": action,
            "details": {}, "prev_hash": "0" * 64, "hash": "1" * 64}


def _actions(engine):
    with engine.db.connect() as conn:
        return sorted(conn.execute(select(t.audit_events.c.action).where(t.audit_events.c.actor == "test")).scalars())


@pytest.fixture(autouse=True)
def _clean(engine):
    with engine.db.begin() as conn:
        conn.execute(delete(t.audit_events).where(t.audit_events.c.actor == "test"))


def test_a_deferred_write_is_seen_by_the_next_statement_and_committed(engine):
    with unit_of_work(engine.db) as uow:
        _EVENT.defer(uow.conn, _event("a"))
        _EVENT.defer(uow.conn, _event("b"))
        seen = uow.conn.execute(select(func.count()).select_from(t.audit_events)
                                .where(t.audit_events.c.actor == "test")).scalar()
        _EVENT.defer(uow.conn, _event("c"))
        uow.commit()
    assert seen == 2
    assert _actions(engine) == ["a", "b", "c"]


def test_a_transaction_committed_without_a_unit_of_work_sends_them_too(engine):
    with engine.db.begin() as conn:
        _EVENT.defer(conn, _event("plain"))
    assert _actions(engine) == ["plain"]


def test_a_rolled_back_transaction_drops_them_and_the_next_one_does_not_send_them(engine):
    with unit_of_work(engine.db) as uow:
        _EVENT.defer(uow.conn, _event("dropped"))   # never committed
    with unit_of_work(engine.db) as uow:            # most likely the same pooled connection
        _EVENT.defer(uow.conn, _event("kept"))
        uow.commit()
    assert _actions(engine) == ["kept"]


def test_a_failing_deferred_write_fails_the_commit_and_nothing_is_stored(engine):
    job = {"id": "j-deferred", "case_id": None, "kind": "timer", "task_id": None, "element_id": None,
           "due_at": _event("x")["at"], "retries": 1, "attempts": 0, "suspended": False,
           "created_at": _event("x")["at"], "payload": {}, "priority": 10, "lock_owner": None,
           "lock_expires_at": None, "last_error": None}
    insert_job = FastStatement(t.jobs.insert())
    with pytest.raises(IntegrityError):
        with unit_of_work(engine.db) as uow:
            _EVENT.defer(uow.conn, _event("before"))
            insert_job.defer(uow.conn, job)
            insert_job.defer(uow.conn, job)          # the same id twice
            uow.commit()
    assert _actions(engine) == []
    with engine.db.connect() as conn:
        assert conn.execute(select(t.jobs.c.id).where(t.jobs.c.id == "j-deferred")).first() is None


def test_the_rows_of_a_deferred_statement_are_there_after_the_commit(engine):
    returning = FastStatement(t.audit_events.insert().returning(t.audit_events.c.action, t.audit_events.c.details))
    with unit_of_work(engine.db) as uow:
        _EVENT.defer(uow.conn, _event("first"))
        written = returning.all_deferred(uow.conn, _event("second"))
        uow.commit()
    assert [(row.action, row.details) for row in written.rows] == [("second", {})]   # JSON read as SQLAlchemy reads it
    assert _actions(engine) == ["first", "second"]


def test_a_read_connection_leaves_no_autocommit_behind_for_the_next_writer(engine):
    """engine.persistence.db.reading: on PostgreSQL reads run in autocommit (no COMMIT round
    trip); the pooled connection must be transactional again for the next unit of work."""
    from engine.persistence.db import reading

    engine.db.dispose()                                   # one pooled connection from here on
    with reading(engine.db) as conn:
        assert conn.execute(select(func.count()).select_from(t.audit_events)).scalar() == 0   # a fresh database: the read works
        if engine.db.dialect.name == "postgresql":
            assert conn.connection.driver_connection.autocommit is True
    with unit_of_work(engine.db) as uow:                  # the same connection, most likely
        _EVENT.run(uow.conn, _event("never committed"))   # and rolled back on leaving
    assert _actions(engine) == []


def test_deferred_writes_survive_psycopg_deallocating_its_prepared_statements(engine):
    """On PostgreSQL the deferred writes run as statements prepared once per connection. psycopg
    runs DEALLOCATE ALL when it rolls back an open transaction in which it had prepared its own
    statements (it prepares one it ran five times): the deferred writes then prepare theirs anew
    instead of failing with 'prepared statement does not exist'."""
    if engine.db.dialect.name != "postgresql":
        pytest.skip("prepared statements of the libpq pipeline: PostgreSQL only")
    with engine.db.connect() as conn:   # one connection throughout
        for round_ in range(3):
            with conn.begin():
                _EVENT.defer(conn, _event(f"kept-{round_}"))
            with conn.begin() as trans:
                for _ in range(6):   # prepared by psycopg from the fifth time on
                    conn.execute(select(func.count()).select_from(t.audit_events))
                trans.rollback()     # psycopg: ROLLBACK, then DEALLOCATE ALL
    assert _actions(engine) == ["kept-0", "kept-1", "kept-2"]


def test_a_failing_deferred_write_among_others_raises_its_own_error_and_stores_nothing(engine):
    with pytest.raises(IntegrityError):
        with unit_of_work(engine.db) as uow:
            _EVENT.defer(uow.conn, _event("before"))
            _EVENT.defer(uow.conn, {**_event("broken"), "actor": None})   # NOT NULL
            _EVENT.defer(uow.conn, _event("after"))
            uow.commit()
    with unit_of_work(engine.db) as uow:   # the connection is usable again
        _EVENT.defer(uow.conn, _event("next"))
        uow.commit()
    assert _actions(engine) == ["next"]
