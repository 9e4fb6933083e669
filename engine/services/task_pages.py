"""Pages of the task list (clerk inbox, GET /api/v1/tasks): a keyset cursor over a stable order
(due date, undated last, then created_at, then id) and the total number of matching tasks.
The queries and the indexes behind them: engine/services/inbox_query.py.

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

from sqlalchemy import Select, bindparam, literal_column, select

from engine.bootstrap import Engine
from engine.domain.errors import InvalidInput
from engine.persistence import tables as t
from engine.persistence.db import fast_reading, reading
from engine.services import inbox_orders, inbox_query, inbox_search
from engine.services.queries import fast_statement, task_view
from engine.services.read_models import TaskView

MAX_PAGE = 500
BAD_CURSOR = "Der Verweis auf die nächste Seite (cursor) ist ungültig. Bitte beginnen Sie auf der ersten Seite."


@dataclass(frozen=True)
class TaskPage:
    items: list[TaskView]
    total: int                   # tasks matching the filters, on every page (at most inbox_query.COUNT_CAP)
    next_cursor: str | None      # None on the last page
    total_capped: bool = False   # more than ``total`` match (counting stopped there)
    counted: bool = True         # False: not counted (``count=False``), ``total`` is the page's own rows


def task_page(engine: Engine, *, groups: list[str] | None = None, user: str | None = None,
              case_id: str | None = None, process_key: str | None = None, assignee: str | None = None,
              search: str | None = None, business_key: str | None = None,
              field: tuple[str, str] | None = None, due_from: datetime | None = None,
              due_until: datetime | None = None, cursor: str | None = None, limit: int = 100,
              state: str = "open", order: str = "due", viewer: str | None = None,
              unassigned: bool = False, hide_deferred: bool = False, count: bool = True) -> TaskPage:
    """``search``: free text contained in the business key or a case field (the cases it may mean
    found first through trigram indexes: engine/services/inbox_search.py), the whole business key
    of an open task searched exactly;
    ``business_key`` and ``field`` (name, value): exact, indexed, fast at any size.
    ``order``: "due" (the inbox key), "priority" or "age" (engine/services/inbox_orders.py);
    ``viewer``: leave out the tasks the four-eyes principle excludes this person from;
    ``unassigned``: only the tasks nobody holds; ``hide_deferred``: not the tasks whose follow-up
    day (Wiedervorlage) has not begun (read beside the range of each group, as the due filter is);
    ``count=False``: without the total (it reads up to COUNT_CAP + 1 index entries, and with a
    filter the queue rows do not carry, such as ``unassigned``, a work item for each: 120 ms at
    1,000,000 open tasks, where the page itself takes 1.4), for callers that need the rows only."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"page size {limit}", user_message=f"limit muss zwischen 1 und {MAX_PAGE} liegen.")
    if order not in inbox_orders.ORDERS:
        raise InvalidInput(f"task order {order!r}", user_message="Sortierung nach Fälligkeit (due), Priorität "
                                                                "(priority) oder Alter (age).")
    if search and not business_key and state == "open" and _is_open_business_key(engine, search.strip()):
        business_key, search = search.strip(), None     # the whole Aktenzeichen: the indexed, exact search
    wanted = list(dict.fromkeys(groups or []))
    filters = inbox_query.Filters(
        groups=len(wanted), user=bool(user), case_id=bool(case_id), process_key=bool(process_key),
        assignee=bool(assignee), search=bool(search), business_key=bool(business_key), field=field is not None,
        due_from=due_from is not None, due_until=due_until is not None, open_only=state == "open",
        viewer=viewer is not None, unassigned=unassigned, not_deferred=hide_deferred)
    params = inbox_query.params_for(
        wanted, state=state, limit=limit + 1, user=user, case_id=case_id, process_key=process_key,
        assignee=assignee, search=search, business_key=business_key,
        field_name=field[0] if field else None, field_value=field[1] if field else None,
        due_from=due_from, due_until=due_until, viewer=viewer, now=engine.clock.now())
    if search:   # the text's few candidate cases, when it has few (engine/services/inbox_search.py)
        with reading(engine.db) as conn:
            filters, params = inbox_search.narrowed(conn, filters, params, state)
    if order != "due":
        return _ordered_page(engine, filters, params, order, cursor, limit, count)
    if cursor:
        params.update(zip(("after_due", "after_created", "after_id"), _decode(cursor)))
    page = inbox_query.page_query(filters, bool(cursor))
    with engine.db.begin() as conn:
        inbox_query.plan_each(conn, filters)
        rows: list[Any] = list(conn.execute(page, params).all() if filters.expanding
                               else fast_statement(page).all(conn, params))
        counted = conn.execute(inbox_query.count_query(filters), params).one() if count else None
    next_cursor = _encode(rows[limit - 1]) if len(rows) > limit else None
    return _page([task_view(r) for r in rows[:limit]], next_cursor, counted, first=not cursor)


