"""Writes about a case outside its workflow: audit events that do not step it, and incidents.

The only place that inserts incidents (a workflow failure on save, a job out of retries)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from engine.domain.errors import Conflict, NotFound
from engine.domain.values import jsonable
from engine.persistence import tables as t
from engine.services import audit


def append_case_event(conn: Any, case_id: str, now: datetime, actor: str, action: str, details: dict[str, Any],
                      *, status: str | None = None) -> None:
    """Audit an event that does not step the workflow (claim, suspend, incident); moves the
    case's chain head under the same revision check as every other write."""
    row = conn.execute(select(t.cases.c.audit_hash, t.cases.c.revision).where(t.cases.c.id == case_id)).first()
    if row is None:
        raise NotFound(f"case {case_id} not found", user_message="Der Vorgang wurde nicht gefunden.")
    head = audit.append(conn, prev_hash=row.audit_hash, case_id=case_id, at=now, actor=actor, action=action,
                        details=jsonable(details))
    values: dict[str, Any] = {"audit_hash": head, "revision": row.revision + 1, "updated_at": now}
    if status is not None:
        values["status"] = status
    done = conn.execute(update(t.cases).where(t.cases.c.id == case_id, t.cases.c.revision == row.revision)
                        .values(**values))
    if done.rowcount != 1:
        raise Conflict(f"case {case_id} changed concurrently; try again")


def open_incident(conn: Any, *, case_id: str | None, kind: str, now: datetime, message: str, details: str,
                  element_id: str | None, job_id: str | None = None, task_id: str | None = None) -> str:
    """Insert an open incident; returns its id. ``kind``: ``workflow`` (the case failed while
    stepping) or ``job`` (a job ran out of retries)."""
    incident_id = str(uuid.uuid4())
    conn.execute(insert(t.incidents).values(
        id=incident_id, case_id=case_id, kind=kind, job_id=job_id, task_id=task_id, element_id=element_id,
        message=message, details=details, status="open", created_at=now))
    return incident_id
