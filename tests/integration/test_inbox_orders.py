"""Issue 14.13: the task list sorted by priority (highest first; none counts as 50) and by age
(oldest first), keyset-paged without repeating or skipping a task, with the follow-up date
(camunda:followUpDate) and the summary field the process declares (service.toml [aufgabenliste])."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.domain.errors import InvalidInput
from engine.services import cases, task_pages, task_summaries
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