_OPEN_BUSINESS_KEY: Select[Any] = (select(t.work_items.c.id)   # ix_work_items_open_business_key
                                  .where(t.work_items.c.business_key == bindparam("key"),
                                         t.work_items.c.state == literal_column("'open'"))
                                  .limit(1))


def _is_open_business_key(engine: Engine, text: str) -> bool:
    """Whether ``text`` is the business key of an open task (one probe of the partial index).
    Clerks paste an Aktenzeichen into the search box: found as text contained somewhere, that
    reads every task of their groups with a case-field probe each (about 3 s at 1,000,000 open
    tasks), as an exact key a few index pages. Other texts, names say, are searched as before."""
    if not text or len(text) > 200:
        return False
    with fast_reading(engine.db) as conn:
        return fast_statement(_OPEN_BUSINESS_KEY).first(conn, {"key": text}) is not None


def _ordered_page(engine: Engine, filters: inbox_query.Filters, params: dict[str, Any], order: str,
                  cursor: str | None, limit: int, count: bool) -> TaskPage:
    if cursor:
        try:
            params.update(inbox_orders.cursor_params(order, _json(cursor)))
        except (ValueError, TypeError):
            raise InvalidInput(f"invalid task cursor {cursor[:40]!r}", user_message=BAD_CURSOR) from None
    with engine.db.begin() as conn:
        inbox_query.plan_each(conn, filters)
        rows = list(conn.execute(inbox_orders.page_query(filters, order, bool(cursor)), params).all())
        counted = conn.execute(inbox_query.count_query(filters), params).one() if count else None
    next_cursor = _pack(inbox_orders.cursor_values(order, rows[limit - 1])) if len(rows) > limit else None
    return _page([task_view(r) for r in rows[:limit]], next_cursor, counted, first=not cursor)


def _page(items: list[TaskView], next_cursor: str | None, counted: Any, *, first: bool) -> TaskPage:
    """The page with its total (``counted``: the count query's row; None: not counted). A first
    page that is also the last holds every match: its length is the total. Where counting
    stopped (at least ``total`` match), the page's own tasks count too: a free text many cases
    contain is counted among the first tasks read (inbox_query._searched_count)."""
    if counted is None:
        return TaskPage(items, len(items), next_cursor, counted=False)
    if first and next_cursor is None:
        return TaskPage(items, len(items), None)
    capped = max(counted.total, counted.rows) > inbox_query.COUNT_CAP   # counting stopped there
    total = min(int(counted.total), inbox_query.COUNT_CAP)
    return TaskPage(items, max(total, len(items)) if capped else total, next_cursor, capped)


def _pack(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _json(cursor: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("cursor encoding") from exc
    if not isinstance(values, list):
        raise ValueError("cursor shape")
    return values


def _encode(row: Any) -> str:
    key = [row.sort_due.isoformat(), row.created_at.isoformat(), row.id]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, datetime, str]:
    try:
        due, created, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not all(isinstance(v, str) for v in (due, created, last_id)):
            raise ValueError("cursor fields")
        moments = [datetime.fromisoformat(v) for v in (due, created)]
        if any(m.tzinfo is None for m in moments):
            raise ValueError("cursor times without offset")
        return moments[0], moments[1], last_id
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidInput(f"invalid task cursor {cursor[:40]!r}", user_message=BAD_CURSOR) from None
