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
from typing import Any

from sqlalchemy import func, select

from engine.bootstrap import Engine
from engine.persistence import tables as t

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

    def describe(self) -> str:
        head = f"case {self.case_id} ({self.process_key} v{self.version})"
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


def _from_projections(conn: Any, case_id: str) -> dict[str, set[str]]:
    items = conn.execute(select(t.work_items.c.element_id, t.work_items.c.id).where(
        t.work_items.c.case_id == case_id, t.work_items.c.state == "open")).all()
    jobs = conn.execute(select(t.jobs.c.kind, t.jobs.c.element_id, t.jobs.c.task_id, t.jobs.c.due_at).where(
        t.jobs.c.case_id == case_id, t.jobs.c.kind.in_(("service", "timer")))).all()
    subs = conn.execute(select(t.subscriptions.c.kind, t.subscriptions.c.name, t.subscriptions.c.task_id).where(
        t.subscriptions.c.case_id == case_id)).all()
    return {
        "tasks": {f"{r.element_id} {r.id}" for r in items},
        "services": {f"{r.element_id} {r.task_id}" for r in jobs if r.kind == "service"},
        "timers": {f"{r.element_id} {r.task_id} due {_utc(r.due_at)}" for r in jobs if r.kind == "timer"},
        "messages": {f"{r.name} {r.task_id}" for r in subs if r.kind == "message"},
        "signals": {f"{r.name} {r.task_id}" for r in subs if r.kind == "signal"},
    }


def _case_rows(conn: Any, process_key: str | None, sample: int | None) -> list[Any]:
    c = t.cases
    query = (select(c.c.id, c.c.definition_id, c.c.variant_id, c.c.bound_definitions, c.c.state, c.c.serializer_version, c.c.process_key, c.c.version)
             .where(c.c.status.in_(OPEN)))
    if process_key is not None:
        query = query.where(c.c.process_key == process_key)
    query = query.order_by(func.random()).limit(sample) if sample else query.order_by(c.c.started_at, c.c.id)
    return list(conn.execute(query).all())


def check_case(engine: Engine, conn: Any, row: Any) -> CaseDifference | None:
    """The difference between one stored case's waits and its projections (None: they agree)."""
    try:
        parsed = engine.definitions.for_case(row.definition_id, conn, row.variant_id, row.bound_definitions)
        wf = engine.serializer.loads(row.state, parsed, engine.script_engine, row.serializer_version)
        in_state = _from_state(engine.runner.waits(wf, parsed.models))
    except Exception as exc:  # noqa: BLE001 - any failure to read a stored case is what we report
        return CaseDifference(row.id, row.process_key, row.version, problem=f"{type(exc).__name__}: {exc}")
    projected = _from_projections(conn, row.id)
    missing = {k: sorted(in_state[k] - projected[k]) for k in KINDS if in_state[k] - projected[k]}
    extra = {k: sorted(projected[k] - in_state[k]) for k in KINDS if projected[k] - in_state[k]}
    if not missing and not extra:
        return None
    return CaseDifference(row.id, row.process_key, row.version, only_in_state=missing, only_in_projections=extra)


def replay(engine: Engine, process_key: str | None = None, sample: int | None = None) -> ReplayReport:
    """Check every open case (of ``process_key``; a random ``sample`` of them) without stepping."""
    differences = []
    with engine.db.connect() as conn:
        rows = _case_rows(conn, process_key, sample)
        for row in rows:
            difference = check_case(engine, conn, row)
            if difference is not None:
                differences.append(difference)
    return ReplayReport(len(rows), differences)
