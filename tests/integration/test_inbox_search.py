"""The inbox's search box (engine/services/inbox_search.py): a free text finds the open tasks of
the clerk's groups whose case field or business key contains it, or whose case it names, the same
whether its few candidate cases are read first or, when many cases contain it, each task is
checked; its %, _ and \\ are text, not patterns."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.persistence import tables as t
from engine.services import cases, inbox_query, inbox_search, queries
from engine.services.task_pages import task_page
from tests.integration.helpers import deploy_models

GROUPS = ["ordnungsamt", "bauamt", "kasse"]
NAMES = ["Person 1", "Person 10", "Erika Müller", "Max Mustermann", "Jürgen_Ölß", "100% Sicher", "back\\slash"]


def _load(engine, clock) -> list[str]:
    deploy_models(engine, "inbox.bpmn")
    rng = random.Random(5)
    ids = []
    for n in range(24):
        groups = rng.sample(GROUPS, rng.randint(1, 2))
        due = (clock.now() + timedelta(days=rng.randint(-3, 3))).isoformat()
        ids.append(cases.start_case(engine, "inbox", {"gruppen": ",".join(groups), "frist": due,
                                                      "name": NAMES[n % len(NAMES)] + f" {n}"},
                                    business_key=f"AZ-{2026 + n % 2}-{n:04d}", internal=True))
        clock.advance(timedelta(seconds=1))
    done = queries.list_tasks(engine, case_id=ids[3])[0]["id"]   # a completed task is not found
    cases.complete_task(engine, done, {}, actor="sb2")
    cases.claim(engine, queries.list_tasks(engine, case_id=ids[4])[0]["id"], "sb1")
    return ids


def _expected(engine, text: str, groups: list[str], user: str | None) -> set[str]:
    """What the search means, read without it: every open task, checked here."""
    with engine.db.connect() as conn:
        tasks = conn.execute(select(t.work_items).where(t.work_items.c.state == "open")).all()
        fields = conn.execute(select(t.case_fields.c.case_id, t.case_fields.c.value)).all()
    needle = text.strip().lower()
    named = {f.case_id for f in fields if f.value and needle in f.value.lower()}
    return {w.id for w in tasks
            if (set(w.candidate_groups) & set(groups) or (user and w.assignee == user))
            and (w.case_id in named or needle in (w.business_key or "").lower() or w.case_id == text.strip())}


@pytest.mark.parametrize(("candidates", "many"), [(inbox_search.CANDIDATES, inbox_search.MANY),
                                                  (0, inbox_search.MANY), (0, 0)],
                         ids=["few cases", "many cases", "most cases"])
def test_free_text_finds_what_it_contains_within_the_clerks_groups(engine, clock, monkeypatch, candidates, many):
    ids = _load(engine, clock)
    # CANDIDATES 0: every text has "many" cases (PostgreSQL: checked per task as a set of cases);
    # MANY 0 as well: "most", checked per task by the text's own condition
    monkeypatch.setattr(inbox_search, "CANDIDATES", candidates)
    monkeypatch.setattr(inbox_search, "MANY", many)
    texts = ["Person 1", "person 10", "müller", "ERIKA MÜLLER", "AZ-2027", "0012", "2026-001", "_", "%",
             "100%", "\\", "n_ö", "JÜRGEN_ÖLSS", "N_Ö", ids[7], ids[3], "niemand", "Person 1 5", "Max Mustermann 10"]
    for text in texts:
        for groups, user in ((GROUPS, None), (["bauamt"], "sb1"), (["kasse", "ordnungsamt"], None)):
            expected = _expected(engine, text, groups, user)
            page = task_page(engine, search=text, groups=groups, user=user, limit=5)
            seen = [task["id"] for task in page.items]
            while page.next_cursor:
                page = task_page(engine, search=text, groups=groups, user=user, limit=5, cursor=page.next_cursor)
                seen += [task["id"] for task in page.items]
            assert len(seen) == len(set(seen)) and set(seen) == expected, (text, groups, user)
            assert task_page(engine, search=text, groups=groups, user=user).total == len(expected), (text, groups)
            listed = queries.list_tasks(engine, search=text, groups=groups, user=user)
            assert {task["id"] for task in listed} == expected, (text, groups, user)
        for order in ("priority", "age"):
            assert {task["id"] for task in task_page(engine, search=text, groups=GROUPS, order=order).items} \
                == _expected(engine, text, GROUPS, None), (text, order)


@pytest.mark.parametrize(("candidates", "many"), [(inbox_search.CANDIDATES, inbox_search.MANY),
                                                  (0, inbox_search.MANY), (0, 0)],
                         ids=["few cases", "many cases", "most cases"])
def test_the_next_free_task_is_the_first_the_search_finds(engine, clock, monkeypatch, candidates, many):
    """"Nächste Aufgabe übernehmen" with a search: each claim takes the first free task of the
    list the clerk sees, whichever way the text's cases are found."""
    from engine.services.claim_next import claim_next

    _load(engine, clock)
    monkeypatch.setattr(inbox_search, "CANDIDATES", candidates)
    monkeypatch.setattr(inbox_search, "MANY", many)
    free = [task["id"] for task in task_page(engine, search="person 1", groups=GROUPS, limit=50).items
            if task["assignee"] is None]
    assert len(free) >= 3 and set(free) <= _expected(engine, "person 1", GROUPS, None)
    claimed = [claim_next(engine, "sb9", GROUPS, search="person 1") for _ in free]
    assert [task["id"] for task in claimed if task] == free
    assert claim_next(engine, "sb9", GROUPS, search="person 1") is None


