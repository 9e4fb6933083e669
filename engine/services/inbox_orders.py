"""The task list in another order than the inbox key: by priority (highest first, Camunda's
default 50 for tasks without one, then due date) or by age (oldest first).

Pages are keyset-paged like the inbox key (a cursor holds the last row's sort values, so nothing
repeats or is skipped while tasks come and go); visibility and filters are those of
engine/services/inbox_query.py. These orders read the open tasks through the filters rather than
through a per-group index range: the due-date order stays the one built for a million open tasks.
Age reads the partial index ix_work_items_open_age (migration 0016), priority the partial index
ix_work_items_open_priority on its whole key (migration 0022; before it, every matching open task
was sorted: about 0.8 s a page at 100,000 on SQLite). Both walk the index in order and check the
filters row by row, so a page stops after its rows: cheap when the filters keep a fair share of
the open tasks near the front of the order, a long walk when they keep few there (bench/inbox.py:
a group whose tasks all have the default priority walks past every higher-ranked task of the other
groups first). A group's priority page as one index range needs the rank on work_item_queue.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import (BindParameter, ColumnElement, Integer, Select, bindparam, exists, func, literal_column, or_,
                        select, tuple_, union_all)

from engine.persistence import tables as t
from engine.services.inbox_query import Filters, closed_visibility, item_conditions, not_excluded

ORDERS = ("due", "priority", "age")
DEFAULT_PRIORITY = 50          # a task without priority counts as Camunda's default
_W = t.work_items
_Q = t.work_item_queue
# The rank as ix_work_items_open_priority (migration 0022) indexes it: the default is a literal,
# not a bound parameter, or neither PostgreSQL nor SQLite would match the index's expression.
_RANK = -func.coalesce(_W.c.priority, literal_column(str(DEFAULT_PRIORITY), Integer()))


def key_columns(order: str) -> tuple[Any, ...]:
    if order == "age":
        return (_W.c.created_at, _W.c.id)
    if order == "priority":
        return (_RANK, _W.c.sort_due, _W.c.created_at, _W.c.id)
    raise ValueError(f"unknown task order {order!r}")


def _types(order: str) -> list[Any]:
    ts, ident = _W.c.created_at.type, _W.c.id.type
    return [ts, ident] if order == "age" else [Integer(), ts, ts, ident]


def _visible_open(f: Filters) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    if f.groups:
        parts.append(exists().where(_Q.c.work_item_id == _W.c.id,
                                    _Q.c.group_name.in_(bindparam("groups", expanding=True))))
    if f.user:
        parts.append(_W.c.assignee == bindparam("user"))
    return or_(*parts)


@functools.lru_cache(maxsize=128)
def page_query(f: Filters, order: str, after: bool) -> Select[Any]:
    """One page in ``order`` (``limit`` bound; ask one more to know whether a next page exists)."""
    columns = key_columns(order)
    conditions = [*item_conditions(f), *not_excluded(f, _W.c.id)]   # four-eyes: not the viewer's excluded tasks
    if f.visibility:
        conditions.append(_visible_open(f) if f.open_only else closed_visibility(f))
    if after and order == "priority":
        return _priority_after(conditions)
    if after:
        conditions.append(tuple_(*columns) > tuple_(*[bindparam(f"after_{i}", type_=kind)
                                                      for i, kind in enumerate(_types(order))]))
    return select(_W).where(*conditions).order_by(*columns).limit(bindparam("limit"))


def _priority_after(conditions: list[ColumnElement[bool]]) -> Select[Any]:
    """The page after a cursor (rank, due, created, id) as two index seeks: the rest of the
    cursor's rank, then the lower ranks, each cut at the page size, merged. One row comparison
    over the four values would do on PostgreSQL, but SQLite seeks a row comparison only over
    plain columns: with the rank an expression it walked its index from the start of the rank."""
    rank, due, created, ident = (bindparam(f"after_{i}", type_=kind) for i, kind in enumerate(_types("priority")))
    limit: BindParameter[Any] = bindparam("limit")
    same = (select(_W, _RANK.label("rank")).where(*conditions, _RANK == rank,
                                                  tuple_(_W.c.sort_due, _W.c.created_at, _W.c.id) > tuple_(due, created, ident))
            .order_by(_W.c.sort_due, _W.c.created_at, _W.c.id).limit(limit).subquery())   # the rank is fixed
    lower = (select(_W, _RANK.label("rank")).where(*conditions, _RANK > rank)
             .order_by(*key_columns("priority")).limit(limit).subquery())
    both = union_all(select(same), select(lower)).subquery()
    return (select(*[both.c[column.name] for column in _W.c])
            .order_by(both.c.rank, both.c.sort_due, both.c.created_at, both.c.id).limit(limit))


def cursor_values(order: str, row: Any) -> list[Any]:
    """The sort values of ``row`` as JSON (the cursor after it)."""
    if order == "age":
        return [order, row.created_at.isoformat(), row.id]
    rank = -(row.priority if row.priority is not None else DEFAULT_PRIORITY)
    return [order, rank, row.sort_due.isoformat(), row.created_at.isoformat(), row.id]


def cursor_params(order: str, values: list[Any]) -> dict[str, Any]:
    """Bound parameters from a decoded cursor; ValueError when it does not fit ``order``."""
    if not values or values[0] != order:
        raise ValueError("cursor of another order")
    rest = values[1:]
    kinds = ["ts", "id"] if order == "age" else ["int", "ts", "ts", "id"]
    if len(rest) != len(kinds):
        raise ValueError("cursor length")
    params: dict[str, Any] = {}
    for i, (kind, value) in enumerate(zip(kinds, rest)):
        if kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
            raise ValueError("cursor rank")
        if kind in ("ts", "id") and not isinstance(value, str):
            raise ValueError("cursor text")
        if kind == "ts":
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError("cursor time without offset")
            value = moment
        params[f"after_{i}"] = value
    return params
