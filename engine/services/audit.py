"""Append-only, hash-chained audit log: one chain per case (its head in the case row), and per
tenant one chain of the events without a case - deployments, overrides, tenant changes - (its
head in ``audit_heads``)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from engine.persistence import tables as t
from engine.persistence.fast import FastStatement
from engine.tenancy import current_tenant

GENESIS = "0" * 64
_INSERT = FastStatement(t.audit_events.insert())
_MOVE_HEAD = FastStatement(update(t.audit_heads).values(hash=bindparam("head")))


# json.dumps(..., sort_keys=True, separators=(",", ":"), default=str) builds this encoder anew per call
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def _digest(prev: str, case_id: str | None, at: datetime, actor: str, action: str, details: Any) -> str:
    body = _ENCODER.encode([prev, case_id or "", at.isoformat(), actor, action, details])
    return hashlib.sha256(body.encode()).hexdigest()


def prepare(*, prev_hash: str, case_id: str | None, at: datetime, actor: str, action: str,
            details: dict[str, Any]) -> dict[str, Any]:
    """The row of an event with its hash (``["hash"]``, the chain's new head), not yet written."""
    return {"case_id": case_id, "at": at, "actor": actor, "action": action, "details": details,
            "prev_hash": prev_hash, "hash": _digest(prev_hash, case_id, at, actor, action, details)}


def write(conn: Connection, event: dict[str, Any]) -> None:
    _INSERT.defer(conn, event)  # sent with the transaction's next statement or its commit


def append(conn: Connection, *, prev_hash: str, case_id: str | None, at: datetime, actor: str,
           action: str, details: dict[str, Any]) -> str:
    """Write an event; returns its hash."""
    event = prepare(prev_hash=prev_hash, case_id=case_id, at=at, actor=actor, action=action, details=details)
    write(conn, event)
    return str(event["hash"])


def append_change(conn: Connection, *, at: datetime, actor: str, action: str, details: dict[str, Any]) -> str:
    """Append to the current tenant's chain of events without a case (deployments, overrides,
    tenant changes) and move its recorded head (``audit_heads``, migration 0031) in the same
    transaction. The head's row is locked first, so concurrent appends follow one another
    instead of both linking to the same event; returns the new head."""
    current_tenant()   # one tenant's chain: never under all_tenants (TenantMissing, a programming error)
    heads = t.audit_heads
    row = conn.execute(select(heads.c.hash).with_for_update()).first()
    if row is None:   # the tenant's first such event (a second transaction waits on the key, then reads it)
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(dialect.insert(heads).values(hash=GENESIS).on_conflict_do_nothing())
        row = conn.execute(select(heads.c.hash).with_for_update()).first()
    head = append(conn, prev_hash=row[0] if row is not None else GENESIS, case_id=None, at=at, actor=actor,
                  action=action, details=details)
    _MOVE_HEAD.defer(conn, {"head": head})   # with the event, in the commit's round trip on psycopg
    return head


def _chain(rows: Any, problems: list[str]) -> str:
    """Recompute one chain from its events in order; append its broken links; its last hash."""
    prev = GENESIS
    for row in rows:
        expected = _digest(prev, row.case_id, row.at, row.actor, row.action, row.details)
        if row.prev_hash != prev:
            problems.append(f"event {row.id}: previous hash does not match the chain (event removed or reordered)")
        if row.hash != expected:
            problems.append(f"event {row.id}: content was changed after it was written")
        prev = row.hash
    return prev


def _head(case_id: str, recorded: str | None, last: str) -> list[str]:
    """A case row names the head of its chain: a chain that ends earlier lost its last events
    (or the row was changed), which the links alone cannot show."""
    if recorded is None:
        return [f"case {case_id}: no such case"]
    if recorded != last:
        return [f"case {case_id}: the case records a later event than its chain holds: events at the end were "
                "removed, or the case row was changed"]
    return []


def verify(conn: Connection, case_id: str | None) -> list[str]:
    """Recompute a chain; return one English line per broken link (empty: intact). A case's
    chain must also end at the head its case row records."""
    cond = t.audit_events.c.case_id.is_(None) if case_id is None else t.audit_events.c.case_id == case_id
    problems: list[str] = []
    events = list(conn.execute(select(t.audit_events).where(cond).order_by(t.audit_events.c.id)))
    last = _chain(events, problems)
    if case_id is not None:
        recorded = conn.execute(select(t.cases.c.audit_hash).where(t.cases.c.id == case_id)).scalar()
        problems += _head(case_id, recorded, last)
    else:
        problems += _changes_head(conn, events, last) + _unrecorded(conn, events)
    return problems


def _changes_head(conn: Connection, events: list[Any], last: str) -> list[str]:
    """The chain of deployments, overrides and tenant changes must end at its recorded head."""
    recorded = conn.execute(select(t.audit_heads.c.hash)).scalar()
    if recorded is None:
        return ["the chain of deployments and overrides has events but no recorded head (removed)"] if events else []
    if recorded != last:
        return ["the chain of deployments and overrides ends before its recorded head: events at the end were "
                "removed, or the head was changed"]
    return []


def _unrecorded(conn: Connection, events: list[Any]) -> list[str]:
    """Deployments the chain of deployments has no event for: removed events (the chain's links
    alone do not show a removed last event). A deployment and its event are written in one
    transaction for the same tenant. (Overrides are not checked: their events went to the chain
    of whoever uploaded them, which need not be the override's tenant.)"""
    deployed = {(e.details or {}).get("deployment") for e in events if e.action == "deployed"}
    return [f"deployment {row.id} of {row.created_at:%Y-%m-%d %H:%M} by {row.created_by}: its event is missing "
            "from the chain (removed)" for row in conn.execute(
                select(t.deployments.c.id, t.deployments.c.created_at, t.deployments.c.created_by)
                .order_by(t.deployments.c.created_at)) if row.id not in deployed]


VERIFY_BATCH = 500   # cases whose chains are read at a time


def verify_cases(conn: Connection, progress: Callable[[int, int], None] | None = None) -> tuple[int, list[str]]:
    """Every case's chain of the current scope (one tenant, or all), :data:`VERIFY_BATCH` cases
    at a time (their events in one statement); ``progress(cases checked, problems)`` per batch.
    Returns how many cases were checked and the problems."""
    problems: list[str] = []
    checked, after = 0, ""
    c, a = t.cases, t.audit_events
    while heads := conn.execute(select(c.c.id, c.c.audit_hash).where(c.c.id > after).order_by(c.c.id)
                                .limit(VERIFY_BATCH)).all():
        events: dict[str, list[Any]] = {row.id: [] for row in heads}
        for event in conn.execute(select(a).where(a.c.case_id.in_(list(events))).order_by(a.c.case_id, a.c.id)):
            events[event.case_id].append(event)
        for row in heads:
            problems += _head(row.id, row.audit_hash, _chain(events[row.id], problems))
        checked += len(heads)
        after = heads[-1].id
        conn.rollback()   # read only: each batch in a transaction of its own
        if progress is not None:
            progress(checked, len(problems))
    return checked, problems