def test_a_text_few_cases_contain_is_read_through_its_cases_and_one_many_contain_task_by_task(engine, clock,
                                                                                             monkeypatch):
    _load(engine, clock)
    monkeypatch.setattr(inbox_search, "CANDIDATES", 5)
    filters = inbox_query.Filters(groups=1, search=True)

    def narrowed(text: str) -> tuple[inbox_query.Filters, dict]:
        params = inbox_query.params_for(["kasse"], state="open", limit=51, search=text)
        with engine.db.connect() as conn:
            return inbox_search.narrowed(conn, filters, params, "open")

    few, params = narrowed("Erika")            # in 4 names (24 cases, 7 names)
    assert few.cases and not few.search and not few.by_queue
    assert len(params["case_ids"]) == 5        # the 4 cases, and the text as a case id
    many, params = narrowed("Person")          # in 8 names: more than 5
    if engine.db.dialect.name == "postgresql":   # up to MANY: a set each task's case is checked against
        assert many.among and not many.search and not many.cases and many.by_queue
        assert len(params["case_set"].split(",")) == 9   # the 8 cases, and the text as a case id
    else:
        assert many == filters
    monkeypatch.setattr(inbox_search, "MANY", 7)
    assert narrowed("Person")[0] == filters     # more than MANY: the text's own condition per task
    none, params = narrowed("ni%emand")
    assert none.cases and params["case_ids"] == ["ni%emand"]
    # PostgreSQL: a text its statistics call common is not read for candidates at all
    monkeypatch.setattr(inbox_search, "COMMON", 0)
    estimated, _ = narrowed("Erika")
    assert estimated == (filters if engine.db.dialect.name == "postgresql" else few)


def test_a_text_many_cases_contain_is_counted_over_the_first_tasks_read(engine, clock, monkeypatch):
    _load(engine, clock)
    monkeypatch.setattr(inbox_search, "CANDIDATES", 0)
    monkeypatch.setattr(inbox_search, "MANY", 0)     # checked per task by the text's own condition
    monkeypatch.setattr(inbox_query, "SEARCH_COUNT_ROWS", 5)
    inbox_query.count_query.cache_clear()
    try:
        # every task matches; the 6 queue rows read hold 4 to 6 tasks (a task may be in two groups)
        page = task_page(engine, search="AZ-", groups=GROUPS, limit=3)
        assert page.total_capped and 4 <= page.total <= 6 and page.next_cursor
        page = task_page(engine, search="AZ-", groups=GROUPS, limit=8)   # at least the page's own
        assert page.total_capped and page.total == 8
        # found among the first 6 tasks read: "Person 1", 8 and 15; the page itself holds them all
        page = task_page(engine, search="Person 1", groups=GROUPS)
        assert not page.total_capped and page.total == len(_expected(engine, "Person 1", GROUPS, None)) == 8
        page = task_page(engine, search="niemand", groups=GROUPS)
        assert not page.total_capped and page.total == 0 and page.items == []
    finally:
        inbox_query.count_query.cache_clear()


