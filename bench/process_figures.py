"""Owners' figures benchmark (issue 16): engine.services.process_figures on PostgreSQL.

    python bench/process_figures.py [--postgres URL] [--size 1000000] [--runs 10]

Data: the case search benchmark's cases (bench/case_search.py: 10 process keys, three years,
60 % completed after 9 days), plus one work item for every second case (due 5 days after the
start, completed with the case when it is completed, open otherwise). Then VACUUM (ANALYZE).
Measured: all figures of one process over a quarter and over a year (p50/p95 of --runs calls).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.case_search import LOAD_CASES  # noqa: E402
from bench.latency import fresh_pg, measure  # noqa: E402
from engine.bootstrap import bootstrap  # noqa: E402
from engine.persistence.migrate import upgrade  # noqa: E402
from engine.services import process_figures  # noqa: E402
from engine.services.deploy import deploy, read_paths  # noqa: E402
from engine.settings import Settings  # noqa: E402

LOAD_WORK_ITEMS = """
INSERT INTO work_items (id, case_id, process_key, element_id, name, state, candidate_groups, candidate_users,
                        due, created_at, ended_at, business_key, sort_due)
SELECT md5('w' || c.id)::uuid::text, c.id, c.process_key, 'pruefen', 'Antrag prüfen',
       CASE WHEN c.ended_at IS NULL THEN 'open' ELSE 'completed' END, '[]', '[]',
       c.started_at + interval '5 days', c.started_at, c.ended_at, c.business_key, c.started_at + interval '5 days'
FROM cases AS c WHERE c.status <> 'cancelled' AND substr(c.id, 1, 1) < '8'
"""
PERIODS = {"a quarter": (datetime(2025, 4, 1, tzinfo=timezone.utc), datetime(2025, 7, 1, tzinfo=timezone.utc)),
           "a year": (datetime(2025, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 1, tzinfo=timezone.utc))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("AMTSFLOW_TEST_POSTGRES_URL"))
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    if not args.postgres:
        print("PostgreSQL skipped: pass --postgres URL or set AMTSFLOW_TEST_POSTGRES_URL")
        return
    url = fresh_pg(args.postgres, "amtsflow_bench_figures")
    engine = bootstrap(Settings(database_url=url))
    upgrade(engine.db)
    definition = deploy(engine, read_paths([str(ROOT / "tests" / "models" / "usertask.bpmn")]),
                        actor="bench").processes[0].definition_id
    started = time.perf_counter()
    with engine.db.begin() as conn:
        conn.execute(text(LOAD_CASES), {"n": args.size, "definition": definition})
        conn.execute(text(LOAD_WORK_ITEMS))
    with engine.db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")
    print(f"PostgreSQL, {args.size:,} cases (1/10 per process) loaded in {time.perf_counter() - started:.0f} s")
    for label, (start, end) in PERIODS.items():
        p50, p95 = measure(lambda i, s=start, e=end: process_figures.figures(engine, f"leistung{i % 10}", s, e),
                           args.runs)
        print(f"  all figures of one process over {label:<10} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    engine.db.dispose()


if __name__ == "__main__":
    from engine.tenancy import DEFAULT_TENANT, enter

    enter(DEFAULT_TENANT)   # a bench acts for the default tenant (issue 17)
    main()
