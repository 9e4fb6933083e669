"""Issue 14.13: the task list sorted by priority (highest first; none counts as 50) and by age
(oldest first), keyset-paged without repeating or skipping a task, with the follow-up date
(camunda:followUpDate) and the summary field the process declares (service.toml [aufgabenliste])."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine.domain.errors import InvalidInput
from engine.services import cases, inbox_orders, inbox_query, task_pages, task_summaries
from engine.services.deploy import deploy, read_paths
from tests.conftest import MODELS

N = 23


@pytest.fixture
def tasks(engine, clock):
    deploy(engine, read_paths([str(MODELS / "inbox_order")]), actor="po")
    started = []
    for n in range(N):
        clock.advance(timedelta(minutes=1))
        due = (clock.now() + timedelta(days=(n * 5) % 7)).isoformat() if n % 4 else ""
        prio = [None, 10, 80, 50, 80][n % 5]
        data = {"name": f"Person {n:02d}", "frist": due, "wiedervorlage": (clock.now() + timedelta(days=2)).isoformat()
                if n % 3 == 0 else "", "prio": "" if prio is None else str(prio)}
        started.append(cases.start_case(engine, "sortiert", data, internal=True))
    return started


def _all(engine, order, limit=5):
    seen, cursor = [], None
    while True:
        page = task_pages.task_page(engine, groups=["sachbearbeitung"], user="sb1", order=order, cursor=cursor,
                                    limit=limit)
        assert page.total == N
        seen += page.items
        cursor = page.next_cursor
        if cursor is None:
            return seen


def test_priority_order_pages_through_every_task_once(engine, tasks):
    items = _all(engine, "priority")
    assert len({i["id"] for i in items}) == N
    ranks = [-(i["priority"] if i["priority"] is not None else 50) for i in items]
    assert ranks == sorted(ranks) and items[0]["priority"] == 80 and items[-1]["priority"] == 10
    undated_last = [(i["due"] is None, i["due"] or "") for i in items if i["priority"] == 80]
    assert undated_last == sorted(undated_last)


def test_age_order_is_oldest_first(engine, tasks):
    items = _all(engine, "age", limit=4)
    assert [i["case_id"] for i in items] == tasks          # started one after the other
    due_order = [i["case_id"] for i in _all(engine, "due")]
    assert due_order != tasks and sorted(due_order) == sorted(tasks)


def test_follow_up_and_summary_reach_the_list(engine, tasks):
    page = task_pages.task_page(engine, groups=["sachbearbeitung"], order="age", limit=3)
    items = task_summaries.add_summaries(engine, page.items)
    assert items[0]["follow_up"] is not None and items[1]["follow_up"] is None
    assert [i["summary"] for i in items] == [{"label": "Antragsteller", "value": f"Person {n:02d}"} for n in range(3)]


def test_a_cursor_of_another_order_is_refused(engine, tasks):
    page = task_pages.task_page(engine, groups=["sachbearbeitung"], order="priority", limit=5)
    with pytest.raises(InvalidInput):
        task_pages.task_page(engine, groups=["sachbearbeitung"], order="age", cursor=page.next_cursor, limit=5)
    with pytest.raises(InvalidInput):
        task_pages.task_page(engine, groups=["sachbearbeitung"], order="alphabet", limit=5)


def _start(engine, clock, n, prio):
    clock.advance(timedelta(minutes=1))
    due = (clock.now() + timedelta(days=n % 5)).isoformat() if n % 3 else ""
    return cases.start_case(engine, "sortiert", {"name": f"Person {n:02d}", "frist": due, "wiedervorlage": "",
                                                 "prio": "" if prio is None else str(prio)}, internal=True)


def _rank(item):
    return -(item["priority"] if item["priority"] is not None else inbox_orders.DEFAULT_PRIORITY)


def test_priority_pages_see_every_steady_task_once_while_others_come_and_go(engine, clock, tasks):
    """Between pages tasks of every priority arrive (also above the cursor) and unseen ones are
    done: no task twice, none skipped that stayed open, each page in order."""
    steady = {i["id"] for i in _all(engine, "priority")}
    seen: list[str] = []
    cursor, n = None, N
    while True:
        page = task_pages.task_page(engine, groups=["sachbearbeitung"], user="sb1", order="priority", cursor=cursor,
                                    limit=4)
        seen += [i["id"] for i in page.items]
        assert [_rank(i) for i in page.items] == sorted(_rank(i) for i in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
        for prio in (90, None, 10):
            n += 1
            _start(engine, clock, n, prio)
        unseen = sorted(steady - set(seen))
        if unseen:
            cases.complete_task(engine, unseen[len(unseen) // 2], {}, actor="sb2")
            steady.discard(unseen[len(unseen) // 2])
    assert len(seen) == len(set(seen))
    assert steady <= set(seen)


def _plan(engine, query, params):
    from engine.persistence.scoping import TENANT_PARAM
    from engine.tenancy import current_tenant

    # the scope's tenant as executed (the tenant criteria's parameter is added at compile time, so
    # it is given here), IN lists expanded
    compiled = query.params(**params).compile(dialect=engine.db.dialect)
    expanded = compiled.construct_expanded_state(params={TENANT_PARAM: current_tenant()})
    values, sql = expanded.parameters, expanded.statement
    with engine.db.begin() as conn:
        if engine.db.dialect.name == "postgresql":   # a tiny table: make the planner show what it can do
            # statistics of exactly this test's rows: the tables are emptied by DELETE between
            # tests, so without this the planner sees whatever earlier tests left and autovacuum
            # last counted (a different plan from run to run)
            conn.exec_driver_sql("ANALYZE work_items, work_item_queue, work_item_groups, case_fields, cases")
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_sort = off")
            rows = conn.exec_driver_sql("EXPLAIN " + sql, values)
        else:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql,
                                        tuple(values[k] for k in expanded.positiontup or []))
        return "\n".join(str(r[-1]) for r in rows)


def _index_reads(plan):
    """(index, its Index Cond) for every index read of the plan."""
    lines = plan.splitlines()
    reads = []
    for k, line in enumerate(lines):
        node = line.strip().removeprefix("->  ")
        if node.startswith(("Index Scan using ", "Index Only Scan using ", "Bitmap Index Scan on ")):
            name = node.split(" using ")[1].split()[0] if " using " in node else node.split()[4]
            cond = []
            for rest in lines[k + 1:]:
                if rest.strip().startswith("->"):
                    break
                cond.append(rest.strip())
            reads.append((name, " ".join(c for c in cond if c.startswith("Index Cond"))))
    return reads


def _tenant_first(plan):
    """No sequential scan; every index read of the inbox's tables starts with the tenant (probes
    of one task or case by its id excepted)."""
    assert "Seq Scan" not in plan, plan
    for name, cond in _index_reads(plan):
        probe = name in ("pk_work_items", "pk_work_item_queue", "pk_case_fields", "pk_cases", "ix_work_items_case_id")
        assert probe or "tenant_id" in cond, (name, cond, plan)


_QUEUE_INDEX = {"priority": ("ix_work_item_queue_priority", "ROW(priority_rank, sort_due, created_at, work_item_id) > ROW("),
                "age": ("ix_work_item_queue_age", "ROW(created_at, work_item_id) > ROW(")}


@pytest.mark.postgres
@pytest.mark.parametrize("order", ["priority", "age"])
@pytest.mark.parametrize("after", [False, True])
def test_a_groups_page_by_priority_or_age_is_one_range_of_the_queue_per_group(engine, tasks, order, after):
    """Migration 0023: a clerk's page by priority (or age) reads ix_work_item_queue_priority (or
    _age) once per group (tenant, group, the order's key), the next page from the cursor on (a row
    comparison in the index condition), the assigned tasks as the clerk's range; no walk over the
    tenant's priority or age index of every open task. PostgreSQL, with sequential scans and sorts
    made expensive: on a table this small a planner with statistics would rightly read it whole
    (bench/inbox.py shows both databases at 100,000 and 1,000,000)."""
    if engine.db.dialect.name != "postgresql":
        pytest.skip("planner settings: PostgreSQL")
    filters = inbox_query.Filters(groups=2, user=True)
    params = inbox_query.params_for(["sachbearbeitung", "leitung"], state="open", limit=6, user="sb1")
    if after:
        moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
        params.update(dict(after_0=-50, after_1=moment, after_2=moment, after_3="") if order == "priority"
                      else dict(after_0=moment, after_1=""))
    plan = _plan(engine, inbox_orders.page_query(filters, order, after), params)
    _tenant_first(plan)
    index, row = _QUEUE_INDEX[order]
    queue = [cond for name, cond in _index_reads(plan) if name == index]
    assert len(queue) == 2 and all("group_name" in cond for cond in queue), "\n" + plan
    # no walk over all the tenant's tasks by priority: the clerk's assigned ones are a range of their own
    # (by age the planner may walk ix_work_items_open_age for them with sorts switched off; with
    # statistics it reads the clerk's few from ix_work_items_assignee and sorts them)
    if order == "priority":
        assert "ix_work_items_open_priority" not in plan, "\n" + plan
        assert any(name == "ix_work_items_open_assignee_priority" and "assignee" in cond
                   for name, cond in _index_reads(plan)), "\n" + plan
    if after:
        assert all(row in cond for cond in queue), "\n" + plan


@pytest.mark.postgres
@pytest.mark.parametrize("after", [False, True])
def test_all_open_tasks_by_priority_read_the_tenants_priority_index(engine, tasks, after):
    """Migrations 0022, 0023: without a group the page walks ix_work_items_open_priority from the
    tenant's first entry (no sort), the next page seeks it twice (rest of the cursor's rank, lower
    ranks): tenant and rank are index conditions."""
    if engine.db.dialect.name != "postgresql":
        pytest.skip("planner settings: PostgreSQL")
    params = inbox_query.params_for([], state="open", limit=6)
    if after:
        moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
        params.update(after_0=-50, after_1=moment, after_2=moment, after_3="")
    plan = _plan(engine, inbox_orders.page_query(inbox_query.Filters(), "priority", after), params)
    _tenant_first(plan)
    conds = [cond for name, cond in _index_reads(plan) if name == "ix_work_items_open_priority"]
    assert len(conds) == (2 if after else 1), plan
    if after:    # seeks, not walks: the rank and the cursor are index conditions
        assert any("(- COALESCE(priority, 50)) = " in c and "ROW(sort_due, created_at" in c for c in conds), plan
        assert any("(- COALESCE(priority, 50)) > " in c for c in conds), plan
    else:
        assert "Sort" not in plan, plan


_INBOX = {   # the inbox queries bench/inbox.py measures: filters and their values
    "a group": (inbox_query.Filters(groups=1, user=True), dict(groups=["sachbearbeitung"], user="sb1")),
    "three groups": (inbox_query.Filters(groups=3, user=True), dict(groups=["a", "b", "c"], user="sb1")),
    "business key": (inbox_query.Filters(business_key=True), dict(business_key="AZ-1")),
    "process in a group": (inbox_query.Filters(groups=1, process_key=True),
                           dict(groups=["sachbearbeitung"], process_key="sortiert")),
    "process": (inbox_query.Filters(process_key=True), dict(process_key="sortiert")),
    "case field": (inbox_query.Filters(field=True), dict(field_name="name", field_value="Person 01")),
    "assignee": (inbox_query.Filters(assignee=True), dict(assignee="sb1")),
}


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(_INBOX))
@pytest.mark.parametrize("after", [False, True])
def test_every_inbox_query_reads_indexes_led_by_the_tenant(engine, tasks, name, after):
    """Every statement runs for one tenant (engine/persistence/scoping.py): each index the inbox's
    page query reads starts with tenant_id (migrations 0020, 0023), so a clerk's page reads only
    their municipality's entries, with 100 tenants on one database as with one."""
    if engine.db.dialect.name != "postgresql":
        pytest.skip("planner settings: PostgreSQL")
    filters, given = _INBOX[name]
    values = dict(given)
    groups = values.pop("groups", [])
    params = inbox_query.params_for(groups, state="open", limit=6, **values)
    if after:
        moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
        params.update(after_due=moment, after_created=moment, after_id="")
    _tenant_first(_plan(engine, inbox_query.page_query(filters, after), params))