def test_many_candidate_cases_are_counted_over_the_first_queue_rows(engine, clock, monkeypatch):
    """PostgreSQL: a text's many candidate cases (a set each queue row's case is checked against)
    are counted among the first COUNT_CAP + 1 queue rows of the groups: exactly when the groups
    hold no more, else "more than"."""
    if engine.db.dialect.name != "postgresql":
        pytest.skip("SQLite reads at most CANDIDATES candidates")
    _load(engine, clock)
    monkeypatch.setattr(inbox_search, "CANDIDATES", 0)
    inbox_query.count_query.cache_clear()
    try:
        with engine.db.connect() as conn:
            due = dict(conn.execute(select(t.work_items.c.id, t.work_items.c.due)).all())
        until = clock.now() + timedelta(days=1)
        for text in ("AZ-", "Person 1", "müller", "niemand"):
            expected = _expected(engine, text, GROUPS, "sb1")
            page = task_page(engine, search=text, groups=GROUPS, user="sb1", limit=3)
            assert not page.total_capped and page.total == len(expected), text
            # with a filter the queue rows do not carry: counted among the tasks it leaves
            soon = {task_id for task_id in expected if due[task_id] < until}
            page = task_page(engine, search=text, groups=GROUPS, user="sb1", due_until=until, limit=3)
            assert not page.total_capped and page.total == len(soon), text
        monkeypatch.setattr(inbox_query, "COUNT_CAP", 5)
        inbox_query.count_query.cache_clear()
        # 6 queue rows read, every task matches: 4 to 6 tasks (a task may be in two groups), at
        # least the page's own
        page = task_page(engine, search="AZ-", groups=GROUPS, limit=3)
        assert page.total_capped and 4 <= page.total <= 6 and page.next_cursor
        page = task_page(engine, search="AZ-", groups=GROUPS, limit=8)
        assert page.total_capped and page.total == 8
    finally:
        inbox_query.count_query.cache_clear()


def test_many_candidate_cases_are_never_checked_by_a_generic_plan(engine, clock, monkeypatch):
    """PostgreSQL: a statement with the candidates' array, prepared after a few runs, is planned
    for the array at hand each time (inbox_query.plan_each). A generic plan compares every task
    with every candidate: at 1,000,000 open tasks a search took 6.4 s from its tenth run on."""
    if engine.db.dialect.name != "postgresql":
        pytest.skip("SQLite has no case set")
    _load(engine, clock)
    monkeypatch.setattr(inbox_search, "CANDIDATES", 0)
    for n in range(12):
        text = ("Person 1", "Person 10")[n % 2]     # both: more cases than CANDIDATES, a set each
        for order in ("due", "priority"):
            task_page(engine, search=text, groups=GROUPS, user="sb1", limit=3, order=order)
        queries.list_tasks(engine, search=text, groups=GROUPS)
    pooled = [engine.db.connect() for _ in range(engine.db.pool.checkedin())]   # every session's statements
    try:
        plans = [plan for conn in pooled for plan in conn.exec_driver_sql(
            "SELECT custom_plans, generic_plans FROM pg_prepared_statements "
            "WHERE statement LIKE '%%string_to_array%%'").all()]
    finally:
        for conn in pooled:
            conn.close()
    assert plans and max(custom for custom, _generic in plans) >= 6   # prepared, and planned anew since
    assert [generic for _custom, generic in plans] == [0] * len(plans)
