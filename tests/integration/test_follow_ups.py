"""A clerk puts a task on Wiedervorlage (engine/services/follow_ups.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from engine.domain.errors import Conflict, InvalidInput
from engine.services import cases, queries, task_pages
from engine.services.deploy import deploy, read_paths
from engine.services.follow_ups import set_follow_up
from tests.conftest import MODELS


@pytest.fixture
def task(engine, clock):
    deploy(engine, read_paths([str(MODELS / "entwurf")]), actor="po")
    case_id = cases.start_case(engine, "entwurf", {}, internal=True)
    [item] = queries.list_tasks(engine, case_id=case_id)
    return item


def test_the_day_begins_in_the_installations_zone_and_is_audited(engine, task, clock):
    today = clock.now().date()
    monday = today + timedelta(days=7)
    stored = set_follow_up(engine, task["id"], monday, "sb1")
    # Europe/Berlin in winter: the day begins at 23:00 UTC the evening before
    assert stored == datetime.combine(monday, datetime.min.time(), tzinfo=timezone.utc) - timedelta(hours=1)
    assert datetime.fromisoformat(queries.get_task(engine, task["id"])["follow_up"]) == stored
    event = queries.get_case(engine, task["case_id"])["history"][-1]
    assert event["action"] == "task_follow_up" and event["actor"] == "sb1"
    assert event["details"]["follow_up"] == stored.isoformat()
    assert queries.get_task(engine, task["id"])["due"] is None            # the deadline stays the process's
    assert set_follow_up(engine, task["id"], None, "sb1") is None
    assert queries.get_task(engine, task["id"])["follow_up"] is None


def test_a_colleagues_task_and_closed_tasks_keep_their_date(engine, task, clock):
    cases.claim(engine, task["id"], "sb1")
    set_follow_up(engine, task["id"], clock.now().date() + timedelta(days=1), "sb1")
    with pytest.raises(Conflict) as refused:
        set_follow_up(engine, task["id"], None, "sb2")
    assert "sb1" in refused.value.user_message and queries.get_task(engine, task["id"])["follow_up"] is not None
    cases.complete_task(engine, task["id"], {"entscheidung": "genehmigt", "begruendung": "ok", "frist": "2027-01-31"},
                        actor="sb1")
    with pytest.raises(Conflict):
        set_follow_up(engine, task["id"], None, "sb1")


@pytest.mark.parametrize("days", [-1, 5 * 366 + 1])
def test_a_day_in_the_past_or_far_ahead_is_refused(engine, task, clock, days):
    with pytest.raises(InvalidInput):
        set_follow_up(engine, task["id"], date.fromordinal(clock.now().date().toordinal() + days), "sb1")
    assert queries.get_task(engine, task["id"])["follow_up"] is None


def _all_pages(engine, **filters) -> list[str]:
    seen, cursor = [], None
    while True:
        page = task_pages.task_page(engine, limit=2, cursor=cursor, **filters)
        seen.extend(item["id"] for item in page.items)
        if not page.next_cursor:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("order", ["due", "priority", "age"])
def test_the_list_can_leave_out_tasks_on_follow_up_until_their_day(engine, clock, order):
    from engine.services.claim_next import claim_next

    deploy(engine, read_paths([str(MODELS / "entwurf")]), actor="po")
    ids = []
    for _ in range(7):
        clock.advance(timedelta(minutes=1))
        [item] = queries.list_tasks(engine, case_id=cases.start_case(engine, "entwurf", {}, internal=True))
        ids.append(item["id"])
    deferred = ids[0:5:2]                                          # the 1st, 3rd and 5th
    for task_id in deferred:
        set_follow_up(engine, task_id, clock.now().date() + timedelta(days=3), "sb1")
    mine = {"groups": ["sachbearbeitung"], "user": "sb1", "viewer": "sb1", "order": order}
    assert sorted(_all_pages(engine, **mine)) == sorted(ids)
    shown = _all_pages(engine, hide_deferred=True, **mine)
    assert len(shown) == len(set(shown)) and sorted(shown) == sorted(set(ids) - set(deferred))
    page = task_pages.task_page(engine, limit=50, hide_deferred=True, **mine)
    assert page.total == 4
    taken = claim_next(engine, "sb2", ["sachbearbeitung"], order="age")
    assert taken is not None and taken["id"] == ids[1]             # the oldest not on follow-up
    clock.advance(timedelta(days=3))                               # their day has begun (Berlin)
    assert sorted(_all_pages(engine, hide_deferred=True, **mine)) == sorted(ids)


def test_a_follow_up_the_model_sets_leaves_the_task_out_too(engine, clock):
    """camunda:followUpDate, written with the new work item and its queue rows (migration 0039)."""
    deploy(engine, read_paths([str(MODELS / "inbox_order")]), actor="po")
    later, now = [cases.start_case(engine, "sortiert", {"name": f"Person {n}", "frist": "", "prio": "", "wiedervorlage":
                                                        when}, internal=True)
                  for n, when in enumerate([(clock.now() + timedelta(days=2)).isoformat(), ""])]
    mine = {"groups": ["sachbearbeitung"], "user": "sb1", "viewer": "sb1"}
    shown = task_pages.task_page(engine, limit=50, hide_deferred=True, **mine)
    assert [item["case_id"] for item in shown.items] == [now] and shown.total == 1
    assert task_pages.task_page(engine, limit=50, **mine).total == 2
    clock.advance(timedelta(days=2))
    again = task_pages.task_page(engine, limit=50, hide_deferred=True, **mine)
    assert sorted(item["case_id"] for item in again.items) == sorted([later, now]) and again.total == 2
