"""Replay check for upgrades: load stored cases with the current code, step nothing, and
compare what each workflow waits for with what the projection tables say.

A difference means the current code reads a stored state otherwise than the code that wrote
it did (a changed library, a changed runtime extension, a missing state migration), or that a
projection row was lost or changed by hand. Either way the case would behave unexpectedly on its
next command, so an upgrade is checked with this before it goes live (README, "Upgrading").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from sqlalchemy import ColumnElement, func, select

from engine.bootstrap import Engine
from engine.persistence import tables as t
from engine.tenancy import DEFAULT_TENANT, tenant_or_none

OPEN = ("running", "waiting", "failed")
KINDS = ("tasks", "services", "timers", "messages", "signals")


@dataclass
class CaseDifference:
    case_id: str
    process_key: str
    version: int
    problem: str = ""                                                 # the state could not be loaded
    only_in_state: dict[str, list[str]] = field(default_factory=dict)        # waits the projections miss
    only_in_projections: dict[str, list[str]] = field(default_factory=dict)  # projection rows nothing waits for
    tenant_id: str | None = None

    def describe(self) -> str:
        tenant = f", tenant {self.tenant_id}" if self.tenant_id not in (None, DEFAULT_TENANT) else ""
        head = f"case {self.case_id} ({self.process_key} v{self.version}{tenant})"
        if self.problem:
            return f"{head}: cannot load: {self.problem}"
        parts = [f"{kind} only in the state: {', '.join(v)}" for kind, v in self.only_in_state.items()]
        parts += [f"{kind} only in the projections: {', '.join(v)}" for kind, v in self.only_in_projections.items()]
        return f"{head}: " + "; ".join(parts)


@dataclass
class ReplayReport:
    checked: int
    differences: list[CaseDifference]


def _utc(value: datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="seconds")


def _from_state(waits: Any) -> dict[str, set[str]]:
    return {
        "tasks": {f"{w.element_id} {w.task_id}" for w in waits.user_tasks},
        "services": {f"{w.element_id} {w.task_id}" for w in waits.services},
        "timers": {f"{w.element_id} {w.task_id} due {_utc(w.due)}" for w in waits.timers},
        "messages": {f"{w.name} {w.task_id}" for w in waits.messages},
        "signals": {f"{w.name} {w.task_id}" for w in waits.signals},
    }


def _from_projections(conn: Any, case_ids: list[str]) -> dict[str, dict[str, set[str]]]:
    """The projected waits of each of ``case_ids``: three statements for the whole batch."""
    projected: dict[str, dict[str, set[str]]] = {case_id: {kind: set() for kind in KINDS} for case_id in case_ids}
    w, j, s = t.work_items, t.jobs, t.subscriptions
    for r in conn.execute(select(w.c.case_id, w.c.element_id, w.c.id).where(w.c.case_id.in_(case_ids), w.c.state == "open")):
        projected[r.case_id]["tasks"].add(f"{r.element_id} {r.id}")
    for r in conn.execute(select(j.c.case_id, j.c.kind, j.c.element_id, j.c.task_id, j.c.due_at).where(
            j.c.case_id.in_(case_ids), j.c.kind.in_(("service", "timer")))):
        if r.kind == "service":
            projected[r.case_id]["services"].add(f"{r.element_id} {r.task_id}")
        else:
            projected[r.case_id]["timers"].add(f"{r.element_id} {r.task_id} due {_utc(r.due_at)}")
    for r in conn.execute(select(s.c.case_id, s.c.kind, s.c.name, s.c.task_id).where(s.c.case_id.in_(case_ids))):
        if r.kind in ("message", "signal"):
            projected[r.case_id][f"{r.kind}s"].add(f"{r.name} {r.task_id}")
    return projected


BATCH = 200   # cases loaded at a time: a full replay of a large installation keeps this many states in memory


def _open_conditions(process_key: str | None) -> list[ColumnElement[bool]]:
    c = t.cases
    where: list[ColumnElement[bool]] = [c.c.status.in_(OPEN)]
    if process_key is not None:
        where.append(c.c.process_key == process_key)
    return where


def count_open(engine: Engine, process_key: str | None = None) -> int:
    """The current tenant's open cases (of ``process_key``): what a full replay checks."""
    with engine.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.cases).where(*_open_conditions(process_key))).scalar_one())


