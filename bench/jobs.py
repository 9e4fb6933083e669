"""Job executor benchmark on PostgreSQL: jobs/s with 1 and 2 worker processes, and timer
lateness (due -> fired) p50/p95 under that load.

Each worker process runs the real worker loop of `amtsflow worker` (engine.jobs.WorkerThread
with its production defaults: 1 s poll interval, PostgreSQL NOTIFY wake-up, priorities); the
jobs are written beforehand by this process, as a web process would write them.
Targets (issue 13): timer lateness p95 <= 1 s; two workers >= 1.6x one worker's jobs/s. That
ratio is the scaling of worker processes, measured with one executor thread per process (how
every worker ran when the target was set); a last run shows one process with its default
executor threads (AMTSFLOW_WORKER_THREADS, 4 on PostgreSQL).

    python bench/jobs.py [--jobs N] [--timers M] [--postgres URL]

Needs PostgreSQL (--postgres or AMTSFLOW_TEST_POSTGRES_URL); it empties that database's tables.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from engine.bootstrap import Engine, bootstrap  # noqa: E402
from engine.jobs import WorkerThread  # noqa: E402
from engine.persistence import tables as t  # noqa: E402
from engine.persistence.db import make_engine  # noqa: E402
from engine.persistence.migrate import upgrade  # noqa: E402
from engine.persistence.schema import metadata  # noqa: E402
from engine.ports import OperationSpec, ServiceRequest, ServiceResult  # noqa: E402
from engine.services import cases  # noqa: E402
from engine.services.deploy import deploy, read_paths  # noqa: E402
from engine.settings import Settings  # noqa: E402

MODELS = ROOT / "tests" / "models"


class NoopConnector:
    name = "test"

    def operations(self) -> Mapping[str, OperationSpec]:
        return {"lookup": OperationSpec()}

    def call(self, operation: str, request: ServiceRequest) -> ServiceResult:
        return ServiceResult({"found": True})


def _engine(url: str) -> Engine:
    return bootstrap(Settings(database_url=url), connectors={"test": NoopConnector()})


def _work(url: str, ready: Any, stop: Any, threads: int | None) -> None:
    engine = _engine(url)
    worker = WorkerThread(engine, threads=threads)   # what `amtsflow worker` runs (threads None: its default)
    worker.start()
    ready.release()
    stop.wait()
    worker.stop()
    worker.join(timeout=30)
    engine.db.dispose()


def _reset(url: str) -> Engine:
    db = make_engine(url)
    upgrade(db)
    with db.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(f'"{tb.name}"' for tb in metadata.sorted_tables
                                                   if tb.name != "tenants") + " CASCADE"))
    engine = bootstrap(Settings(database_url=url), connectors={"test": NoopConnector()}, db=db)
    deploy(engine, read_paths([str(MODELS / "service.bpmn")]))
    deploy(engine, read_paths([str(MODELS / "wait.bpmn")]))
    return engine


def run(url: str, jobs: int, timers: int, workers: int, threads: int | None = 1) -> float:
    engine = _reset(url)
    for i in range(jobs):                # the backlog, written as a web process writes it
        cases.start_case(engine, "service", {"name": f"P{i}"}, internal=True)
    ctx = multiprocessing.get_context("spawn")
    stop, ready = ctx.Event(), ctx.Semaphore(0)
    procs = [ctx.Process(target=_work, args=(url, ready, stop, threads)) for _ in range(workers)]
    for p in procs:
        p.start()
    for _ in procs:                      # process start-up is not part of the figures
        ready.acquire()
    began = time.monotonic()
    duration = max(2, int(jobs / 150))   # timers fall due while the workers work the backlog
    for i in range(timers):
        seconds = 0.5 + (i * duration) / max(timers, 1)
        cases.start_case(engine, "wait", {"dauer": f"PT{seconds:.3f}S"}, internal=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:   # until every service job and timer has run
        with engine.db.connect() as conn:
            left = conn.execute(select(func.count()).select_from(t.jobs)
                                .where(t.jobs.c.kind.in_(("service", "timer")))).scalar()
        if not left:
            break
        time.sleep(0.2)
    stop.set()
    for p in procs:
        p.join()
    with engine.db.connect() as conn:
        done = conn.execute(select(func.count()).select_from(t.audit_events)
                            .where(t.audit_events.c.action == "service_completed")).scalar()
        last = conn.execute(select(func.max(t.audit_events.c.at))
                            .where(t.audit_events.c.action == "service_completed")).scalar()
        fired = conn.execute(select(t.audit_events.c.at, t.audit_events.c.details)
                             .where(t.audit_events.c.action == "timer_fired")).all()
        first = conn.execute(select(func.min(t.audit_events.c.at))
                             .where(t.audit_events.c.action == "service_completed")).scalar()
    busy = (last - first).total_seconds() if first and last else time.monotonic() - began
    late = sorted((row.at - datetime.fromisoformat(row.details["due"])).total_seconds() for row in fired)
    rate = done / busy
    p95 = _pct(late, 95)
    each = f"{threads} thread" if threads == 1 else "default threads"
    print(f"{workers} worker(s), {each}: {done} jobs in {busy:.1f} s = {rate:7.1f} jobs/s; "
          f"timers fired {len(late)}/{timers}, lateness p50 {_pct(late, 50):.3f} s, p95 {p95:.3f} s "
          f"(target <= 1 s: {'met' if p95 <= 1.0 else 'NOT met'})")
    engine.db.dispose()
    return rate


def _pct(values: list[float], pct: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100)[pct - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--timers", type=int, default=100)
    parser.add_argument("--postgres", default=os.environ.get("AMTSFLOW_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    if not args.postgres:
        print("bench/jobs.py needs PostgreSQL: pass --postgres URL or set AMTSFLOW_TEST_POSTGRES_URL")
        return
    one = run(args.postgres, args.jobs, args.timers, 1)
    two = run(args.postgres, args.jobs, args.timers, 2)
    print(f"two workers / one worker: {two / one:.2f}x (target >= 1.6x: {'met' if two / one >= 1.6 else 'NOT met'})")
    pooled = run(args.postgres, args.jobs, args.timers, 1, threads=None)
    print(f"one worker with its default executor threads / with one thread: {pooled / one:.2f}x")


if __name__ == "__main__":
    from engine.tenancy import DEFAULT_TENANT, enter

    enter(DEFAULT_TENANT)   # a bench acts for the default tenant (issue 17)
    main()
