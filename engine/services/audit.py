"""Append-only, hash-chained audit log (one chain per case; deployments chain on ''). """

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.persistence import tables as t
from engine.persistence.fast import FastStatement

GENESIS = "0" * 64
_INSERT = FastStatement(t.audit_events.insert())


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


def last_hash(conn: Connection, case_id: str | None) -> str:
    cond = t.audit_events.c.case_id.is_(None) if case_id is None else t.audit_events.c.case_id == case_id
    row = conn.execute(select(t.audit_events.c.hash).where(cond).order_by(t.audit_events.c.id.desc()).limit(1)).first()
    return row[0] if row else GENESIS


def verify(conn: Connection, case_id: str | None) -> list[str]:
    """Recompute a chain; return one English line per broken link (empty: intact)."""
    cond = t.audit_events.c.case_id.is_(None) if case_id is None else t.audit_events.c.case_id == case_id
    problems: list[str] = []
    prev = GENESIS
    for row in conn.execute(select(t.audit_events).where(cond).order_by(t.audit_events.c.id)):
        at = row.at
        expected = _digest(prev, row.case_id, at, row.actor, row.action, row.details)
        if row.prev_hash != prev:
            problems.append(f"event {row.id}: previous hash does not match the chain (event removed or reordered)")
        if row.hash != expected:
            problems.append(f"event {row.id}: content was changed after it was written")
        prev = row.hash
    return problems
