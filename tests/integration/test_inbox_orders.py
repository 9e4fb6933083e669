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
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_sort = off")
            rows = conn.exec_driver_sql("EXPLAIN " + sql, values)
        else:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql,
                                        tuple(values[k] for k in expanded.positiontup or []))
        return "\n".join(str(r[-1]) for r in rows)


@pytest.mark.postgres
@pytest.mark.parametrize("after", [False, True])
def test_priority_pages_read_the_priority_index(engine, tasks, after):
    """Migration 0022: the first page walks ix_work_items_open_priority in order (no sort); the
    next page seeks it twice (rest of the cursor's rank, lower ranks) and merges at most two pages.
    PostgreSQL, with sequential scans and sorts made expensive: on a table this small a planner
    with statistics would rightly read it whole (bench/inbox.py shows both databases at 100,000)."""
    if engine.db.dialect.name != "postgresql":
        pytest.skip("planner settings: PostgreSQL")
    filters = inbox_query.Filters(groups=1, user=True)
    params = inbox_query.params_for(["sachbearbeitung"], state="open", limit=6, user="sb1")
    if after:
        moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
        params.update(after_0=-50, after_1=moment, after_2=moment, after_3="")
    plan = _plan(engine, inbox_orders.page_query(filters, "priority", after), params)
    assert "Seq Scan on work_items" not in plan, plan
    assert plan.count("Index Scan using ix_work_items_open_priority") == (2 if after else 1), plan
    if after:    # seeks, not walks: the rank and the cursor are index conditions
        assert "Index Cond: (((- COALESCE(priority, 50)) = " in plan and "ROW(sort_due, created_at" in plan, plan
        assert "Index Cond: ((- COALESCE(priority, 50)) > " in plan, plan
    else:
        assert "Sort" not in plan, plan
