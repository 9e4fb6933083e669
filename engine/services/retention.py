"""Storage limitation (Art. 5 (1) e GDPR): personal data of a closed case is erased when the
process's retention period (service.toml ``[aufbewahrung] frist``) has run out.

What is erased: the case data and workflow state, searchable case fields, clerks' comments,
uploaded and generated documents, the payloads of messages delivered to the case. What stays: the case
row's bare facts (process, version, status, dates, business key) and the hash-chained audit
log, which records who did what and when (field names, never field values) as the legal
record of the procedure.
"""

from __future__ import annotations

import tomllib
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from engine.bootstrap import Engine
from engine.domain import priorities
from engine.domain.errors import Problem
from engine.persistence import document_tables
from engine.persistence import tables as t
from engine.persistence.db import unit_of_work
from engine.persistence.fast import FastStatement
from engine.runtime.parsing import SourceFile
from engine.runtime.timers import due_from
from engine.services.case_events import append_case_event

ERASED = {"anonymisiert": True}


def retention_of(files: list[SourceFile], key: str) -> tuple[str | None, list[Problem]]:
    """The retention period a deployment's service.toml gives process ``key`` (if any)."""
    for f in files:
        if not f.name.endswith("service.toml"):
            continue
        try:
            data = tomllib.loads(f.content.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            return None, [Problem(f.name, 0, "", f"service.toml is not valid TOML: {exc}")]
        if data.get("key") not in (None, key):
            continue
        period = (data.get("aufbewahrung") or {}).get("frist")
        if period is None:
            return None, []
        try:
            due_from(str(period), datetime(2026, 1, 1).astimezone())
        except Exception:  # noqa: BLE001 - SpiffWorkflow's parser raises bare Exception
            return None, [Problem(f.name, 0, "", f"[aufbewahrung] frist {period!r} is not an ISO-8601 duration")]
        if not str(period).upper().startswith("P"):
            return None, [Problem(f.name, 0, "", f"[aufbewahrung] frist {period!r} must be a duration such as P3Y")]
        return str(period), []
    return None, []


def schedule_erasure(conn: Connection, case_id: str, period: str | None, ended: datetime, retries: int) -> None:
    """Plan the erasure of a case that just ended, ``period`` (its definition's retention) after."""
    if not period:
        return
    # sent with the command's commit (on PostgreSQL: no round trip of its own, nor one for the commit)
    _INSERT_JOB.defer(conn, dict(
        id=str(uuid.uuid4()), case_id=case_id, kind="retention", task_id=None, element_id=None,
        due_at=due_from(period, ended), retries=retries, attempts=0, suspended=False, created_at=ended,
        payload={"retention": period}, priority=priorities.for_kind("retention")))


_INSERT_JOB = FastStatement(t.jobs.insert())


def erase(engine: Engine, job: Any) -> None:
    """Erase the personal data of a closed case whose retention period ran out."""
    now = engine.clock.now()
    with unit_of_work(engine.db) as uow:
        conn = uow.conn
        case = conn.execute(select(t.cases.c.status).where(t.cases.c.id == job.case_id)).first()
        if case is None or case.status not in ("completed", "cancelled"):
            conn.execute(delete(t.jobs).where(t.jobs.c.id == job.id))
            uow.commit()
            return
        documents = conn.execute(delete(document_tables.documents)
                                 .where(document_tables.documents.c.case_id == job.case_id)).rowcount
        conn.execute(delete(t.case_fields).where(t.case_fields.c.case_id == job.case_id))
        conn.execute(delete(t.case_comments).where(t.case_comments.c.case_id == job.case_id))
        conn.execute(update(t.messages).where(t.messages.c.delivered_case_id == job.case_id).values(payload={}))
        conn.execute(update(t.cases).where(t.cases.c.id == job.case_id).values(data=ERASED, state="{}", error=None))
        append_case_event(conn, job.case_id, now, "retention", "personal_data_erased",
                          {"retention": job.payload.get("retention"), "documents": documents or 0})
        conn.execute(delete(t.jobs).where(t.jobs.c.id == job.id))
        uow.commit()
