"""A clerk puts a task on "Wiedervorlage": the day it should come up again.

A model may give a task a follow-up date (``camunda:followUpDate``); a clerk who waits for a call
back or a document sets one themselves, as Camunda's Tasklist lets its users do. The inbox shows it
beside the task and marks it "erreicht" once the day has begun. It does not move the task's
deadline: that is the process's (and often the law's), not the clerk's.

The day begins at 00:00 in the installation's time zone (Europe/Berlin). Who may set it:
whoever may work on the task (the caller's check), while the task is free or held by them; a
task a colleague holds keeps its date. Each change is an audit event of the case.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import or_, update

from engine.bootstrap import Engine
from engine.domain.errors import Conflict, InvalidInput
from engine.persistence import tables as t
from engine.persistence.db import unit_of_work
from engine.services import cases
from engine.services.case_events import append_case_event

ACTION = "task_follow_up"
MAX_AHEAD = timedelta(days=5 * 366)


def moment(engine: Engine, day: date) -> datetime:
    """The start of ``day`` in the installation's time zone, in UTC."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(engine.settings.timezone)).astimezone(timezone.utc)


def set_follow_up(engine: Engine, task_id: str, day: date | None, actor: str) -> datetime | None:
    """Put the task on follow-up for ``day`` (None: take it off); returns the stored moment."""
    now = engine.clock.now()
    today = now.astimezone(ZoneInfo(engine.settings.timezone)).date()
    if day is not None and day < today:
        raise InvalidInput(f"follow-up {day} lies in the past", user_message="Bitte wählen Sie einen Tag ab heute.")
    if day is not None and day > today + MAX_AHEAD:
        raise InvalidInput(f"follow-up {day} more than five years ahead",
                           user_message="Bitte wählen Sie einen Tag in den nächsten fünf Jahren.")
    when = moment(engine, day) if day is not None else None
    w = t.work_items
    with unit_of_work(engine.db) as uow:
        changed = uow.conn.execute(update(w).where(w.c.id == task_id, w.c.state == "open",
                                                   or_(w.c.assignee.is_(None), w.c.assignee == actor))
                                   .values(follow_up=when))
        item = cases.work_item(engine, task_id, uow.conn)
        if changed.rowcount != 1:
            if item.state != "open":
                raise Conflict(f"task {task_id} is {item.state}", user_message="Die Aufgabe ist nicht mehr offen.")
            raise Conflict(f"task {task_id} is held by {item.assignee}",
                           user_message=f"Die Aufgabe bearbeitet {item.assignee}. Nur diese Person kann die "
                                        "Wiedervorlage ändern.")
        q = t.work_item_queue   # the inbox filters the queue rows by it (engine/services/inbox_query.py)
        uow.conn.execute(update(q).where(q.c.work_item_id == task_id).values(follow_up=when))
        append_case_event(uow.conn, item.case_id, now, actor, ACTION,
                          {"task": task_id, "element": item.element_id,
                           "follow_up": when.isoformat() if when is not None else None})
        uow.commit()
    return when


__all__ = ["ACTION", "moment", "set_follow_up"]
