"""What a case command sends to PostgreSQL, counted per statement: each one costs the client
(psycopg) and the server about as much as the rows it writes, so the hot commands send as few
as they can (issue 13, the web + worker set-up of bench/engine.py)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from engine.persistence import fast, tables as t
from engine.services import cases, queries
from tests.integration.helpers import deploy_models


@pytest.fixture
def sent(engine: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Every statement sent: by psycopg's cursors and in the deferred writes' libpq pipeline
    (engine/persistence/fast.py), by verb and first table ("INSERT work_items")."""
    if engine.db.dialect.name != "postgresql":
        pytest.skip("counts the statements sent to PostgreSQL")
    import psycopg

    counts: Counter[str] = Counter()
    execute = psycopg.Cursor.execute

    def count(query: Any) -> None:
        words = re.findall(r"\w+", str(query))
        upper = [w.upper() for w in words]
        tables = [words[i + 1] for i, w in enumerate(upper[:-1]) if w in ("INTO", "FROM", "UPDATE")]
        if upper[0] == "WITH":   # data-modifying CTEs: the tables written, in order
            dml = [words[i + 1] for i, w in enumerate(upper[:-1]) if w in ("INTO", "UPDATE")] + \
                  [words[i + 2] for i, w in enumerate(upper[:-2]) if w == "DELETE"]
            counts["WITH " + " ".join(dml)] += 1
        else:
            counts[f"{upper[0]} {tables[0] if tables else ''}".strip()] += 1

    def counted(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        count(query)
        return execute(self, query, *args, **kwargs)

    def pipelined(driver: Any, pending: list[tuple[str, Any, Any]], commit: bool) -> None:
        for sql, _args, _receive in pending:
            count(sql)
        if commit:
            count("COMMIT")
        pipeline(driver, pending, commit)

    pipeline = fast._libpq_pipeline
    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    monkeypatch.setattr(fast, "_libpq_pipeline", pipelined)   # deferred writes: sent without a cursor
    yield counts


def test_a_new_work_item_with_its_groups_is_one_statement_and_ending_it_another(engine, sent):
    deploy_models(engine, "inbox.bpmn")
    sent.clear()
    case_id = cases.start_case(engine, "inbox", {"gruppen": ["bauamt", "kasse"], "frist": None}, internal=True)
    written = {k: v for k, v in sent.items() if "work_item" in k and not k.startswith("SELECT")}
    assert written == {"WITH work_items work_item_groups work_item_queue": 1}, sent
    [task] = queries.list_tasks(engine, case_id=case_id)
    with engine.db.connect() as conn:
        groups = sorted(conn.execute(select(t.work_item_groups.c.group_name, t.work_item_groups.c.tenant_id)
                                     .where(t.work_item_groups.c.work_item_id == task["id"])).all())
        queued = conn.execute(select(t.work_item_queue).where(t.work_item_queue.c.work_item_id == task["id"])
                              .order_by(t.work_item_queue.c.group_name)).mappings().all()
        item = conn.execute(select(t.work_items).where(t.work_items.c.id == task["id"])).mappings().one()
    assert groups == [("bauamt", "default"), ("kasse", "default")]
    assert [(q["group_name"], q["process_key"], q["sort_due"], q["created_at"], q["priority_rank"], q["tenant_id"])
            for q in queued] == [(g, "inbox", t.UNDATED, item["created_at"], -50, "default")
                                 for g in ("bauamt", "kasse")]
    sent.clear()
    cases.complete_task(engine, task["id"], {}, actor="sb1", internal=True)
    assert {k: v for k, v in sent.items() if "work_item" in k and not k.startswith("SELECT")} == {"WITH work_items work_item_queue task_drafts": 1}, sent
    with engine.db.connect() as conn:
        assert conn.execute(select(t.work_item_queue).where(t.work_item_queue.c.work_item_id == task["id"])).all() == []
        assert conn.execute(select(t.work_items.c.state).where(t.work_items.c.id == task["id"])).scalar() == "completed"


def test_a_start_with_an_assigned_key_counts_up_and_checks_the_key_in_one_statement(engine, sent):
    """Start of a process that does not read its key: the definition (autocommit read), the
    counter with the check that its key is free, then everything else with the COMMIT."""
    deploy_models(engine, "inbox.bpmn")
    cases.start_case(engine, "inbox", {"gruppen": ["bauamt"], "frist": None}, internal=True)   # parsed, cached
    sent.clear()
    cases.start_case(engine, "inbox", {"gruppen": ["bauamt"], "frist": None}, internal=True)
    assert "SELECT cases" not in sent and sent["INSERT business_key_sequences"] == 1, sent
    assert sum(sent.values()) <= 7, sent   # definition, counter, case, audit event, work item, case field, COMMIT


def test_a_completion_sends_its_case_update_with_its_commit(engine, monkeypatch):
    """Two round trips: the work item with its case, then the checked case update, the other
    writes and COMMIT in one pipeline (a stale revision fails that pipeline: test_case_cache)."""
    if engine.db.dialect.name != "postgresql":
        pytest.skip("counts PostgreSQL round trips")
    deploy_models(engine, "inbox.bpmn")
    warm, case_id = (cases.start_case(engine, "inbox", {"gruppen": ["bauamt"], "frist": None}, internal=True)
                     for _ in range(2))
    [first] = queries.list_tasks(engine, case_id=warm)
    cases.complete_task(engine, first["id"], {}, actor="sb1", internal=True)   # the definition's retention read
    [task] = queries.list_tasks(engine, case_id=case_id)
    engine.case_cache.take(case_id)   # as in the web process after the worker's step: nothing cached
    trips: list[list[str]] = []
    pipeline = fast._libpq_pipeline

    def counted(driver: Any, pending: list[tuple[str, Any, Any]], commit: bool) -> None:
        trips.append([sql.split()[0] for sql, _args, _receive in pending] + (["COMMIT"] if commit else []))
        pipeline(driver, pending, commit)

    monkeypatch.setattr(fast, "_libpq_pipeline", counted)
    cases.complete_task(engine, task["id"], {}, actor="sb1", internal=True)
    assert len(trips) == 2, trips
    assert trips[1][0] == "WITH" and trips[1][-1] == "COMMIT", trips
    assert queries.get_case(engine, case_id, with_history=False)["status"] == "completed"
