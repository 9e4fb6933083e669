"""A clerk takes the next free task of their list in one step (engine/services/claim_next.py)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from engine.services import cases, queries
from engine.services.claim_next import claim_next
from engine.services.deploy import deploy, read_paths
from engine.tenancy import DEFAULT_TENANT, tenant_scope
from tests.conftest import MODELS

GROUPS = ["sachbearbeitung"]


@pytest.fixture
def started(engine, clock):
    """Eight cases whose tasks fall due in the order 7, 6, ..., 0 days from now (the last started first due)."""
    deploy(engine, read_paths([str(MODELS / "inbox_order")]), actor="po")
    ids = []
    for n in range(8):
        clock.advance(timedelta(minutes=1))
        data = {"name": f"Person {n}", "frist": (clock.now() + timedelta(days=7 - n)).isoformat(),
                "wiedervorlage": "", "prio": str(10 * n)}
        ids.append(cases.start_case(engine, "sortiert", data, internal=True))
    return ids


def _task_of(engine, case_id):
    [task] = queries.list_tasks(engine, case_id=case_id)
    return task


def test_the_next_task_is_the_first_free_one_in_the_chosen_order(engine, started):
    cases.claim(engine, _task_of(engine, started[7])["id"], "sb2")          # the most urgent: a colleague has it
    taken = claim_next(engine, "sb1", GROUPS)
    assert taken is not None and taken["case_id"] == started[6] and taken["assignee"] == "sb1"
    assert queries.get_task(engine, taken["id"])["assignee"] == "sb1"
    by_priority = claim_next(engine, "sb1", GROUPS, order="priority")     # highest priority free: case 5 (50)
    assert by_priority is not None and by_priority["case_id"] == started[5]
    assert claim_next(engine, "sb1", ["kasse"]) is None                     # no task in that group
    assert claim_next(engine, "sb1", []) is None


def test_none_when_every_task_is_taken(engine, started):
    for _ in started:
        assert claim_next(engine, "sb1", GROUPS) is not None
    assert claim_next(engine, "sb2", GROUPS) is None
    assert {t["assignee"] for t in queries.list_tasks(engine, process_key="sortiert")} == {"sb1"}


def test_clerks_who_ask_at_once_get_different_tasks(engine, started):
    got: dict[str, list[str]] = {"sb1": [], "sb2": [], "sb3": []}
    barrier = threading.Barrier(len(got))

    def clerk(name: str) -> None:
        with tenant_scope(DEFAULT_TENANT):     # a request thread acts for its tenant
            barrier.wait()
            while (task := claim_next(engine, name, GROUPS)) is not None:
                got[name].append(task["id"])

    threads = [threading.Thread(target=clerk, args=(name,)) for name in got]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    taken = [task_id for ids in got.values() for task_id in ids]
    assert sorted(taken) == sorted(_task_of(engine, c)["id"] for c in started)   # each once, none left
    for name, ids in got.items():
        assert all(queries.get_task(engine, i)["assignee"] == name for i in ids)


@pytest.mark.parametrize("order", ["due", "priority", "age"])
def test_the_list_of_free_tasks_leaves_out_every_held_one(engine, started, order):
    from engine.services import task_pages

    for case_id in started[2:]:
        cases.claim(engine, _task_of(engine, case_id)["id"], "sb2")
    page = task_pages.task_page(engine, groups=GROUPS, viewer="sb1", unassigned=True, order=order, limit=5)
    assert sorted(i["case_id"] for i in page.items) == sorted(started[:2]) and page.total == 2
    every = task_pages.task_page(engine, groups=GROUPS, viewer="sb1", order=order, limit=5)
    assert every.total == 8


@pytest.mark.parametrize("order", ["due", "age"])
def test_the_next_task_is_found_without_counting_the_list(engine, started, monkeypatch, order):
    """The total of a list of free tasks reads a work item per queue row (120 ms at 1,000,000
    open tasks, bench/inbox.py): the next task needs only the first rows, not how many there are."""
    from engine.services import inbox_query, task_pages

    def no_count(*_args, **_kwargs):
        raise AssertionError("counted")

    monkeypatch.setattr(inbox_query, "count_query", no_count)
    taken = claim_next(engine, "sb1", GROUPS, order=order)
    assert taken is not None and taken["assignee"] == "sb1"
    page = task_pages.task_page(engine, groups=GROUPS, unassigned=True, limit=3, count=False, order=order)
    assert not page.counted and page.total == len(page.items) == 3 and page.next_cursor
