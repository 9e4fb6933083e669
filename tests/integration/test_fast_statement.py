"""FastStatement writes exactly what SQLAlchemy's execute would, and fails the same way."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from engine.persistence import tables as t
from engine.persistence.db import unit_of_work
from engine.persistence.fast import FastStatement

BERLIN = timezone(timedelta(hours=2))


def _job(**overrides):
    row = dict(id=str(uuid.uuid4()), case_id=None, kind="timer", task_id=None, element_id="frist",
               due_at=datetime(2026, 6, 1, 9, 30, tzinfo=BERLIN), lock_owner=None, lock_expires_at=None,
               retries=3, attempts=0, last_error=None, payload={"ä": [1, 2.5, None], "text": "Grüße"},
               suspended=True, created_at=datetime(2026, 6, 1, 7, 0, tzinfo=timezone.utc), priority=100)
    row.update(overrides)
    return row


def _read(engine, job_id):
    with engine.db.connect() as conn:
        return dict(conn.execute(select(t.jobs).where(t.jobs.c.id == job_id)).one()._mapping)


def test_it_writes_what_sqlalchemy_writes(engine):
    fast, slow = _job(), _job()
    with unit_of_work(engine.db) as uow:
        assert FastStatement(t.jobs.insert()).run(uow.conn, fast) == 1
        uow.conn.execute(t.jobs.insert(), slow)
        uow.commit()
    a, b = _read(engine, fast["id"]), _read(engine, slow["id"])
    a.pop("id"), b.pop("id")
    assert a == b
    assert a["due_at"] == datetime(2026, 6, 1, 7, 30, tzinfo=timezone.utc)   # stored as UTC
    assert a["payload"] == {"ä": [1, 2.5, None], "text": "Grüße"} and a["suspended"] is True


def test_it_reports_the_row_count(engine):
    job = _job()
    bump = FastStatement(update(t.jobs).where(t.jobs.c.id == "no such job").values(attempts=1))
    remove = FastStatement(delete(t.jobs).where(t.jobs.c.id == job["id"]))
    with unit_of_work(engine.db) as uow:
        uow.conn.execute(t.jobs.insert(), job)
        assert bump.run(uow.conn, {}) == 0
        assert remove.run(uow.conn, {}) == 1
        uow.commit()


def test_driver_errors_arrive_as_sqlalchemy_errors(engine):
    job = _job()
    insert = FastStatement(t.jobs.insert())
    with unit_of_work(engine.db) as uow:
        insert.run(uow.conn, job)
        with pytest.raises(IntegrityError):
            insert.run(uow.conn, job)


def test_a_column_with_a_python_default_must_be_given(engine):
    """SQLAlchemy would fill in ``attempts`` (default 0); the driver cannot, so it is refused."""
    job = _job()
    del job["attempts"]
    with unit_of_work(engine.db) as uow, pytest.raises(KeyError, match="attempts"):
        FastStatement(t.jobs.insert()).run(uow.conn, job)


def test_a_value_its_type_refuses_fails_as_in_execute(engine):
    from sqlalchemy.exc import StatementError

    naive = _job(due_at=datetime(2026, 6, 1, 9, 30))
    with unit_of_work(engine.db) as uow:
        with pytest.raises(StatementError):
            uow.conn.execute(t.jobs.insert(), naive)
    with unit_of_work(engine.db) as uow:
        with pytest.raises(StatementError):
            FastStatement(t.jobs.insert()).run(uow.conn, naive)


def test_it_refuses_to_run_outside_a_transaction(engine):
    with engine.db.connect() as conn, pytest.raises(RuntimeError, match="transaction"):
        FastStatement(t.jobs.insert()).run(conn, _job())


def test_plain_reads(engine):
    job = _job(task_id="aufgabe-1")
    query = FastStatement(select(t.jobs.c.id, t.jobs.c.kind, t.jobs.c.retries).where(t.jobs.c.id == job["id"]))
    ids = FastStatement(select(t.jobs.c.id).where(t.jobs.c.task_id == "aufgabe-1"))
    with unit_of_work(engine.db) as uow:
        assert query.first(uow.conn, {}) is None and ids.first_column(uow.conn, {}) == []
        uow.conn.execute(t.jobs.insert(), job)
        row = query.first(uow.conn, {})
        assert (row.id, row.kind, row.retries) == (job["id"], "timer", 3)
        assert ids.first_column(uow.conn, {}) == [job["id"]]


def test_a_statement_that_opens_the_transaction_is_inside_it(engine):
    """The first statement of a transaction (on PostgreSQL sent with its BEGIN in one round
    trip): a rollback undoes it, and a commit keeps what follows with it."""
    first, second = _job(task_id="opens-tx"), _job(task_id="opens-tx")
    insert = FastStatement(t.jobs.insert())
    count = FastStatement(select(t.jobs.c.id).where(t.jobs.c.task_id == "opens-tx").order_by(t.jobs.c.id))
    with unit_of_work(engine.db) as uow:
        assert insert.run(uow.conn, first) == 1
        assert count.first_column(uow.conn, {}) == [first["id"]]
    with engine.db.connect() as conn:   # rolled back: not stored
        assert conn.execute(select(t.jobs.c.id).where(t.jobs.c.id == first["id"])).first() is None
    with unit_of_work(engine.db) as uow:
        assert count.first_column(uow.conn, {}) == []   # a read opens this one
        insert.run(uow.conn, first)
        insert.run(uow.conn, second)
        uow.commit()
    with engine.db.connect() as conn:
        assert len(conn.execute(select(t.jobs.c.id).where(t.jobs.c.task_id == "opens-tx")).all()) == 2


def test_after_a_failing_statement_and_a_rollback_the_connection_works_on(engine):
    job = _job()
    insert = FastStatement(t.jobs.insert())
    read = FastStatement(select(t.jobs.c.retries).where(t.jobs.c.id == job["id"]))
    with unit_of_work(engine.db) as uow:
        insert.run(uow.conn, job)
        uow.commit()
    for _ in range(3):   # the same pooled connection, its prepared statements kept
        with unit_of_work(engine.db) as uow:
            with pytest.raises(IntegrityError):
                insert.run(uow.conn, job)
        with unit_of_work(engine.db) as uow:
            assert read.first(uow.conn, {}).retries == 3
