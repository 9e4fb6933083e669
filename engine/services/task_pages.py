"""Pages of the task list (clerk inbox, GET /api/v1/tasks): a keyset cursor over a stable order
(due date, undated last, then created_at, then id) and the total number of matching tasks.

The cursor is the last row's sort key, opaque to clients (URL-safe base64 of JSON). A page never
repeats or skips a task that stays open while someone pages; new tasks sort in where they belong.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine.bootstrap import Engine
from engine.domain.errors import InvalidInput
from engine.persistence import tables as t
from engine.services.queries import _filtered, _task_query, task_view

MAX_PAGE = 500
BAD_CURSOR = "Der Verweis auf die nächste Seite (cursor) ist ungültig. Bitte beginnen Sie auf der ersten Seite."


@dataclass(frozen=True)
class TaskPage:
    items: list[dict[str, Any]]
    total: int                   # all tasks matching the filters, on every page
    next_cursor: str | None      # None on the last page


def task_page(engine: Engine, *, groups: list[str] | None = None, user: str | None = None,
              case_id: str | None = None, process_key: str | None = None, assignee: str | None = None,
              search: str | None = None, due_from: datetime | None = None, due_until: datetime | None = None,
              cursor: str | None = None, limit: int = 100, state: str = "open") -> TaskPage:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"page size {limit}", user_message=f"limit muss zwischen 1 und {MAX_PAGE} liegen.")
    flags = (bool(groups), bool(user), bool(case_id), bool(process_key), bool(assignee), bool(search),
             (due_from is not None, due_until is not None))
    params: dict[str, Any] = {"state": state, "limit": limit + 1, "groups": list(groups or []), "user": user,
                              "case_id": case_id, "process_key": process_key, "assignee": assignee,
                              "search": search, "like": f"%{search}%" if search else None,
                              "due_from": due_from, "due_until": due_until}
    after = ""
    if cursor:
        due, created, last_id = _decode(cursor)
        after = "undated" if due is None else "dated"
        params.update(after_due=due, after_created=created, after_id=last_id)
    count = _filtered(select(func.count()).select_from(t.work_items), *flags)
    with engine.db.connect() as conn:
        rows = conn.execute(_task_query(*flags, after=after), params).all()
        total = int(conn.execute(count, params).scalar_one())
    items = [task_view(r) for r in rows[:limit]]
    next_cursor = _encode(rows[limit - 1]) if len(rows) > limit else None
    return TaskPage(items, total, next_cursor)


def _encode(row: Any) -> str:
    key = [row.due.isoformat() if row.due is not None else None, row.created_at.isoformat(), row.id]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime | None, datetime, str]:
    try:
        due, created, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(last_id, str) or not isinstance(created, str) or not isinstance(due, (str, type(None))):
            raise ValueError("cursor fields")
        moments = [datetime.fromisoformat(v) for v in (due, created) if v is not None]
        if any(m.tzinfo is None for m in moments):
            raise ValueError("cursor times without offset")
        return (moments[0] if due is not None else None), moments[-1], last_id
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidInput(f"invalid task cursor {cursor[:40]!r}", user_message=BAD_CURSOR) from None
