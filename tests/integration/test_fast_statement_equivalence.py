"""Every FastStatement the engine runs gives what SQLAlchemy's own execution gives.

While a workload runs (deploy, start, complete, claim, service jobs, timers, messages, inbox
pages, case views) on SQLite and PostgreSQL, each FastStatement call is first executed through
``Connection.execute`` inside a savepoint: the rows it returns, or the row count and the whole
target table after a write, are recorded, the savepoint is rolled back, and then the fast path
runs and must give the same. Every FastStatement defined at module level in engine/ must have
been checked. This is the test to run first after upgrading SQLAlchemy or a database driver
(engine/persistence/fast.py reads compiler attributes of the pinned SQLAlchemy version).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert, UpdateBase
from sqlalchemy.sql.selectable import Join

from engine import handover
from engine.bootstrap import Engine
from engine.jobs import JobExecutor
from engine.persistence import tables as t
from engine.persistence.fast import DeferredRows, FastStatement
from engine.services import cases, identity, messages, queries, task_wait
from tests.fakes import FakeConnector
from engine.services.deploy import deploy, read_paths
from tests.fast_statements import module_level_statements
from tests.integration.helpers import MODELS, deploy_models

ORIGINAL = {name: getattr(FastStatement, name) for name in ("run", "first_column", "first", "all")}
# Deferred statements (FastStatement.defer, .all_deferred: on PostgreSQL sent with the commit)
# are checked through the immediate method that runs the same SQL with the same parameters;
# tests/integration/test_deferred_writes.py checks the deferring itself.
DEFERRED = {"defer": "run", "all_deferred": "all"}


def _module_level_statements() -> dict[int, str]:
    return {id(statement): name for name, statement in module_level_statements().items()}


def _table_rows(conn: Any, table: Any) -> list[tuple[Any, ...]]:
    """The table's rows without a database-generated serial id: a sequence is not rolled back
    with the savepoint, so the reference run and the fast one get different numbers."""
    serial = table.autoincrement_column
    columns = [c for c in table.columns if c is not serial]
    rows = conn.execute(select(*columns)).all()
    return sorted((tuple(r) for r in rows), key=repr)


def _count(stmt: Any, rowcount: int) -> int | None:
    """The row count, except for an INSERT: with RETURNING of a serial id (PostgreSQL)
    SQLAlchemy reports -1; the rows written are compared anyway. Nor for a SELECT from a
    data-modifying CTE (read to the end, SQLAlchemy reports -1): the rows written tell."""
    return None if isinstance(stmt, Insert) or not isinstance(stmt, UpdateBase) else rowcount


def _written(statement: Any) -> Any:
    """The table a statement writes: an INSERT/UPDATE/DELETE's, or that of the data-modifying
    CTE a SELECT reads from (commands._UPDATE_CASE_CHECKED), also joined (jobs._ACQUIRE_WITH_CASES);
    None for a read."""
    if isinstance(statement, UpdateBase):
        return statement.table
    for source in getattr(statement, "get_final_froms", lambda: [])():
        for part in (source.left, source.right) if isinstance(source, Join) else (source,):
            if isinstance(getattr(part, "element", None), UpdateBase):
                return part.element.table
    return None


class Checker:
    def __init__(self) -> None:
        self.checked: set[int] = set()
        self.mismatches: list[str] = []

    def reference(self, stmt: FastStatement, conn: Any, params: Any, method: str) -> Any:
        table = _written(stmt.statement)
        if table is None:  # a read changes nothing (and may run in autocommit)
            if not hasattr(conn, "execute"):   # db.fast_reading's reader: its connection through SQLAlchemy
                conn = Connection(conn.engine, connection=conn.connection)
            return self._rows(conn.execute(stmt.statement, dict(params)).all(), method)
        conn.exec_driver_sql("SAVEPOINT fast_check")
        try:
            result = conn.execute(stmt.statement, dict(params))
            if method == "all":  # a write with RETURNING read as rows: its rows and the table
                return _returned(result.all()), _table_rows(conn, table)
            if result.returns_rows:  # RETURNING read as its first column: read to the end (SQLite)
                result.all()
            return _count(stmt.statement, result.rowcount), _table_rows(conn, table)
        finally:
            conn.exec_driver_sql("ROLLBACK TO SAVEPOINT fast_check")
            conn.exec_driver_sql("RELEASE SAVEPOINT fast_check")

    @staticmethod
    def _rows(rows: Any, method: str) -> Any:
        if method == "first_column":
            return [r[0] for r in rows]
        if method == "first":
            return dict(rows[0]._mapping) if rows else None
        return [dict(r._mapping) for r in rows]

    def wrap(self, method: str) -> Any:
        original = ORIGINAL[DEFERRED.get(method, method)]
        deferred = method in DEFERRED
        method = DEFERRED.get(method, method)

        def checked(stmt: FastStatement, conn: Any, params: Any) -> Any:
            expected = self.reference(stmt, conn, params, method)
            got = original(stmt, conn, params)
            table = _written(stmt.statement)
            if table is not None and method == "all":
                actual: Any = (_returned([SimpleNamespace(_mapping=vars(r)) for r in got]), _table_rows(conn, table))
            elif table is not None:
                actual = (_count(stmt.statement, got), _table_rows(conn, table))
            elif method == "first":
                actual = vars(got) if got is not None else None
            elif method == "all":
                actual = [vars(r) for r in got]
            else:
                actual = got
            self.checked.add(id(stmt))
            if actual != expected:
                self.mismatches.append(f"{stmt.statement}\n  fast: {actual!r}\n  SQLAlchemy: {expected!r}")
            if deferred and method == "all":
                holder = DeferredRows()
                holder.rows = got
                return holder
            return None if deferred else got
        return checked


def _returned(rows: Any) -> list[Any]:
    return sorted((dict(r._mapping) for r in rows), key=repr)


@pytest.fixture
def checker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Checker]:
    check = Checker()
    for method in [*ORIGINAL, *DEFERRED]:
        monkeypatch.setattr(FastStatement, method, check.wrap(method))
    yield check


def _workload(engine: Engine, clock: Any, folder: Path) -> None:
    engine.connectors["test"] = FakeConnector()
    deploy_models(engine, "usertask.bpmn", "timers.bpmn", "messages.bpmn", "service.bpmn", "four_eyes.bpmn")
    worker = JobExecutor(engine, "w")
    engine.local_worker = None
    first = cases.start_case(engine, "usertask", {"antragsteller": "Erika"}, internal=True)  # key taken with the case
    with engine.db.connect() as conn:   # as if their starts read the key: read before the step, claimed after
        engine.key_reading_starts.update(conn.execute(select(t.process_definitions.c.id)).scalars())
    cases.start_case(engine, "usertask", {"antragsteller": "Max"}, internal=True)
    [task] = queries.list_tasks(engine, case_id=first)
    assert task_wait.wait_for_tasks(engine, first, 0) == [task]       # the case's open tasks and its status
    queries.list_tasks(engine)
    assert queries.case_starter(engine, first) == queries.get_case(engine, first)["started_by"]   # who may follow it
    assert queries.get_task(engine, task["id"])["id"] == task["id"]
    identity.create_group(engine, "gruppe", "Gruppe")
    identity.create_user(engine, "fachverfahren", "Fachverfahren", roles=["clerk"], groups_=["gruppe"])
    _token_id, token = identity.create_api_token(engine, "fachverfahren", "Eingang")
    found = identity.identify_token(engine, token)                    # the token, its account and groups
    assert found is not None and found.user.groups == ("gruppe",)
    cases.claim(engine, task["id"], "sb1")
    cases.complete_task(engine, task["id"], {"ergebnis": "ok"}, actor="sb1", internal=True)
    checked = cases.start_case(engine, "vieraugen", {}, internal=True)   # four-eyes: an exclusion is written
    [review] = queries.list_tasks(engine, case_id=checked)
    cases.complete_task(engine, review["id"], {}, actor="sb1", internal=True)
    cases.start_case(engine, "timers", {"erinnerungen": 0, "stichtag": "2026-01-10T09:00:00+01:00"}, internal=True)
    clock.advance(timedelta(hours=2))
    worker.run_until_idle()
    case_id = cases.start_case(engine, "zahlung", {}, business_key="K-1", internal=True)
    messages.correlate_message(engine, "zahlung_eingegangen", "K-1", {"betrag": 1})
    served = cases.start_case(engine, "service", {"name": "Erika"}, internal=True)
    worker.run_until_idle()
    assert queries.get_case(engine, case_id) and queries.get_case(engine, served)["status"] == "completed"
    parked = cases.start_case(engine, "service", {"name": "Max"}, internal=True)
    with engine.db.connect() as conn:
        job = conn.execute(select(t.jobs).where(t.jobs.c.case_id == parked)).one()
    handover.still_runnable(engine, "w", job)     # the re-check of a job that waited (not locked by w)
    engine.case_cache.discard(parked)                                 # the command reads the case row
    cases.cancel_case(engine, parked)                                 # its service job is deleted
    deploy_models(engine, "four_eyes.bpmn")
    four_eyes = cases.start_case(engine, "vieraugen", {}, internal=True)
    [looked_at] = queries.list_tasks(engine, case_id=four_eyes)
    cases.complete_task(engine, looked_at["id"], {}, actor="sb1")     # the next task excludes sb1
    kept = folder / "leistung"   # a process with a retention period: its ended case's erasure is planned
    kept.mkdir()
    (kept / "process.bpmn").write_text((MODELS / "usertask.bpmn").read_text())
    (kept / "service.toml").write_text('key = "usertask"\nname = "Test"\n[aufbewahrung]\nfrist = "P30D"\n')
    deploy(engine, read_paths([str(kept)]))
    ending = cases.start_case(engine, "usertask", {"antragsteller": "Erika"}, internal=True)
    [last] = queries.list_tasks(engine, case_id=ending)
    cases.complete_task(engine, last["id"], {"ergebnis": "ok"}, actor="sb1", internal=True)


# Module-level statements PostgreSQL does not run: one statement of its own (in a dict by
# dialect, checked when it runs) writes what they write.
NOT_ON_POSTGRES = {"engine.services.projections._INSERT_WORK_ITEM", "engine.services.projections._INSERT_GROUP",
                   "engine.services.projections._INSERT_QUEUED", "engine.services.projections._END_WORK_ITEM",
                   "engine.services.projections._UNQUEUE", "engine.services.projections._DROP_DRAFT",
                   "engine.services.commands._UPDATE_CASE"}
# ... and PostgreSQL's own (a data-modifying CTE SQLite does not have)
ONLY_ON_POSTGRES = {"engine.services.commands._UPDATE_CASE_CHECKED", "engine.jobs._ACQUIRE_WITH_CASES"}


def test_every_fast_statement_matches_sqlalchemy(engine: Engine, clock: Any, checker: Checker, tmp_path: Path) -> None:
    module_level = _module_level_statements()
    _workload(engine, clock, tmp_path)
    assert checker.mismatches == []
    skipped = NOT_ON_POSTGRES if engine.db.dialect.name == "postgresql" else ONLY_ON_POSTGRES
    assert sorted(name for sid, name in module_level.items() if sid not in checker.checked and name not in skipped) == []
