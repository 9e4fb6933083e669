"""Deferred writes under stress (PostgreSQL): many threads, each flushing large writes and reads
of large rows in one round trip while other threads hold the rows it updates.

What could make such a flush hang: the client sends more than the socket buffers hold while
the server sends results back, and neither reads (both buffers full); a wait without a
timeout; a lock wait on the server while the client waits for results. Each thread here
flushes several hundred KB each way per transaction (a large read between large writes, as a
case command's state is large), every transaction updates two rows all threads update (lock
waits), and some transactions fail in the middle (a duplicate key) and must leave their
connection usable. A watchdog fails the test instead of letting it hang.

Run it in a loop on a loaded machine when changing how deferred writes are sent
(engine/persistence/fast.py: flush_deferred).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.persistence.db import unit_of_work
from engine.persistence.fast import FastStatement

THREADS = 8
ROUNDS = 12
LARGE = 300_000          # characters per large value written (a large case state)
BIG_READ = 3_000_000     # characters of the row read back: more than the socket buffers hold
HANG = 120.0             # seconds after which the test counts as hung

_meta = MetaData()
STRESS = Table("amtsflow_stress_rows", _meta, Column("id", Integer, primary_key=True),
               Column("n", Integer, nullable=False), Column("payload", Text, nullable=False))
_WRITE = FastStatement(insert(STRESS))
_BUMP = FastStatement(update(STRESS).where(STRESS.c.id == bindparam("b_id")).values(n=STRESS.c.n + 1))
_READ = FastStatement(select(STRESS.c.id, STRESS.c.payload).where(STRESS.c.id == bindparam("id")))
HOT = (1, 2)             # rows every transaction updates, in this order (lock waits, no deadlock)
BIG = 3                  # the large row every transaction reads


@pytest.fixture
def stress_table(engine: Any) -> Any:
    if engine.db.dialect.name != "postgresql":
        pytest.skip("deferred writes are sent in one round trip on PostgreSQL only")
    _meta.create_all(engine.db)
    with engine.db.begin() as conn:
        conn.execute(delete(STRESS))
        conn.execute(insert(STRESS), [{"id": 1, "n": 0, "payload": ""}, {"id": 2, "n": 0, "payload": ""},
                                      {"id": BIG, "n": 0, "payload": "r" * BIG_READ}])
    yield STRESS
    _meta.drop_all(engine.db)


def _payload(thread: int, round_: int, part: int) -> str:
    return f"{thread}:{round_}:{part}:" + "x" * LARGE


def test_large_deferred_writes_and_reads_under_lock_waits_neither_hang_nor_mix_up(engine, stress_table):
    committed: list[int] = []
    errors: list[BaseException] = []
    refused = 0
    lock = threading.Lock()

    def work(thread: int) -> None:
        nonlocal refused
        try:
            for round_ in range(ROUNDS):
                fail = round_ % 4 == 3      # a duplicate key in the middle: the whole flush fails
                ident = 1000 + thread * 100 + round_
                reads = []
                try:
                    with unit_of_work(engine.db) as uow:
                        for part, hot in enumerate(HOT):
                            _BUMP.defer(uow.conn, {"b_id": hot})
                            reads.append(_READ.all_deferred(uow.conn, {"id": BIG}))
                            _WRITE.defer(uow.conn, {"id": ident * 10 + part, "n": thread,
                                                    "payload": _payload(thread, round_, part)})
                        if fail:
                            _WRITE.defer(uow.conn, {"id": BIG, "n": 0, "payload": "duplicate"})
                        reads.append(_READ.all_deferred(uow.conn, {"id": ident * 10}))   # its own write
                        _WRITE.defer(uow.conn, {"id": ident * 10 + 9, "n": thread, "payload": "last"})
                        uow.commit()
                except IntegrityError:
                    assert fail
                    with lock:
                        refused += 1
                    continue
                assert not fail
                assert [len(r.rows[0].payload) if r.rows else 0 for r in reads[:-1]] == [BIG_READ] * len(HOT)
                assert all(r.rows and r.rows[0].payload == "r" * BIG_READ for r in reads[:-1])
                assert reads[-1].rows and reads[-1].rows[0].payload == _payload(thread, round_, 0)
                with lock:
                    committed.append(ident)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(THREADS)]
    started = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join(max(0.0, HANG - (time.monotonic() - started)))
    assert not any(th.is_alive() for th in threads), f"hung: {sum(th.is_alive() for th in threads)} threads"
    assert errors == []
    fails = THREADS * sum(1 for r in range(ROUNDS) if r % 4 == 3)
    assert refused == fails and len(committed) == THREADS * ROUNDS - fails
    with engine.db.connect() as conn:
        bumps = dict(conn.execute(select(STRESS.c.id, STRESS.c.n).where(STRESS.c.id.in_(HOT))).all())
        written = conn.execute(select(func.count()).select_from(STRESS).where(STRESS.c.id >= 10000)).scalar()
    assert bumps == {hot: len(committed) for hot in HOT}      # the failed transactions left nothing
    assert written == len(committed) * (len(HOT) + 1)


def test_a_flush_waits_out_a_long_lock_wait_and_fails_when_its_connection_is_killed(engine, stress_table):
    """A flush whose update waits for another transaction's row lock waits as long as the lock
    is held (longer than one poll slice), then commits; one whose server process is killed
    while it waits raises an error instead of waiting for ever."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    def flush_after_lock(hold: float, kill: bool) -> tuple[float, BaseException | None]:
        holder = engine.db.connect()
        holder.begin()
        holder.execute(update(STRESS).where(STRESS.c.id == 1).values(n=STRESS.c.n + 100))   # the row lock
        outcome: list[BaseException | None] = []

        def flush() -> None:
            try:
                with unit_of_work(engine.db) as uow:
                    pids.append(uow.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar())
                    _BUMP.defer(uow.conn, {"b_id": 1})
                    uow.commit()
                outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - returned to the test
                outcome.append(exc)

        pids: list[int] = []
        started = time.monotonic()
        waiter = threading.Thread(target=flush, daemon=True)
        waiter.start()
        waits = _blocked_on_a_lock(engine, pids)   # on a loaded machine the thread may take a while to get there
        assert waits, "the flush did not reach the row lock"
        time.sleep(hold)
        if kill:
            with engine.db.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pids[0]})
        holder.commit()
        holder.close()
        waiter.join(HANG)
        assert not waiter.is_alive(), "the flush hung"
        return time.monotonic() - started, outcome[0]

    took, error = flush_after_lock(2.5, kill=False)
    assert error is None and took >= 2.5
    with engine.db.connect() as conn:
        assert conn.execute(select(STRESS.c.n).where(STRESS.c.id == 1)).scalar() == 101
    _took, error = flush_after_lock(1.5, kill=True)
    assert isinstance(error, DBAPIError)
    with engine.db.connect() as conn:   # the pool replaced the broken connection
        assert conn.execute(select(STRESS.c.n).where(STRESS.c.id == 1)).scalar() == 201


def _blocked_on_a_lock(engine: Any, pids: list[int]) -> bool:
    """Whether the server process whose id ``pids`` receives waits for a lock within HANG seconds."""
    from sqlalchemy import text

    deadline = time.monotonic() + HANG
    while time.monotonic() < deadline:
        if pids:
            with engine.db.connect() as conn:
                if conn.execute(text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                                {"pid": pids[0]}).scalar() == "Lock":
                    return True
        time.sleep(0.02)
    return False
