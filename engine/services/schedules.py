"""Timer start events: the definition-level scheduler that starts cases (a yearly renewal
reminder, a nightly check). One ``start_timer`` job per process key, replaced when a new
version is deployed; each firing starts a case and schedules the next one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.engine import Connection

from engine.bootstrap import Engine
from engine.domain.errors import ExpressionError
from engine.persistence import tables as t
from engine.services.job_rows import job_row
from engine.persistence.db import unit_of_work
from engine.runtime import cron, cycle_end
from engine.runtime.timers import first_firing


def schedule(engine: Engine, conn: Connection, key: str, definition_id: str, timers: list[str],
             ends: dict[str, str] | None = None) -> list[str]:
    """Replace the start timers of ``key``; returns problems (English) for bad expressions.
    ``ends``: timer expression -> its cycle's end-date expression (Flowable's endDate,
    engine.runtime.cycle_end), evaluated now as the timer is."""
    conn.execute(delete(t.jobs).where(t.jobs.c.kind == "start_timer", t.jobs.c.element_id == key))
    problems = []
    now = engine.clock.now()
    for expression in timers:
        try:
            value = str(engine.evaluator.evaluate(expression, {}, element_id=key))
            if cron.is_cron(value):   # a Quartz cron: the times it describes, without end
                value = " ".join(value.split())
                due, remaining, interval = cron.next_fire(value, now, engine.settings.timezone), -1, 0.0
            else:
                due, remaining, interval = first_firing(value, now)
            end_expression = (ends or {}).get(expression)
            end = cycle_end.end_of(engine.evaluator.evaluate(end_expression, {}, element_id=key)) \
                if end_expression else None
        except (ExpressionError, ValueError, TypeError) as exc:
            problems.append(f"{key}: start timer {expression!r}: {exc}")
            continue
        conn.execute(t.jobs.insert(), job_row(
            engine, "start_timer", due,
            {"definition_id": definition_id, "process_key": key, "remaining": remaining,
             "interval": interval, "due": due.isoformat(), **({"end": end.isoformat()} if end else {}),
             **({"cron": value} if cron.is_cron(value) else {})}, element_id=key, created_at=now))
    return problems


def fire(engine: Engine, job: Any) -> str:
    """Start the case of a due start timer and schedule the next firing (or end) in the same
    transaction: a worker that dies in between starts nothing twice."""
    from engine.services.cases import start_case

    payload = job.payload
    remaining = int(payload.get("remaining", 0))
    with unit_of_work(engine.db) as uow:
        mine = t.jobs.c.id == job.id, t.jobs.c.lock_owner == job.lock_owner
        due = cron.next_fire(payload["cron"], _aware(job.due_at), engine.settings.timezone) if "cron" in payload \
            else job.due_at + timedelta(seconds=float(payload.get("interval") or 0))
        if remaining == 0 or ("end" in payload and _aware(due) > datetime.fromisoformat(payload["end"])):
            done = uow.conn.execute(delete(t.jobs).where(*mine))   # the last firing (its cycle's end date passed)
        else:
            done = uow.conn.execute(update(t.jobs).where(*mine).values(
                due_at=due, lock_owner=None, lock_expires_at=None,
                payload={**payload, "remaining": remaining - 1 if remaining > 0 else -1, "due": due.isoformat()}))
        if done.rowcount != 1:  # another worker took over after our lock expired
            return ""
        case_id = start_case(engine, payload["process_key"], {}, actor="scheduler", timer_start=True,
                             definition_id=payload["definition_id"], uow=uow)
        uow.commit()
    return case_id


def _aware(moment: datetime) -> datetime:
    """A due time read back from SQLite has no zone: it is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
