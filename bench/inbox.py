"""Inbox benchmark (issue 13): the clerk's task list at 100,000 and 1,000,000 open tasks.

    python bench/inbox.py [--postgres URL] [--sizes 100000,1000000] [--sqlite-size 100000] [--runs 40]
                          [--tenants 100] [--follow-ups 0.1] [--plans] [--reuse] [--database NAME]

How the data is made: the tables are the engine's own, created by its migrations (every index
included); one process (inbox.bpmn of tests/models) is deployed through the engine, then open
tasks are written in bulk in the shape the engine's projections write them: one case row per
task (status waiting, a small state), its work item (due dates over +-30 days, 20 % without),
one or two of 50 candidate groups (work_item_groups and work_item_queue), the searchable case
field "name" and a business key; 5 process keys; 200 tasks assigned to sb1; a share of the tasks
on follow-up (``--follow-ups``, 0.1: a Wiedervorlage day within +-30 days, about half of them
still deferred, which "a group's page, no follow-ups" leaves out). With ``--tenants N``
the tasks are spread at random over N tenants (``default`` and gemeinde001 ...; the same 50 group
names in each), and every query runs as a clerk of one of them (gemeinde050 with 100 tenants) in
its tenant scope, as a web request would (issue 17: every statement carries the tenant). PostgreSQL is
loaded with COPY, then VACUUM (ANALYZE) as autovacuum would leave a table in steady state (the
visibility map lets index-only scans skip the table); SQLite with executemany, then ANALYZE.

What is measured: engine.services.task_pages.task_page, the function behind the inbox and
GET /api/v1/tasks (page of 50 rows plus the total), p50/p95 over --runs calls with varying
values, and "Nächste Aufgabe übernehmen" (engine.services.claim_next: the first free tasks
without a total, then a claim; by a clerk of its own, sb9, so the other rows see the same
tasks), and the plan of each page query (EXPLAIN; a sequential scan of a big table is flagged).
Targets at 1,000,000 on PostgreSQL: p95 <= 50 ms for a group's first page, a business-key search,
a process filter and a case-field filter, the next page as fast as the first; SQLite at 100,000:
p95 <= 100 ms. The free-text search box (contained text: a name, a part of a business key, a text
most cases contain) is measured beside them with the same targets.
``--plans`` prints each plan in full; ``--reuse`` keeps a PostgreSQL database loaded by an earlier
run with the same size and tenants (it is migrated to the current head, then measured), so that a
new index can be measured at 1,000,000 without loading again.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, insert, make_url, select, text  # noqa: E402

from bench.latency import fresh_pg, measure  # noqa: E402
from engine.bootstrap import Engine, bootstrap  # noqa: E402
from engine.persistence import tables as t  # noqa: E402
from engine.persistence.migrate import upgrade  # noqa: E402
from engine.persistence.scoping import TENANT_PARAM  # noqa: E402
from engine.persistence.tenant_tables import tenants as tenants_table  # noqa: E402
from engine.services import inbox_orders, inbox_query  # noqa: E402
from engine.tenancy import DEFAULT_TENANT, all_tenants, tenant_scope  # noqa: E402
from engine.services.deploy import deploy, read_paths  # noqa: E402
from engine.services.task_pages import task_page  # noqa: E402
from engine.services.claim_next import CANDIDATES, claim_next  # noqa: E402
from engine.settings import Settings  # noqa: E402

GROUPS = [f"gruppe{g:02d}" for g in range(50)]
PROCESSES = [f"leistung{p}" for p in range(5)]
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
PAGE = 50
FOLLOW_UPS = 0.1   # --follow-ups: the share of open tasks on follow-up


def tenant_ids(count: int) -> list[str]:
    return [DEFAULT_TENANT] + [f"gemeinde{k:03d}" for k in range(1, count)]


def _rows(n: int, definition_id: str, tenants: list[str]) -> Iterator[dict[str, Any]]:
    rng = random.Random(42)
    spread = random.Random(7)   # its own stream: the other values do not depend on the tenant count
    deferring = random.Random(11)   # its own stream too: FOLLOW_UPS does not change the other values
    for i in range(n):
        case_id, task_id = str(uuid.UUID(int=rng.getrandbits(128))), str(uuid.UUID(int=rng.getrandbits(128)))
        groups = [GROUPS[i % 50]] + ([GROUPS[(i * 7 + 3) % 50]] if i % 10 == 0 else [])
        due = NOW + timedelta(minutes=rng.randint(-43200, 43200)) if rng.random() < 0.8 else None
        created = NOW - timedelta(seconds=n - i)
        yield {"case_id": case_id, "task_id": task_id, "groups": list(dict.fromkeys(groups)), "due": due,
               "created": created, "key": f"AZ-{i:07d}", "process": PROCESSES[i % 5], "name": f"Person {i}",
               "assignee": "sb1" if i % (n // 200) == 0 else None, "definition_id": definition_id,
               "priority": None if i % 10 < 7 else (10, 30, 60, 90)[i % 4],
               "tenant": tenants[spread.randrange(len(tenants))] if len(tenants) > 1 else tenants[0],
               "follow_up": _follow_up(deferring)}


def _follow_up(rng: random.Random) -> datetime | None:
    """A share FOLLOW_UPS of the tasks is on follow-up (Wiedervorlage), its day midnight within
    +-30 days of NOW: about half of them still deferred, the rest due again."""
    if rng.random() >= FOLLOW_UPS:
        return None
    return NOW.replace(hour=0) + timedelta(days=rng.randint(-30, 30))


def _tables(r: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    sort_due = r["due"] or t.UNDATED
    tables = {
        "cases": [dict(id=r["case_id"], definition_id=r["definition_id"], process_key=r["process"], version=1,
                       business_key=r["key"], status="waiting", suspended=False, state="{}", serializer_version="1",
                       revision=1, data={"name": r["name"]}, waits={}, audit_hash="0" * 64, error=None,
                       started_by="erika", started_at=r["created"], updated_at=r["created"], ended_at=None)],
        "work_items": [dict(id=r["task_id"], case_id=r["case_id"], process_key=r["process"], element_id="pruefen",
                            name="Antrag prüfen", state="open", candidate_groups=r["groups"], candidate_users=[],
                            assignee=r["assignee"], due=r["due"], follow_up=r["follow_up"], priority=r["priority"],
                            created_at=r["created"], ended_at=None, completed_by=None, business_key=r["key"],
                            sort_due=sort_due)],
        "work_item_groups": [dict(work_item_id=r["task_id"], group_name=g) for g in r["groups"]],
        "work_item_queue": [dict(work_item_id=r["task_id"], group_name=g, case_id=r["case_id"], process_key=r["process"],
                                 sort_due=sort_due, created_at=r["created"], follow_up=r["follow_up"],
                                 priority_rank=inbox_orders.rank_of(r["priority"])) for g in r["groups"]],
        "case_fields": [dict(case_id=r["case_id"], name="name", value=r["name"])],
    }
    return {name: [{**row, "tenant_id": r["tenant"]} for row in rows] for name, rows in tables.items()}


ORDER = ["cases", "work_items", "work_item_groups", "work_item_queue", "case_fields"]


def load(engine: Engine, n: int, definition_id: str, tenants: list[str]) -> float:
    started = time.perf_counter()
    if len(tenants) > 1:
        with engine.db.begin() as conn:   # the tenants table is installation-wide (not scoped)
            conn.execute(insert(tenants_table), [
                dict(id=k, name=f"Gemeinde {k}", host=None, path_prefix=None, settings={}, connectors={},
                     active=True, created_at=NOW) for k in tenants if k != DEFAULT_TENANT])
    if engine.db.dialect.name == "postgresql":
        _copy(engine, n, definition_id, tenants)
    else:
        batch: dict[str, list[dict[str, Any]]] = {name: [] for name in ORDER}
        with all_tenants("bench: bulk load, every row names its tenant"), engine.db.begin() as conn:
            for i, r in enumerate(_rows(n, definition_id, tenants), 1):
                for name, rows in _tables(r).items():
                    batch[name] += rows
                if i % 5000 == 0 or i == n:
                    for name in ORDER:
                        if batch[name]:
                            conn.execute(insert(getattr(t, name)), batch[name])
                        batch[name] = []
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def _copy(engine: Engine, n: int, definition_id: str, tenants: list[str]) -> None:
    raw = engine.db.raw_connection()
    try:
        cur = raw.cursor()
        for name in ORDER:
            given = {c for row in _tables(next(_rows(1000, definition_id, tenants)))[name] for c in row}
            columns = [c.name for c in getattr(t, name).columns if c.name in given]   # the rest: defaults
            with cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for r in _rows(n, definition_id, tenants):
                    for row in _tables(r)[name]:
                        copy.write_row([json.dumps(row[c]) if isinstance(row[c], (dict, list)) else row[c]
                                        for c in columns])
        raw.commit()
    finally:
        raw.close()
    # VACUUM runs outside a transaction; it leaves what autovacuum would: visibility map, statistics
    with engine.db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")




PLANS = False   # --plans: print each plan in full


def _plan(engine: Engine, tenant: str, filters: inbox_query.Filters, params: dict[str, Any], after: bool,
          order: str = "due") -> str:
    query = inbox_query.page_query(filters, after) if order == "due" else inbox_orders.page_query(filters, order, after)
    # the tenant criteria's parameter is added at compile time (engine/persistence/scoping.py): bind
    # the clerk's tenant as a request would; IN lists expanded
    compiled = query.params(**params).compile(dialect=engine.db.dialect)
    expanded = compiled.construct_expanded_state(params={TENANT_PARAM: tenant})
    with engine.db.connect() as conn:
        if engine.db.dialect.name == "postgresql":
            rows = conn.exec_driver_sql("EXPLAIN " + expanded.statement, expanded.parameters)
        else:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + expanded.statement,
                                        tuple(expanded.parameters[k] for k in expanded.positiontup or []))
        lines = [str(r[-1]) for r in rows]
    return verdict(lines, order != "due") + ("\n      " + "\n      ".join(lines) if PLANS else "")


BIG = ("work_items", "work_item_queue", "cases", "case_fields", "work_item_groups")


def verdict(lines: list[str], sorts_matter: bool = True) -> str:
    """"index scans only" when every big table is read through an index range; else what is not:
    sequential scans, index reads whose condition does not start with the tenant (a walk over
    every tenant's rows; probes by a task's or a case's id are fine), sorts."""
    scans = [ln.strip() for ln in lines if ("Seq Scan" in ln or ln.strip().startswith("SCAN ")) and
             any(b in ln for b in BIG) and "USING" not in ln]
    untenanted: list[str] = []
    for k, ln in enumerate(lines):
        node = ln.strip().removeprefix("->  ")
        if node.startswith("SCAN ") and "USING" in node and any(b in node for b in BIG):
            untenanted.append(node)          # SQLite: a whole index in order
        elif node.startswith("SEARCH ") and any(b in node for b in BIG) and "tenant_id=?" not in node \
                and not any(p in node for p in ("(id=?)", "(work_item_id=?", "(case_id=?)")):
            untenanted.append(node)
        elif node.startswith(("Index Scan", "Index Only Scan", "Bitmap Index Scan")) and any(b in node for b in BIG):
            detail = []
            for rest in lines[k + 1:]:
                if rest.strip().startswith("->"):
                    break
                detail.append(rest)
            cond = " ".join(d for d in detail if "Index Cond" in d)
            probe = any(p in cond for p in ("(id = ", "(work_item_id = ", "(case_id = ", "(work_item_id)::text = ",
                                              "(id)::text = ", "(case_id)::text = "))
            if "tenant_id" not in cond and not probe:
                untenanted.append(node)
    sorts = [ln.strip() for ln in lines if ln.strip().startswith(("Sort ", "USE TEMP B-TREE FOR ORDER BY"))
             or ln.strip().startswith("->  Sort ")]
    found = "index scans only" if not scans else "SEQUENTIAL: " + "; ".join(scans)
    if untenanted:
        found += ", WITHOUT THE TENANT: " + "; ".join(untenanted)
    return found + ("" if not sorts or not sorts_matter else ", SORTS: " + "; ".join(sorts))


def _loaded(engine: Engine) -> tuple[int, int]:
    """Open tasks and those on follow-up in the database."""
    with all_tenants("bench: is the database loaded?"), engine.db.connect() as conn:
        return (int(conn.execute(select(func.count()).select_from(t.work_items)).scalar_one()),
                int(conn.execute(select(func.count()).select_from(t.work_items)
                                 .where(t.work_items.c.follow_up.is_not(None))).scalar_one()))


def run(label: str, url: str, n: int, runs: int, tenant_count: int = 1, reuse: bool = False) -> None:
    engine = bootstrap(Settings(database_url=url, case_cache_size=0))
    tenants = tenant_ids(tenant_count)
    clerk = tenants[len(tenants) // 2] if len(tenants) > 1 else DEFAULT_TENANT
    deferred = sum(1 for r in _rows(n, "", tenants) if r["follow_up"] is not None)
    loaded = reuse and _loaded_or_zero(engine) == (n, deferred)
    upgrade(engine.db)
    if loaded:
        print(f"\n{label}: {n:,} open tasks over {len(GROUPS)} groups and {len(tenants)} tenant(s), "
              f"loaded by an earlier run, migrated to the current head")
    else:
        with tenant_scope(DEFAULT_TENANT):
            [deployed] = deploy(engine, read_paths([str(ROOT / "tests" / "models" / "inbox.bpmn")]), actor="bench",
                                shared=True).processes
        seconds = load(engine, n, deployed.definition_id, tenants)
        print(f"\n{label}: {n:,} open tasks over {len(GROUPS)} groups and {len(tenants)} tenant(s), "
              f"loaded in {seconds:.0f} s")
    if engine.db.dialect.name == "postgresql":
        # a new index on an expression needs its statistics; a migration's UPDATE (0023 fills
        # work_item_queue.priority_rank) clears the visibility map, which index-only scans need:
        # what autovacuum leaves behind some time after the upgrade
        with engine.db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    # the clerk's own tasks: the keys and names the searches look for
    mine = [r["key"] for r in _rows(n, "", tenants) if r["tenant"] == clerk]
    print(f"  {deferred:,} of them on follow-up (--follow-ups {FOLLOW_UPS:g}), about half of those still deferred")
    print(f"  measured as a clerk of tenant {clerk!r} ({len(mine):,} of its open tasks); load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tenant_scope(clerk):
        _measure(engine, clerk, mine, runs)
    engine.db.dispose()


def _loaded_or_zero(engine: Engine) -> tuple[int, int]:
    try:
        return _loaded(engine)
    except Exception:   # no tables yet
        return 0, 0


def _measure(engine: Engine, tenant: str, keys: list[str], runs: int) -> None:
    rng = random.Random(1)
    names = [f"Person {int(k[3:])}" for k in keys]
    first = task_page(engine, groups=[GROUPS[7]], limit=PAGE)
    cursors = [first.next_cursor]
    for _ in range(4):
        cursors.append(task_page(engine, groups=[GROUPS[7]], limit=PAGE, cursor=cursors[-1]).next_cursor)
    cases: list[tuple[str, Callable[[int], Any], inbox_query.Filters, dict[str, Any], bool]] = [
        ("a group's first page", lambda i: task_page(engine, groups=[GROUPS[i % 50]], user="sb1", limit=PAGE),
         inbox_query.Filters(groups=1, user=True), inbox_query.params_for([GROUPS[7]], state="open", limit=PAGE + 1,
                                                                            user="sb1"), False),
        ("the next page (5th)", lambda i: task_page(engine, groups=[GROUPS[7]], user="sb1", limit=PAGE,
                                                    cursor=cursors[3] or cursors[0]),
         inbox_query.Filters(groups=1, user=True), {**inbox_query.params_for([GROUPS[7]], state="open",
                                                                            limit=PAGE + 1, user="sb1"),
                                                    "after_due": NOW, "after_created": NOW, "after_id": ""}, True),
        ("a group's page, no follow-ups", lambda i: task_page(engine, groups=[GROUPS[i % 50]], user="sb1",
                                                               limit=PAGE, hide_deferred=True),
         inbox_query.Filters(groups=1, user=True, not_deferred=True),
         inbox_query.params_for([GROUPS[7]], state="open", limit=PAGE + 1, user="sb1", now=NOW), False),
        # "Nächste Aufgabe übernehmen": reads the first free tasks (without the total) and claims one
        ("claim the next free task", lambda i: claim_next(engine, "sb9", [GROUPS[i % 50]]),
         inbox_query.Filters(groups=1, viewer=True, unassigned=True, not_deferred=True),
         inbox_query.params_for([GROUPS[7]], state="open", limit=CANDIDATES + 1, viewer="sb9", now=NOW), False),
        ("three groups' first page", lambda i: task_page(engine, groups=rng.sample(GROUPS, 3), user="sb1", limit=PAGE),
         inbox_query.Filters(groups=3, user=True), inbox_query.params_for(GROUPS[:3], state="open", limit=PAGE + 1,
                                                                            user="sb1"), False),
        ("business-key search (exact)", lambda i: task_page(engine, business_key=rng.choice(keys), limit=PAGE),
         inbox_query.Filters(business_key=True), inbox_query.params_for([], state="open", limit=PAGE + 1,
                                                                          business_key=keys[0]), False),
        ("process filter in a group", lambda i: task_page(engine, groups=[GROUPS[i % 50]], process_key=PROCESSES[i % 5],
                                                          limit=PAGE),
         inbox_query.Filters(groups=1, process_key=True),
         inbox_query.params_for([GROUPS[7]], state="open", limit=PAGE + 1, process_key=PROCESSES[2]), False),
        ("process filter (all tasks)", lambda i: task_page(engine, process_key=PROCESSES[i % 5], limit=PAGE),
         inbox_query.Filters(process_key=True),
         inbox_query.params_for([], state="open", limit=PAGE + 1, process_key=PROCESSES[2]), False),
        ("case-field filter (exact)", lambda i: task_page(engine, field=("name", rng.choice(names)), limit=PAGE),
         inbox_query.Filters(field=True),
         inbox_query.params_for([], state="open", limit=PAGE + 1, field_name="name", field_value=names[0]), False),
        ("a clerk's own tasks", lambda i: task_page(engine, assignee="sb1", limit=PAGE),
         inbox_query.Filters(assignee=True), inbox_query.params_for([], state="open", limit=PAGE + 1,
                                                                      assignee="sb1"), False),
    ]
    for name, fn, filters, params, after in cases:
        p50, p95 = measure(fn, runs)
        print(f"  {name:<30} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   plan: {_plan(engine, tenant, filters, params, after)}")
    # the search box (contained text; engine/services/inbox_search.py): a name or a part of a
    # business key finds its few cases through the trigram indexes first; a text most cases contain
    # ("Person 1": a ninth of them) is read task by task, its total cut after COUNT_CAP tasks; one
    # in between ("Person 37") is checked per task against the set of its cases
    searches: list[tuple[str, Callable[[int], Any]]] = [
        ("free text: a name", lambda i: task_page(engine, search=rng.choice(names), groups=[GROUPS[i % 50]],
                                                  user="sb1", limit=PAGE)),
        ("free text: a name, 3 groups", lambda i: task_page(engine, search=rng.choice(names),
                                                            groups=rng.sample(GROUPS, 3), user="sb1", limit=PAGE)),
        ("free text: part of a key", lambda i: task_page(engine, search=rng.choice(keys)[-5:],
                                                         groups=rng.sample(GROUPS, 3), user="sb1", limit=PAGE)),
        ("free text: in many cases", lambda i: task_page(engine, search="Person 1", groups=[GROUPS[i % 50]],
                                                         user="sb1", limit=PAGE)),
        # "Person 37": one case in ninety (11,111 at 1,000,000), checked per task as a set of cases
        ("free text: 1 case in 90", lambda i: task_page(engine, search=f"Person {rng.randint(10, 99)}",
                                                        groups=[GROUPS[i % 50]], user="sb1", limit=PAGE)),
        ("free text: 1 in 90, 3 groups", lambda i: task_page(engine, search=f"Person {rng.randint(10, 99)}",
                                                             groups=rng.sample(GROUPS, 3), user="sb1", limit=PAGE)),
    ]
    for name, fn in searches:
        p50, p95 = measure(fn, runs)
        print(f"  {name:<30} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    # engine/services/inbox_orders.py: the other orders than the inbox key
    group = inbox_query.params_for([GROUPS[7]], state="open", limit=PAGE + 1, user="sb1")
    for order in ("priority", "age"):
        chain = [task_page(engine, groups=[GROUPS[7]], user="sb1", limit=PAGE, order=order).next_cursor]
        for _ in range(4):
            chain.append(task_page(engine, groups=[GROUPS[7]], user="sb1", limit=PAGE, order=order,
                                   cursor=chain[-1]).next_cursor or chain[0])
        after = {f"after_{k}": v for k, v in enumerate(
            [-50, NOW, NOW, ""] if order == "priority" else [NOW, ""])}
        ordered: list[tuple[str, Callable[[int], Any], inbox_query.Filters, dict[str, Any], bool]] = [
            (f"a group's page by {order}", lambda i, o=order: task_page(engine, groups=[GROUPS[i % 50]], user="sb1",
                                                                         limit=PAGE, order=o),
             inbox_query.Filters(groups=1, user=True), group, False),
            (f"next page by {order} (5th)", lambda i, o=order, c=chain[3]: task_page(
                engine, groups=[GROUPS[7]], user="sb1", limit=PAGE, order=o, cursor=c),
             inbox_query.Filters(groups=1, user=True), {**group, **after}, True),
            (f"all open tasks by {order}", lambda i, o=order: task_page(engine, limit=PAGE, order=o),
             inbox_query.Filters(), inbox_query.params_for([], state="open", limit=PAGE + 1), False),
        ]
        for name, fn, filters, params, is_after in ordered:
            p50, p95 = measure(fn, runs)
            print(f"  {name:<30} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   "
                  f"plan: {_plan(engine, tenant, filters, params, is_after, order)}")


def main() -> None:
    global PLANS, FOLLOW_UPS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("AMTSFLOW_TEST_POSTGRES_URL"))
    parser.add_argument("--sizes", default="100000,1000000", help="open tasks on PostgreSQL")
    parser.add_argument("--sqlite-size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--tenants", type=int, default=1, help="spread the tasks over this many tenants")
    parser.add_argument("--follow-ups", type=float, default=FOLLOW_UPS,
                        help="the share of open tasks on follow-up (Wiedervorlage)")
    parser.add_argument("--plans", action="store_true", help="print each plan in full")
    parser.add_argument("--reuse", action="store_true", help="PostgreSQL: keep a database an earlier run loaded")
    parser.add_argument("--database", default="amtsflow_bench_inbox",
                        help="PostgreSQL: databases are named DATABASE_SIZE_TENANTS (a name of your own on a "
                             "shared server)")
    args = parser.parse_args()
    PLANS, FOLLOW_UPS = args.plans, args.follow_ups
    if args.sqlite_size:
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite (target p95 <= 100 ms)", f"sqlite:///{tmp}/inbox.sqlite", args.sqlite_size, args.runs,
                args.tenants)
    if not args.postgres:
        print("PostgreSQL skipped: pass --postgres URL or set AMTSFLOW_TEST_POSTGRES_URL")
        return
    for size in [int(s) for s in args.sizes.split(",") if s]:
        name = f"{args.database}_{size}_{args.tenants}"
        url = (make_url(args.postgres).set(database=name).render_as_string(hide_password=False) if args.reuse
               and _exists(args.postgres, name) else fresh_pg(args.postgres, name))
        target = " (target p95 <= 50 ms)" if size >= 1_000_000 else ""
        run(f"PostgreSQL{target}", url, size, args.runs, args.tenants, args.reuse)


def _exists(base: str, name: str) -> bool:
    admin = create_engine(base)
    with admin.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is not None
    admin.dispose()
    return found


if __name__ == "__main__":
    main()
