"""A clerk's unfinished task form ("Zwischenspeichern").

A clerk who cannot finish a decision at once (a call back to the applicant, a colleague to ask)
saves what they typed so far: the form's fields as typed, also values that would not pass
validation yet, keyed by the form's field paths. Nothing of it reaches the case's data until the
task is completed with the whole form validated; until then the draft belongs to the task:

- one draft per open work item, shown on the task page to whoever works on it, so it travels
  with the task when it is handed on or given back;
- saving takes a free task for the clerk (through :func:`cases.claim`, with its four-eyes check,
  assignment listeners and audit event): what a clerk has started is theirs until they give it
  back. A task someone else holds is refused, and so is a task no longer open;
- the draft ends in the transaction that ends its work item, completed or cancelled
  (engine/services/projections.py), so it never outlives the task; personal data typed into it
  are not kept longer than the task.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import delete, select, update

from engine.bootstrap import Engine
from engine.domain.errors import Conflict, InvalidInput
from engine.persistence import tables as t
from engine.persistence.db import unit_of_work
from engine.services import cases

MAX_FIELDS = 500            # field paths in one draft
MAX_PATH = 200              # characters of one field path
MAX_BYTES = 256 * 1024      # the draft as JSON: a form's texts, not its files


@dataclass(frozen=True)
class Draft:
    fields: dict[str, str | list[str]]
    saved_by: str
    saved_at: datetime


def checked(fields: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """The draft as it may be stored: field path -> text or list of texts, within the limits."""
    if not isinstance(fields, Mapping):
        raise InvalidInput("draft fields must be an object", user_message="Der Zwischenstand ist ungültig.")
    if len(fields) > MAX_FIELDS:
        raise InvalidInput(f"draft has {len(fields)} fields, at most {MAX_FIELDS}",
                           user_message="Der Zwischenstand hat zu viele Felder.")
    out: dict[str, str | list[str]] = {}
    for path, value in fields.items():
        if not isinstance(path, str) or not path or len(path) > MAX_PATH:
            raise InvalidInput(f"draft field name {str(path)[:50]!r} is not a field path",
                               user_message="Der Zwischenstand enthält einen ungültigen Feldnamen.")
        if isinstance(value, str):
            out[path] = value
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[path] = list(value)
        else:
            raise InvalidInput(f"draft field {path!r} is neither a text nor a list of texts",
                               user_message=f"Der Zwischenstand des Feldes „{path}“ ist ungültig.")
    if len(json.dumps(out, ensure_ascii=False).encode()) > MAX_BYTES:
        raise InvalidInput(f"draft larger than {MAX_BYTES} bytes",
                           user_message=f"Der Zwischenstand ist zu groß (höchstens {MAX_BYTES // 1024} KB).")
    return out


def save(engine: Engine, task_id: str, fields: Mapping[str, Any], actor: str) -> Draft:
    """Store ``fields`` as the task's draft (replacing an earlier one) and return it. A free task
    is claimed for ``actor`` first. Who may work on the task is the caller's check, as for
    completing it."""
    kept = checked(fields)
    item = cases.work_item(engine, task_id)
    if item.state == "open" and item.assignee is None:
        cases.claim(engine, task_id, actor)        # refused for a person the four-eyes principle excludes
    now = engine.clock.now()
    with unit_of_work(engine.db) as uow:
        w = t.work_items
        # the work item's row lock orders this against the command that ends the task: that
        # command removes the draft in its transaction, or this one finds the task no longer open
        held = uow.conn.execute(update(w).where(w.c.id == task_id, w.c.state == "open", w.c.assignee == actor)
                                .values(assignee=actor))
        if held.rowcount != 1:
            current = cases.work_item(engine, task_id, uow.conn)
            if current.state != "open":
                raise Conflict(f"task {task_id} is {current.state}: draft not saved",
                               user_message="Die Aufgabe ist nicht mehr offen. Ihr Zwischenstand wurde nicht "
                                            "gespeichert.")
            raise Conflict(f"task {task_id} is held by {current.assignee}: draft not saved",
                           user_message=f"Die Aufgabe bearbeitet {current.assignee}. Ihr Zwischenstand wurde nicht "
                                        "gespeichert.")
        d = t.task_drafts
        uow.conn.execute(delete(d).where(d.c.work_item_id == task_id))
        uow.conn.execute(d.insert().values(work_item_id=task_id, fields=kept, saved_by=actor, saved_at=now))
        uow.commit()
    return Draft(kept, actor, now)


def get(engine: Engine, task_id: str) -> Draft | None:
    """The task's draft, or None."""
    d = t.task_drafts
    with engine.db.connect() as conn:
        row = conn.execute(select(d.c.fields, d.c.saved_by, d.c.saved_at).where(d.c.work_item_id == task_id)).first()
    return Draft(dict(row.fields), row.saved_by, row.saved_at) if row is not None else None


def with_drafts(engine: Engine, task_ids: list[str]) -> set[str]:
    """Which of ``task_ids`` (a page of the task list) have a draft: one read by primary key."""
    if not task_ids:
        return set()
    d = t.task_drafts
    with engine.db.connect() as conn:
        return set(conn.execute(select(d.c.work_item_id).where(d.c.work_item_id.in_(task_ids))).scalars())


def discard(engine: Engine, task_id: str, actor: str) -> bool:
    """Remove the task's draft (True if there was one). Only who holds the task, or anyone while
    it is free, may discard it: the caller has checked that ``actor`` may work on the task."""
    d, w = t.task_drafts, t.work_items
    with unit_of_work(engine.db) as uow:
        holder = uow.conn.execute(select(w.c.assignee, w.c.state).where(w.c.id == task_id)).first()
        if holder is not None and holder.assignee not in (None, actor):
            raise Conflict(f"task {task_id} is held by {holder.assignee}: draft not discarded",
                           user_message=f"Die Aufgabe bearbeitet {holder.assignee}. Nur diese Person kann den "
                                        "Zwischenstand verwerfen.")
        removed = uow.conn.execute(delete(d).where(d.c.work_item_id == task_id)).rowcount
        uow.commit()
    return bool(removed)
