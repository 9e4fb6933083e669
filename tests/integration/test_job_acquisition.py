"""Job acquisition on PostgreSQL takes at most ``limit`` jobs per call, also while other workers
acquire at the same time: the candidates (each tenant's SELECT ... LIMIT n FOR UPDATE SKIP
LOCKED) are a MATERIALIZED CTE that runs once, not a subquery of the UPDATE that PostgreSQL may
run again while it checks rows (engine/jobs.py, _acquire_statement)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import insert

from engine.jobs import _ACQUIRE, JobExecutor
from engine.persistence import tables as t
from engine.persistence.scoping import ALL_TENANTS, for_all_tenants
from tests.integration.helpers import empty_pg_engine

pytestmark = pytest.mark.postgres

JOBS, LIMIT, WORKERS = 60, 4, 6


@pytest.fixture
def pg(pg_url):
    engine = empty_pg_engine(pg_url)
    now = engine.clock.now()
    with engine.db.begin() as conn:   # due timers of several priorities, in the test's (default) tenant
        conn.execute(insert(t.jobs), [dict(id=str(uuid.uuid4()), kind="timer", due_at=now - timedelta(seconds=i % 7),
                                           retries=3, attempts=0, payload={}, suspended=False, created_at=now,
                                           priority=50 + i % 3) for i in range(JOBS)])
    yield engine
    engine.db.dispose()


def test_the_candidates_are_read_once_in_a_materialized_cte(pg):
    statement = for_all_tenants(_ACQUIRE[True].statement)
    compiled = statement.compile(dialect=pg.db.dialect)
    now = pg.clock.now()
    expanded = compiled.construct_expanded_state(params={"now": now, "limit": LIMIT, "owner": "w", "expires": now,
                                                         ALL_TENANTS: True})
    assert "AS MATERIALIZED" in expanded.statement, expanded.statement
    with pg.db.connect() as conn:
        plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + expanded.statement, expanded.parameters))
    assert plan.count("LockRows") == 2 and "CTE turns" in plan and "CTE Scan on acquirable" in plan, plan
    # the locking SELECTs (each active tenant's due jobs and each deactivated tenant's due erasures,
    # engine/jobs.py _fair_candidates) sit in the first CTE, which runs once; the UPDATE reads the
    # chosen ones; nothing locks outside it
    assert plan.index("CTE turns") < plan.index("LockRows") < plan.rindex("LockRows") < plan.index("CTE acquirable") \
        < plan.index("CTE Scan on acquirable"), plan


def test_concurrent_acquisitions_lock_at_most_limit_jobs_each_and_each_job_once(pg):
    calls: list[int] = []
    taken: Counter[str] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(WORKERS)

    def worker(k: int) -> None:   # a thread starts without a tenant scope, as the real worker does
        try:
            executor = JobExecutor(pg, owner=f"worker-{k}")
            start.wait()
            while rows := executor.acquire(LIMIT):
                with lock:
                    calls.append(len(rows))
                    taken.update(r.id for r in rows)
        except BaseException as exc:   # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert calls and max(calls) <= LIMIT, calls
    assert len(taken) == JOBS and set(taken.values()) == {1}, taken.most_common(3)


def test_an_acquisition_does_not_wait_for_its_wal_flush_and_the_next_transaction_does(pg, monkeypatch):
    """The acquisition's COMMIT only records a lock: were it lost in a server crash, the jobs
    would be free again and taken once more, as after an expired lock (side effects at least
    once, state changes once). So it commits with synchronous_commit off (SET LOCAL, first in
    its pipeline: no round trip more, no WAL flush to wait for); the connection's next
    transaction, whatever it writes, waits for its flush again."""
    from engine.persistence import fast
    from engine.persistence.db import unit_of_work

    sent: list[str] = []
    pipeline = fast._libpq_pipeline

    def recorded(driver, pending, commit):
        sent.extend(sql for sql, _args, _receive in pending)
        pipeline(driver, pending, commit)

    monkeypatch.setattr(fast, "_libpq_pipeline", recorded)
    with pg.db.connect() as conn:   # (the test database's default is off: see tests/conftest.py)
        conn.exec_driver_sql("SET synchronous_commit TO on")   # this pooled connection's session value
        conn.commit()
    acquired = JobExecutor(pg, "w").acquire(LIMIT)
    assert len(acquired) == LIMIT
    assert sent[0] == "SET LOCAL synchronous_commit TO OFF", sent
    assert sent[1].startswith("WITH RECURSIVE levels") and "turns AS MATERIALIZED" in sent[1] \
        and "acquirable AS MATERIALIZED" in sent[1], sent
    for _ in range(3):   # the pool hands out the connection the acquisition used
        with unit_of_work(pg.db) as uow:
            assert uow.conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
