"""Case search benchmark (issue 16): the cockpit's case list at 1,000,000 cases on PostgreSQL.

    python bench/case_search.py [--postgres URL] [--size 1000000] [--runs 40] [--reuse]

--reuse keeps the database of an earlier run with the same --size (loading a million cases
takes minutes): it is migrated to the current head (new migrations backfill what they add)
and analysed, not reloaded.

How the data is made: a fresh database migrated by the engine's own migrations (every index,
the pg_trgm index included when the server offers the extension); one process is deployed
through the engine, then ``--size`` cases are written in bulk by SQL (generate_series) in the
shape the engine writes them: 10 process keys with 3 versions each, started over three years,
60 % completed, 30 % waiting, 5 % running, 3 % failed (each with an open incident), 2 %
cancelled, 0.5 % suspended; two declared case fields per case (antragsteller, kennzeichen) and
a business key. Then VACUUM (ANALYZE), as autovacuum leaves a table in steady state.

What is measured: engine.services.case_search.search, the function behind the studio's case
list and GET /api/v1/cases: the first page of 50 rows with its total (counted up to 10,000),
p50/p95 over --runs calls with varying values per filter, and the next page by its cursor.
Target: every filtered first page p95 < 100 ms at 1,000,000 cases.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.latency import fresh_pg, measure  # noqa: E402
from engine.bootstrap import bootstrap  # noqa: E402
from engine.persistence.migrate import upgrade  # noqa: E402
from engine.services import case_search  # noqa: E402
from engine.services.case_search import CaseQuery  # noqa: E402
from engine.services.deploy import deploy, read_paths  # noqa: E402
from engine.settings import Settings  # noqa: E402

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
SPAN_DAYS = 3 * 365
PROCESSES = [f"leistung{p}" for p in range(10)]
DATABASE = "amtsflow_bench_cases"

# One statement per table; i runs over generate_series. Case ids are uuid-shaped md5 digests.
LOAD_CASES = """
INSERT INTO cases (id, definition_id, process_key, version, business_key, status, suspended, state,
                   serializer_version, revision, data, waits, audit_hash, started_by, started_at, updated_at, ended_at)
SELECT md5('c' || i)::uuid::text, :definition, 'leistung' || (i % 10), 1 + (i / 10) % 3, 'AZ-' || lpad(i::text, 7, '0'),
       s.status, (i % 200 = 7), '{}', '1', 1, json_build_object('antragsteller', 'Person ' || i), '{}',
       repeat('0', 64), 'erika', s.started, s.started,
       CASE WHEN s.status IN ('completed', 'cancelled') THEN s.started + interval '9 days' END
FROM generate_series(1, :n) AS i,
LATERAL (SELECT CASE WHEN i % 100 < 60 THEN 'completed' WHEN i % 100 < 90 THEN 'waiting'
                     WHEN i % 100 < 95 THEN 'running' WHEN i % 100 < 98 THEN 'failed' ELSE 'cancelled' END AS status,
                timestamptz '2024-01-01' + (i::float / :n) * interval '1095 days' AS started) AS s
"""
LOAD_FIELDS = """
INSERT INTO case_fields (case_id, name, value)
SELECT md5('c' || i)::uuid::text, f.name, CASE f.name WHEN 'antragsteller' THEN 'Person ' || i ELSE 'MS-' || i END
FROM generate_series(1, :n) AS i, (VALUES ('antragsteller'), ('kennzeichen')) AS f(name)
"""
LOAD_INCIDENTS = """
INSERT INTO incidents (id, case_id, kind, message, status, created_at, element_id)
SELECT md5('i' || i)::uuid::text, md5('c' || i)::uuid::text, 'job', 'Register antwortet nicht', 'open',
       timestamptz '2024-01-01' + (i::float / :n) * interval '1095 days', 'pruefen'