def _tenant_tasks(engine, clock, tenant, count, first):
    from engine.tenancy import tenant_scope

    with tenant_scope(tenant):
        return [_start(engine, clock, first + k, [None, 10, 80, 50, 90][k % 5]) for k in range(count)]


@pytest.mark.parametrize("order", ["due", "priority", "age"])
def test_pages_of_one_tenant_see_its_tasks_once_while_another_tenant_works(engine, clock, order):
    """Two municipalities with the same group on one database: a clerk of one pages through
    exactly their own open tasks, each once, while both municipalities' cases start and finish
    between the pages (the other's tasks sort into the same index ranges, next to the cursor)."""
    from engine.persistence.tenant_tables import tenants
    from engine.tenancy import tenant_scope

    with engine.db.begin() as conn:
        conn.execute(tenants.insert().values(id="beispieldorf", name="Beispieldorf", host=None, path_prefix=None,
                                             settings={}, connectors={}, active=True, created_at=clock.now()))
    deploy(engine, read_paths([str(MODELS / "inbox_order")]), actor="po", shared=True)
    _tenant_tasks(engine, clock, "beispieldorf", 9, 100)
    _tenant_tasks(engine, clock, "default", 11, 0)
    with tenant_scope("default"):
        steady = {i["id"] for i in _all_of(engine, order)}
    assert len(steady) == 11
    seen: list[str] = []
    cursor, n = None, 200
    while True:
        with tenant_scope("default"):
            page = task_pages.task_page(engine, groups=["sachbearbeitung"], user="sb1", order=order, cursor=cursor,
                                        limit=3)
        seen += [i["id"] for i in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
        n += 1
        _tenant_tasks(engine, clock, "beispieldorf", 2, n * 10)   # the other municipality's new tasks
        with tenant_scope("beispieldorf"):                        # ... and one it finishes
            theirs = task_pages.task_page(engine, groups=["sachbearbeitung"], limit=1).items
            cases.complete_task(engine, theirs[0]["id"], {}, actor="sb2")
        unseen = sorted(steady - set(seen))
        if unseen:
            with tenant_scope("default"):
                cases.complete_task(engine, unseen[0], {}, actor="sb2")
            steady.discard(unseen[0])
    assert len(seen) == len(set(seen))
    assert steady <= set(seen)
    assert _own(engine, seen) == set(seen), "a page showed another municipality's task"


def _all_of(engine, order):
    seen, cursor = [], None
    while True:
        page = task_pages.task_page(engine, groups=["sachbearbeitung"], user="sb1", order=order, cursor=cursor,
                                    limit=4)
        seen += page.items
        cursor = page.next_cursor
        if cursor is None:
            return seen


def _own(engine, ids):
    """The ids among ``ids`` of the default tenant's work items (open or done)."""
    from engine.tenancy import tenant_scope
    from engine.persistence import tables as t
    from sqlalchemy import select

    with tenant_scope("default"), engine.db.connect() as conn:
        return set(conn.execute(select(t.work_items.c.id).where(t.work_items.c.id.in_(ids))).scalars())
