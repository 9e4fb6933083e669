"""Job acquisition at a backlog: what one acquisition costs a worker when many jobs are due, and
whether the municipalities take turns (issue 13, a regional provider's workers).

    python bench/acquisition.py --postgres URL [--tenants 1,100] [--backlogs 100,10000,100000] [--paused]

For each number of tenants and each backlog, on the PostgreSQL database of URL (emptied first:
give a database of your own): the backlog is written straight into the engine's ``jobs`` table
(one bulk INSERT: due service jobs of the first tenant, as a bulk run leaves them), plus 100
timers per tenant due in three days (pending deadlines, which an acquisition must not read) and
one due service job for every seventh other tenant; the tables are analysed, as autovacuum
would. Then the real ``JobExecutor.acquire(4)`` runs 40 times (each in its own transaction,
statements prepared as in production) and the next-due read (the idle worker's wake-up time)
40 times. Prints p50/p95 milliseconds of both and which tenants the first batch served.

``--paused`` adds the backlogs as a deactivated municipality's (its timers and service calls
wait, marked paused, with 1,000 due erasures of personal data, which run all the same) beside
one active tenant: the acquisition and the next-due read must not walk past its backlog.

Targets (engine/jobs.py): an acquisition at a backlog of 100,000 costs a small factor of what it
costs at 100 (it reads one index range per tenant and priority, not the backlog; reading and
sorting every due job took 160 ms at 100,000), and the first batch serves the other tenants'
jobs although the backlog's jobs fell due earlier.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from engine.bootstrap import bootstrap  # noqa: E402
from engine.jobs import JobExecutor  # noqa: E402
from engine.persistence import tables as t  # noqa: E402
from engine.persistence.db import make_engine  # noqa: E402
from engine.persistence.migrate import upgrade  # noqa: E402
from engine.persistence.tenant_tables import tenants as tenant_table  # noqa: E402
from engine.ports import FakeClock  # noqa: E402
from engine.settings import Settings  # noqa: E402
from engine.tenancy import DEFAULT_TENANT, all_tenants  # noqa: E402

ROUNDS = 40


def _load(db, clock: FakeClock, tenants: int, backlog: int) -> None:
    from tests.conftest import truncate_all

    truncate_all(db)
    now = clock.now()
    names = [DEFAULT_TENANT] + [f"stadt-{k}" for k in range(1, tenants)]
    with db.begin() as conn:
        for name in names[1:]:
            conn.execute(tenant_table.insert().values(id=name, name=name, host=None, path_prefix=None, settings={},
                                                      connectors={}, active=True, created_at=now))

    def job(tenant: str, kind: str, due, priority: int) -> dict:
        return dict(id=str(uuid.uuid4()), tenant_id=tenant, kind=kind, due_at=due, retries=3, attempts=0,
                    payload={}, suspended=False, created_at=now, priority=priority)

    rows = [job(names[0], "service", now - timedelta(hours=1, seconds=i), 50) for i in range(backlog)]
    rows += [job(name, "timer", now + timedelta(days=3, seconds=i), 100) for name in names for i in range(100)]
    rows += [job(name, "service", now - timedelta(seconds=1), 50) for name in names[1::7]]
    with all_tenants("bench: the backlog"), db.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(t.jobs), rows[start:start + 10_000])
    with db.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE jobs")


def _load_paused(engine, db, clock: FakeClock, backlog: int) -> None:
    """The backlog as a deactivated tenant's due service calls, with 1,000 due erasures of its
    own, beside the default tenant (a due service call, 100 pending timers)."""
    from engine.services import tenants as tenants_service

    _load(db, clock, 1, 0)
    now = clock.now()
    with db.begin() as conn:
        conn.execute(tenant_table.insert().values(id="stadt-ruht", name="stadt-ruht", host=None, path_prefix=None,
                                                  settings={}, connectors={}, active=True, created_at=now))
    rows = [dict(id=str(uuid.uuid4()), tenant_id="stadt-ruht", kind=kind, due_at=now - timedelta(hours=1, seconds=i),
                 retries=3, attempts=0, payload={}, suspended=False, created_at=now, priority=priority)
            for kind, priority, count in (("service", 50, backlog), ("retention", 10, 1000)) for i in range(count)]
    rows.append(dict(rows[0], id=str(uuid.uuid4()), tenant_id=DEFAULT_TENANT, due_at=now - timedelta(seconds=1)))
    with all_tenants("bench: the paused backlog"), db.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(t.jobs), rows[start:start + 10_000])
    tenants_service.deactivate_tenant(engine, "stadt-ruht")
    with db.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE jobs")


def _measure(executor: JobExecutor) -> tuple[list[float], list[float]]:
    acquire, next_due = [], []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        executor.acquire(4)
        acquire.append(time.perf_counter() - started)
    for _ in range(ROUNDS):
        started = time.perf_counter()
        executor.next_due_in()
        next_due.append(time.perf_counter() - started)
    return acquire, next_due


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"p50 {statistics.median(ordered) * 1000:7.2f} ms  p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("AMTSFLOW_TEST_POSTGRES_URL"))
    parser.add_argument("--tenants", default="1,100")
    parser.add_argument("--backlogs", default="100,10000,100000")
    parser.add_argument("--paused", action="store_true", help="also a deactivated tenant's backlog")
    args = parser.parse_args()
    if not args.postgres:
        sys.exit("needs PostgreSQL: --postgres URL or AMTSFLOW_TEST_POSTGRES_URL")
    db = make_engine(args.postgres)
    upgrade(db)
    clock = FakeClock()
    engine = bootstrap(Settings(database_url=args.postgres), db=db, clock=clock, connectors={})
    backlogs = [int(x) for x in args.backlogs.split(",")]
    for tenants in (int(x) for x in args.tenants.split(",")):
        medians = []
        for backlog in backlogs:
            _load(db, clock, tenants, backlog)
            executor = JobExecutor(engine, "bench")
            served = sorted({job.tenant_id for job in executor.acquire(4)})
            acquire, next_due = _measure(executor)
            print(f"{tenants:4d} tenant(s), backlog {backlog:7,d}: acquire(4) {_ms(acquire)};  next due {_ms(next_due)};"
                  f"  first batch served {len(served)} tenant(s): {', '.join(served[:4])}{' ...' if len(served) > 4 else ''}")
            medians.append(statistics.median(acquire))
        print(f"{tenants:4d} tenant(s): acquire(4) at a backlog of {backlogs[-1]:,d} / at {backlogs[0]:,d}: "
              f"{medians[-1] / medians[0]:.2f}x while the backlog grew {backlogs[-1] / max(backlogs[0], 1):,.0f}x "
              "(target: a small factor, index depth; reading the whole backlog grew with it: 160 ms at 100,000)")
    if args.paused:
        medians = []
        for backlog in backlogs:
            _load_paused(engine, db, clock, backlog)
            executor = JobExecutor(engine, "bench")
            kinds = sorted(f"{job.tenant_id}:{job.kind}" for job in executor.acquire(4))
            acquire, next_due = _measure(executor)
            print(f"paused tenant, backlog {backlog:7,d}: acquire(4) {_ms(acquire)};  next due {_ms(next_due)};"
                  f"  first batch: {', '.join(kinds)}")
            medians.append(statistics.median(next_due))
        print(f"paused tenant: next due at a backlog of {backlogs[-1]:,d} / at {backlogs[0]:,d}: "
              f"{medians[-1] / medians[0]:.2f}x (target: a small factor; walking past the paused backlog grew with it)")
    db.dispose()


if __name__ == "__main__":
    main()