FROM generate_series(1, :n) AS i WHERE i % 100 BETWEEN 95 AND 97
"""




def _reusable(base: str, n: int) -> str | None:
    """The URL of an earlier run's database holding exactly ``n`` cases, else None."""
    url = make_url(base).set(database=DATABASE)
    admin = create_engine(base)
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": DATABASE}).first() is None:
                return None
    finally:
        admin.dispose()
    probe = create_engine(url)
    try:
        with probe.connect() as conn:
            loaded = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
    except Exception:   # a half-made database: load afresh
        return None
    finally:
        probe.dispose()
    return url.render_as_string(hide_password=False) if loaded == n else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("AMTSFLOW_TEST_POSTGRES_URL"))
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database of an earlier run with the same --size (migrated, not reloaded)")
    args = parser.parse_args()
    if not args.postgres:
        print("PostgreSQL skipped: pass --postgres URL or set AMTSFLOW_TEST_POSTGRES_URL")
        return
    n = args.size
    url = _reusable(args.postgres, n) if args.reuse else None
    reused = url is not None
    if url is None:
        url = fresh_pg(args.postgres, DATABASE)
    engine = bootstrap(Settings(database_url=url))
    upgrade(engine.db)
    started = time.perf_counter()
    if not reused:
        definition = deploy(engine, read_paths([str(ROOT / "tests" / "models" / "usertask.bpmn")]),
                            actor="bench").processes[0].definition_id
        with engine.db.begin() as conn:
            for statement in (LOAD_CASES, LOAD_FIELDS, LOAD_INCIDENTS):
                conn.execute(text(statement), {"n": n, "definition": definition})
    with engine.db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")
        trgm = conn.exec_driver_sql("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_case_fields_value_trgm'").first()
    print(f"PostgreSQL, {n:,} cases {'reused' if reused else 'loaded'} in {time.perf_counter() - started:.0f} s "
          f"(trigram index: {'yes' if trgm else 'no, pg_trgm not available'})")
    rng = random.Random(7)

    def month(i: int) -> tuple[datetime, datetime]:
        first = START + timedelta(days=(i * 37) % (SPAN_DAYS - 31))
        return first, first + timedelta(days=31)

    first_page = case_search.search(engine, CaseQuery(process_key="leistung3"))
    filters: list[tuple[str, Callable[[int], CaseQuery]]] = [
        ("no filter (newest first)", lambda i: CaseQuery()),
        ("process", lambda i: CaseQuery(process_key=PROCESSES[i % 10])),
        ("process + version", lambda i: CaseQuery(process_key=PROCESSES[i % 10], version=1 + i % 3)),
        ("status failed", lambda i: CaseQuery(status="failed")),
        ("status waiting + process", lambda i: CaseQuery(status="waiting", process_key=PROCESSES[i % 10])),
        ("with incident", lambda i: CaseQuery(status="incident")),
        ("suspended", lambda i: CaseQuery(status="suspended")),
        ("business key", lambda i: CaseQuery(business_key=f"AZ-{rng.randrange(1, n):07d}")),
        ("started in a month", lambda i: CaseQuery(started_from=month(i)[0], started_until=month(i)[1])),
        ("process + started in a month", lambda i: CaseQuery(process_key=PROCESSES[i % 10],
                                                             started_from=month(i)[0], started_until=month(i)[1])),
        ("case field (exact)", lambda i: CaseQuery(field_name="kennzeichen", field_value=f"MS-{rng.randrange(1, n)}")),
        ("free text (contains)", lambda i: CaseQuery(text=f"Person {rng.randrange(1, n)}")),
        ("next page (cursor)", lambda i: CaseQuery(process_key="leistung3", after=first_page.next_cursor)),
    ]
    print(f"first page of {case_search.PAGE_SIZE} with its total (counted up to {case_search.COUNT_CAP:,}); "
          f"{args.runs} runs each; target p95 < 100 ms")
    worst = 0.0
    for label, make in filters:
        p50, p95 = measure(lambda i, make=make: case_search.search(engine, make(i)), args.runs)
        worst = max(worst, p95)
        print(f"  {label:<32} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    print(f"worst p95 {worst:.1f} ms: target {'met' if worst < 100 else 'NOT met'}")
    engine.db.dispose()


if __name__ == "__main__":
    from engine.tenancy import DEFAULT_TENANT, enter

    enter(DEFAULT_TENANT)   # a bench acts for the default tenant (issue 17)
    main()
