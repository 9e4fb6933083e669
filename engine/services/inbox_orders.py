"""The task list in another order than the inbox key: by priority (highest first, Camunda's
default 50 for tasks without one, then due date) or by age (oldest first).

Pages are keyset-paged like the inbox key (a cursor holds the last row's sort values, so nothing
repeats or is skipped while tasks come and go); visibility and filters are those of
engine/services/inbox_query.py. Every statement runs for one tenant (engine/persistence/scoping.py),
so every index named here starts with ``tenant_id``.

A clerk's open tasks (their groups, or assigned to them) are read as the inbox key reads them: one
range per group of ``work_item_queue(tenant_id, group_name, priority_rank, inbox key)`` or
``work_item_queue(tenant_id, group_name, created_at, work_item_id)`` (migration 0023; the queue row
carries the task's rank, -COALESCE(priority, 50)), each cut at the page size, and the clerk's
assigned tasks, merged; the next page continues each range after the cursor. Before, a group's
page walked the tenant's priority or age index across every group's tasks and probed each row's
groups (bench/inbox.py at 1,000,000 open tasks on PostgreSQL: 1.3 s a page by priority, 90 ms by
age). Other filters read the partial indexes ix_work_items_open_priority (tenant_id, rank, inbox
key) and ix_work_items_open_age (tenant_id, created_at, id) in order and check the filters row by
row: a page stops after its rows.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import (BindParameter, ColumnElement, Integer, Select, bindparam, func, literal_column,
                        select, tuple_, union_all)

from engine.persistence import tables as t
from engine.services.inbox_query import (Filters, among_cases, closed_visibility, first_rows, item_conditions, needs_items,
                                         not_deferred, not_excluded, queue_conditions)

ORDERS = ("due", "priority", "age")
DEFAULT_PRIORITY = 50          # a task without priority counts as Camunda's default
_W = t.work_items
_Q = t.work_item_queue
# The rank as ix_work_items_open_priority (migration 0022) indexes it: the default is a literal,
# not a bound parameter, or neither PostgreSQL nor SQLite would match the index's expression.
_RANK = -func.coalesce(_W.c.priority, literal_column(str(DEFAULT_PRIORITY), Integer()))


def rank_of(priority: int | None) -> int:
    """A task's rank in the priority order (lower first), as work_item_queue.priority_rank holds it."""
    return -(priority if priority is not None else DEFAULT_PRIORITY)


def key_columns(order: str) -> tuple[Any, ...]:
    if order == "age":
        return (_W.c.created_at, _W.c.id)
    if order == "priority":
        return (_RANK, _W.c.sort_due, _W.c.created_at, _W.c.id)
    raise ValueError(f"unknown task order {order!r}")


def _types(order: str) -> list[Any]:
    ts, ident = _W.c.created_at.type, _W.c.id.type
    return [ts, ident] if order == "age" else [Integer(), ts, ts, ident]


@functools.lru_cache(maxsize=128)
def page_query(f: Filters, order: str, after: bool) -> Select[Any]:
    """One page in ``order`` (``limit`` bound; ask one more to know whether a next page exists)."""
    columns = key_columns(order)
    if f.by_queue:
        return _by_queue(f, order, after)
    if f.cases:   # a search's few cases: their tasks read, then sorted (after the cursor: the row's key)
        return among_cases(f, [tuple_(*columns) > tuple_(*_cursor(order))] if after else [], columns)
    conditions = [*item_conditions(f), *not_excluded(f, _W.c.id)]   # four-eyes: not the viewer's excluded tasks
    if f.visibility:
        conditions.append(closed_visibility(f))   # open tasks of any case: _by_queue
    if after and order == "priority":
        return _priority_after(conditions)
    if after:
        conditions.append(tuple_(*columns) > tuple_(*[bindparam(f"after_{i}", type_=kind)
                                                      for i, kind in enumerate(_types(order))]))
    return select(_W).where(*conditions).order_by(*columns).limit(bindparam("limit"))


def _cursor(order: str) -> list[BindParameter[Any]]:
    return [bindparam(f"after_{i}", type_=kind) for i, kind in enumerate(_types(order))]


# the order's key on work_item_queue and the names the merged ranges carry (the last one: "id")
_QUEUE_KEYS = {"priority": (_Q.c.priority_rank, _Q.c.sort_due, _Q.c.created_at, _Q.c.work_item_id),
               "age": (_Q.c.created_at, _Q.c.work_item_id)}
_NAMES = {"priority": ("rank", "sort_due", "created_at", "id"), "age": ("created_at", "id")}


def _by_queue(f: Filters, order: str, after: bool) -> Select[Any]:
    """A clerk's open tasks by priority or age: per group one range of ix_work_item_queue_priority
    or ix_work_item_queue_age (after the cursor: a row comparison over plain columns, which both
    databases seek), the tasks assigned to the clerk from ix_work_items_open_assignee_priority
    (by age: the clerk's range of ix_work_items_assignee, sorted), each cut at the page size; the
    page is the first ``limit`` keys of their union, read by primary key."""
    limit: BindParameter[Any] = bindparam("limit")
    names, queue_key = _NAMES[order], _QUEUE_KEYS[order]
    branches: list[Select[Any]] = []
    for i in range(f.groups):
        branch = select(*[c.label(n) for c, n in zip(queue_key, names)]).where(
            _Q.c.group_name == bindparam(f"group_{i}"), *queue_conditions(f), *not_excluded(f, _Q.c.work_item_id),
            *not_deferred(f))
        if needs_items(f):
            branch = branch.join(_W, _W.c.id == _Q.c.work_item_id).where(*item_conditions(f, queued=True))
        if after:
            branch = branch.where(tuple_(*queue_key) > tuple_(*_cursor(order)))
        branches.append(branch.order_by(*queue_key).limit(limit))
    if f.user:
        columns = key_columns(order)
        mine = select(*[c.label(n) for c, n in zip(columns, names)]).where(
            *item_conditions(f), _W.c.assignee == bindparam("user"), *not_excluded(f, _W.c.id))
        if after:   # PostgreSQL seeks this in ix_work_items_open_assignee_priority; SQLite walks the clerk's range
            mine = mine.where(tuple_(*columns) > tuple_(*_cursor(order)))
        branches.append(mine.order_by(*columns).limit(limit))
    return first_rows(branches, names, key_columns(order))


def _priority_after(conditions: list[ColumnElement[bool]]) -> Select[Any]:
    """The page after a cursor (rank, due, created, id) as two index seeks: the rest of the
    cursor's rank, then the lower ranks, each cut at the page size, merged. One row comparison
    over the four values would do on PostgreSQL, but SQLite seeks a row comparison only over
    plain columns: with the rank an expression it walked its index from the start of the rank."""
    rank, due, created, ident = _cursor("priority")
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