def _case_batches(conn: Any, process_key: str | None, sample: int | None) -> Iterator[list[Any]]:
    """The open cases to check, :data:`BATCH` rows (with their states) at a time: in id order
    (keyset paging), or a random ``sample`` whose ids are chosen first."""
    c = t.cases
    columns = (c.c.id, c.c.definition_id, c.c.variant_id, c.c.bound_definitions, c.c.state, c.c.serializer_version,
               c.c.process_key, c.c.version)
    where = _open_conditions(process_key)
    if sample:
        ids = list(conn.execute(select(c.c.id).where(*where).order_by(func.random()).limit(sample)).scalars())
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            yield list(conn.execute(select(*columns).where(c.c.id.in_(chunk)).order_by(c.c.id)).all())
        return
    after = ""
    while rows := list(conn.execute(select(*columns).where(*where, c.c.id > after).order_by(c.c.id).limit(BATCH)).all()):
        yield rows
        after = rows[-1].id


def _in_state(engine: Engine, conn: Any, row: Any) -> dict[str, set[str]] | str:
    """What the stored workflow waits for, or why it could not be loaded."""
    try:
        parsed = engine.definitions.for_case(row.definition_id, conn, row.variant_id, row.bound_definitions)
        wf = engine.serializer.loads(row.state, parsed, engine.script_engine, row.serializer_version)
        return _from_state(engine.runner.waits(wf, parsed.models))
    except Exception as exc:  # noqa: BLE001 - any failure to read a stored case is what we report
        return f"{type(exc).__name__}: {exc}"


def check_batch(engine: Engine, conn: Any, rows: list[Any]) -> list[CaseDifference]:
    """The differences between stored cases' waits and their projections (the cases that agree
    are not listed); the projections of the whole batch are read at once."""
    projected = _from_projections(conn, [row.id for row in rows])
    differences = []
    for row in rows:
        in_state = _in_state(engine, conn, row)
        if isinstance(in_state, str):
            differences.append(CaseDifference(row.id, row.process_key, row.version, problem=in_state,
                                              tenant_id=tenant_or_none()))
            continue
        ours = projected[row.id]
        missing = {k: sorted(in_state[k] - ours[k]) for k in KINDS if in_state[k] - ours[k]}
        extra = {k: sorted(ours[k] - in_state[k]) for k in KINDS if ours[k] - in_state[k]}
        if missing or extra:
            differences.append(CaseDifference(row.id, row.process_key, row.version, only_in_state=missing,
                                              only_in_projections=extra, tenant_id=tenant_or_none()))
    return differences

def replay(engine: Engine, process_key: str | None = None, sample: int | None = None, *,
           progress: Callable[[int, int], None] | None = None) -> ReplayReport:
    """Check the current tenant's open cases (of ``process_key``; a random ``sample`` of them)
    without stepping. Cases are loaded :data:`BATCH` at a time, each batch in a read transaction
    of its own (a replay of a large installation neither holds every state in memory nor one
    snapshot for its whole run); ``progress(checked, differing)`` is called after each batch."""
    differences: list[CaseDifference] = []
    checked = 0
    with engine.db.connect() as conn:
        for rows in _case_batches(conn, process_key, sample):
            differences += check_batch(engine, conn, rows)
            checked += len(rows)
            conn.rollback()   # read only: ends the batch's transaction (the next batch begins its own)
            if progress is not None:
                progress(checked, len(differences))
    return ReplayReport(checked, differences)

