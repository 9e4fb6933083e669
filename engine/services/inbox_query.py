"""The task-list queries (clerk inbox, GET /api/v1/tasks, `amtsflow tasks`), built for a
regional provider's scale (issue 13): a million open tasks over many groups.

Every page is read in one stable order, the *inbox key* (sort_due, created_at, id): sort_due is
the due date, or 9999-12-31 for tasks without one, so undated tasks come last. A page after a
cursor is a range of that key, never an OFFSET, so the next page costs what the first does.

Which index serves which filter (PostgreSQL and SQLite; partial indexes cover open items):
- a clerk's groups: one range of ``work_item_queue(group_name, inbox key)`` per group (a row per
  open task and candidate group), each cut at the page size, merged, then the page's rows read
  by primary key; tasks assigned to the clerk come from ``work_items(assignee, inbox key)``;
  a process within the groups: ``work_item_queue(group_name, process_key, inbox key)``;
- a process: ``work_items(process_key, inbox key)``; no filter: ``work_items(inbox key)``;
- a business key (exact): ``work_items(business_key)``, copied onto the work item;
- a case field (exact value): ``case_fields(name, value)`` to the cases, then their tasks.
- a free text (``search``: contained in a case field or the business key): its few candidate
  cases through trigram indexes, then their tasks (``Filters.cases``, engine/services/inbox_search.py);
  on PostgreSQL many candidates are checked within the groups' ranges, against the case each
  queue row carries (``Filters.among``, in ``ix_work_item_queue_order``); a text most cases
  contain is checked per task by its own condition. Counts stop at COUNT_CAP; a
group's count (with or without a process) reads ``work_item_queue(group_name, process_key)``,
a narrow index made for it (migration 0025).

Statements are built once per combination of filters (and number of groups) and cached.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (BindParameter, ColumnElement, Integer, Select, String, and_, any_, bindparam, case, cast, exists,
                        func, literal_column, or_, select, tuple_, union)

from sqlalchemy.sql.util import ClauseAdapter

from engine.persistence import tables as t
from engine.services.text_search import like_pattern

_W = t.work_items
_Q = t.work_item_queue
_KEY = (_W.c.sort_due, _W.c.created_at, _W.c.id)
_QUEUE_KEY = (_Q.c.sort_due, _Q.c.created_at, _Q.c.work_item_id)


@dataclass(frozen=True)
class Filters:
    """Which filters a query has (the values travel as bound parameters)."""

    groups: int = 0              # number of candidate groups (bound as group_0, group_1 ...)
    user: bool = False           # or assigned to this user
    case_id: bool = False
    process_key: bool = False
    assignee: bool = False
    search: bool = False         # free text, contained (checked per task: a text many cases contain)
    business_key: bool = False   # exact
    field: bool = False          # case field name = value, exact
    due_from: bool = False
    due_until: bool = False
    open_only: bool = True       # state 'open': the queue and the partial indexes apply
    viewer: bool = False         # leave out tasks the four-eyes principle excludes this person from
    unassigned: bool = False     # only tasks nobody holds (a clerk taking the next free one)
    not_deferred: bool = False   # without the tasks whose follow-up day (Wiedervorlage) lies ahead
    cases: bool = False          # among these cases only (bound as the list case_ids): a free text's candidates
    among: bool = False          # the same for many, checked per task (case_set: their ids as one text; PostgreSQL)

    @property
    def visibility(self) -> bool:
        return bool(self.groups) or self.user

    @property
    def expanding(self) -> bool:
        """Whether the statements run through SQLAlchemy's own execution: an expanding IN binds
        a list; the case set of ``among`` needs its transaction planned for it (:func:`plan_each`)."""
        return self.cases or self.among or (self.visibility and not self.open_only)

    @property
    def by_queue(self) -> bool:
        """Whether the rows come from the ranges of the groups' queue rows. Not for a few known
        cases (``cases``): their tasks are read by ``work_items(case_id)`` and the groups checked
        at each, which costs what the matches number, not what the groups hold."""
        return self.visibility and self.open_only and not self.cases


def plan_each(conn: Any, f: Filters) -> None:
    """PostgreSQL, a search among many candidate cases (``among``): the statements of the
    caller's transaction are planned for their own array of case ids. A prepared statement's
    generic plan takes the array for a parameter of unknown size and compares each task's case
    with its elements one by one (11,000 comparisons a task); a plan for the array at hand
    hashes it once (PostgreSQL 14 and later)."""
    if f.among:
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


def params_for(groups: list[str], **values: Any) -> dict[str, Any]:
    params: dict[str, Any] = {f"group_{i}": g for i, g in enumerate(groups)}
    params["groups"] = list(groups)
    params.update(values)
    search = values.get("search")
    params["like"] = like_pattern(search) if search else None
    return params


def not_excluded(f: Filters, work_item_id: Any) -> list[ColumnElement[bool]]:
    """Four-eyes principle: not a task the viewer is excluded from (a primary-key probe per row)."""
    x = t.work_item_exclusions
    return [~exists().where(x.c.work_item_id == work_item_id, x.c.username == bindparam("viewer"))] if f.viewer else []


def not_deferred(f: Filters) -> list[ColumnElement[bool]]:
    """Wiedervorlage, for the queue's ranges: not a task whose follow-up day has not begun. The
    queue row carries the work item's follow-up (migration 0039): a filter within the range, and
    within ix_work_item_queue_count for a total. Work-item ranges use :func:`item_conditions`."""
    if not f.not_deferred:
        return []
    return [or_(_Q.c.follow_up.is_(None), _Q.c.follow_up <= bindparam("now", type_=_Q.c.follow_up.type))]


def item_conditions(f: Filters, *, queued: bool = False) -> list[ColumnElement[bool]]:
    """Conditions on work_items other than visibility. ``queued``: for the work items of a
    group's queue range, whose rows check the case themselves (:func:`queue_conditions`): the
    planner estimates a case set element by element, each copy of it costs about 2 ms."""
    # open tasks: the literal, so that the partial indexes (WHERE state = 'open') apply, also to
    # prepared statements with generic plans
    conds: list[ColumnElement[bool]] = [_W.c.state == (literal_column("'open'") if f.open_only else bindparam("state"))]
    if f.case_id:
        conds.append(_W.c.case_id == bindparam("case_id"))
    if f.cases:
        conds.append(_W.c.case_id.in_(bindparam("case_ids", expanding=True)))
    if f.among and not queued:
        conds.append(_W.c.case_id == _case_set())
    if f.process_key:
        conds.append(_W.c.process_key == bindparam("process_key"))
    if f.assignee:
        conds.append(_W.c.assignee == bindparam("assignee"))
    if f.unassigned:
        conds.append(_W.c.assignee.is_(None))
    if f.business_key:
        conds.append(_W.c.business_key == bindparam("business_key"))
    if f.field:
        cf = t.case_fields
        conds.append(_W.c.case_id.in_(select(cf.c.case_id).where(cf.c.name == bindparam("field_name"),
                                                                 cf.c.value == bindparam("field_value"))))
    if f.search:
        like: BindParameter[str] = bindparam("like")
        conds.append(or_(
            _W.c.business_key.ilike(like, escape="\\"),
            exists().where(and_(t.case_fields.c.case_id == _W.c.case_id,
                                t.case_fields.c.value.ilike(like, escape="\\"))),
            _W.c.case_id == bindparam("search"),
        ))
    if f.due_from:
        conds.append(_W.c.due >= bindparam("due_from", type_=_W.c.due.type))
    if f.due_until:
        conds.append(_W.c.due < bindparam("due_until", type_=_W.c.due.type))
    if f.not_deferred:
        conds.append(or_(_W.c.follow_up.is_(None), _W.c.follow_up <= bindparam("now", type_=_W.c.follow_up.type)))
    return conds


def _after(columns: tuple[Any, ...]) -> ColumnElement[bool]:
    return tuple_(*columns) > tuple_(bindparam("after_due", type_=_W.c.sort_due.type),
                                     bindparam("after_created", type_=_W.c.created_at.type),
                                     bindparam("after_id"))


def needs_items(f: Filters) -> bool:
    """Whether a group branch must look at work_items beyond the queue (any filter but state
    and process, which the queue row carries)."""
    return any((f.case_id, f.cases, f.assignee, f.unassigned, f.search, f.business_key, f.field, f.due_from,
                f.due_until))


def queue_conditions(f: Filters) -> list[ColumnElement[bool]]:
    """Conditions on the queue rows of a group's range: a process, a free text's many cases
    (the row's case, migration 0042; on PostgreSQL in ix_work_item_queue_order)."""
    conds = [_Q.c.process_key == bindparam("process_key")] if f.process_key else []
    if f.among:
        conds.append(_Q.c.case_id == _case_set())
    return conds


def _case_set() -> Any:
    """Any of the case ids in the bound text ``case_set`` (comma-separated; PostgreSQL). One text
    travels and is split by the server in C: as a list, psycopg spent 18 ms adapting 11,000 ids."""
    return any_(func.string_to_array(bindparam("case_set", type_=String), literal_column("','")))


def _group_branch(f: Filters, i: int, after: bool, *, limited: bool = True) -> Select[Any]:
    query = select(_Q.c.work_item_id.label("id"), _Q.c.sort_due, _Q.c.created_at).where(
        _Q.c.group_name == bindparam(f"group_{i}"), *queue_conditions(f), *not_excluded(f, _Q.c.work_item_id),
        *not_deferred(f))
    if needs_items(f):
        query = query.join(_W, _W.c.id == _Q.c.work_item_id).where(*item_conditions(f, queued=True))
    if after:
        query = query.where(_after(_QUEUE_KEY))
    if limited:
        query = query.order_by(*_QUEUE_KEY).limit(bindparam("limit"))
    return query


def _item_branch(f: Filters, after: bool, extra: list[ColumnElement[bool]], *, limited: bool = True) -> Select[Any]:
    query = select(_W.c.id, _W.c.sort_due, _W.c.created_at).where(*item_conditions(f), *extra,
                                                                   *not_excluded(f, _W.c.id))
    if after:
        query = query.where(_after(_KEY))
    if limited:
        query = query.order_by(*_KEY).limit(bindparam("limit"))
    return query


def closed_visibility(f: Filters) -> ColumnElement[bool]:
    """Groups/user checked at each task in the group table: for tasks that are no longer open
    (no queue rows), and for the tasks of a few known cases (``Filters.cases``)."""
    visible: list[ColumnElement[bool]] = []
    if f.groups:
        visible.append(exists().where(and_(t.work_item_groups.c.work_item_id == _W.c.id,
                                           t.work_item_groups.c.group_name.in_(bindparam("groups", expanding=True)))))
    if f.user:
        visible.append(_W.c.assignee == bindparam("user"))
    return or_(*visible)


@functools.lru_cache(maxsize=256)
def page_query(f: Filters, after: bool) -> Select[Any]:
    """The rows of one page (``limit`` bound; ask for one more to know whether a next page exists)."""
    if f.cases:
        return among_cases(f, [*([_after(_KEY)] if after else [])], _KEY)
    rows = select(_W).order_by(*_KEY).limit(bindparam("limit"))
    if not f.visibility:
        return rows.where(*item_conditions(f), *not_excluded(f, _W.c.id), *([_after(_KEY)] if after else []))
    if not f.by_queue:
        return rows.where(*item_conditions(f), *not_excluded(f, _W.c.id), closed_visibility(f),
                          *([_after(_KEY)] if after else []))
    branches = [_group_branch(f, i, after) for i in range(f.groups)]
    if f.user:
        branches.append(_item_branch(f, after, [_W.c.assignee == bindparam("user")]))
    return first_rows(branches, ("sort_due", "created_at", "id"), _KEY)


def among_cases(f: Filters, extra: list[ColumnElement[bool]], order: tuple[Any, ...]) -> Select[Any]:
    """The page of the tasks of a few known cases (``Filters.cases``): every matching task read
    first, through ``work_items(case_id)``, then sorted by ``order`` and cut. The subquery's
    OFFSET 0 keeps PostgreSQL from planning it as a walk of an index in ``order`` that stops at
    the page size: for 11,000 candidate cases (224 of whose tasks were in the group) it walked
    245,000 open tasks, 720 ms, where reading the cases' tasks took 300 (20 ms for 1,100)."""
    conditions = [*item_conditions(f), *not_excluded(f, _W.c.id), *extra]
    if f.visibility:
        conditions.append(closed_visibility(f))
    matching = select(_W).where(*conditions).offset(literal_column("0")).subquery("matching")
    adapt = ClauseAdapter(matching).traverse
    return select(matching).order_by(*[adapt(column) for column in order]).limit(bindparam("limit"))


def first_rows(branches: list[Select[Any]], key: tuple[str, ...], order: tuple[Any, ...]) -> Select[Any]:
    """The page from index ranges: ``branches`` (each ordered by ``key``, its columns, and cut at
    the page size) merged, the first ``limit`` keys taken, and only their rows read by primary key
    (three groups read 51 work items, not 204), in ``order`` (the same key on work_items). UNION:
    a task in two of the groups (or also assigned to the clerk) comes with the same key twice."""
    merged = (union(*[select(b.subquery()) for b in branches]) if len(branches) > 1 else branches[0]).subquery()
    first = select(merged.c.id).order_by(*[merged.c[name] for name in key]).limit(bindparam("limit")).subquery()
    return select(_W).join(first, first.c.id == _W.c.id).order_by(*order).limit(bindparam("limit"))


COUNT_CAP = 10_000   # counting stops here: "more than 10,000" is what a clerk needs to know


@functools.lru_cache(maxsize=256)
def count_query(f: Filters) -> Select[Any]:
    """Columns ``total`` (how many tasks match) and ``rows`` (index entries read), reading at most
    COUNT_CAP + 1 entries however many match: the group part counts the distinct tasks among the
    first COUNT_CAP + 1 queue rows of the groups (``rows`` beyond COUNT_CAP: counting stopped);
    tasks assigned to the user are added when none of the groups holds them."""
    cap = COUNT_CAP + 1
    # each part is counted in one pass over its (at most cap) index entries; as two scalar
    # subqueries over the same rows, "total" and "rows" read them twice (both databases)
    if not f.by_queue:
        conds = [*item_conditions(f), *not_excluded(f, _W.c.id), *([closed_visibility(f)] if f.visibility else [])]
        counted = select(func.count().label("n")).select_from(select(_W.c.id).where(*conds).limit(cap).subquery())
        return _both(counted.subquery())
    mine: Any = None
    if f.user:
        mine = select(func.count()).select_from(_W).where(*item_conditions(f), _W.c.assignee == bindparam("user"),
                                                          *not_excluded(f, _W.c.id))
        if f.groups:
            mine = mine.where(~exists().where(_Q.c.work_item_id == _W.c.id,
                                              _Q.c.group_name.in_(bindparam("groups", expanding=True))))
        mine = mine.scalar_subquery()
    if not f.groups:
        return _both(select(mine.label("n")).subquery())
    in_groups = _Q.c.group_name.in_(bindparam("groups", expanding=True))
    # one group holds a task once (primary key): its count needs no task id, so it reads the narrow
    # ix_work_item_queue_count (tenant, group, process; migration 0025), a few pages for 10,001 entries
    # on PostgreSQL; several groups may share a task: counted once, so the id is read
    in_queue = (in_groups, *queue_conditions(f), *not_excluded(f, _Q.c.work_item_id), *not_deferred(f))
    if f.among:   # the rows read are counted whether their case is one of the set or not
        unmatched = replace(f, among=False)
        return _among_count(f, (in_groups, *queue_conditions(unmatched), *not_excluded(f, _Q.c.work_item_id),
                                *not_deferred(f)), mine)
    if f.search:
        return _searched_count(f, in_queue, mine)
    grouped = select(_Q.c.work_item_id.label("id") if f.groups > 1 else literal_column("1").label("one")).where(
        *in_queue)
    if needs_items(f):
        grouped = grouped.join(_W, _W.c.id == _Q.c.work_item_id).where(*item_conditions(f))
    rows = grouped.limit(cap).subquery()
    if f.groups > 1:   # GROUP BY, not COUNT(DISTINCT): PostgreSQL hashes (9 ms at 10,001 ids, sorting took 16)
        per_task = select(rows.c.id, func.count().label("n")).group_by(rows.c.id).subquery()
        both = select(func.count().label("total"),
                      cast(func.coalesce(func.sum(per_task.c.n), 0), Integer).label("rows")).subquery()
    else:
        both = select(func.count().label("total"), func.count().label("rows")).select_from(rows).subquery()
    total = both.c.total if mine is None else both.c.total + mine
    return select(total.label("total"), both.c.rows.label("rows"))


SEARCH_COUNT_ROWS = 1_000   # a free text many cases contain: its total is counted among this many tasks


def _searched_count(f: Filters, in_queue: tuple[ColumnElement[bool], ...], mine: Any) -> Select[Any]:
    """A free text many cases contain (engine/services/inbox_search.py): the tasks among the first
    SEARCH_COUNT_ROWS queue rows of the groups that match, not the first COUNT_CAP matches (which
    read every task of the groups when few match). Each row read checks the work item and the case
    fields (30 us): 10,001 rows took 330 ms at 1,000,000 open tasks, where the page itself took 19.
    When more rows were there, ``rows`` is beyond COUNT_CAP: counting stopped, at least ``total``
    match (task_pages._page shows at least the page's own tasks)."""
    read = select(_Q.c.work_item_id.label("id")).where(*in_queue).limit(SEARCH_COUNT_ROWS + 1).subquery()
    matched = select(func.count(func.distinct(_W.c.id))).select_from(read.join(_W, _W.c.id == read.c.id)) \
        .where(*item_conditions(f)).scalar_subquery()
    read_rows = select(func.count()).select_from(read).scalar_subquery()
    stopped = case((read_rows > SEARCH_COUNT_ROWS, literal_column(str(COUNT_CAP + 1))), else_=read_rows)
    return select((matched if mine is None else matched + mine).label("total"), stopped.label("rows"))


def _among_count(f: Filters, in_queue: tuple[ColumnElement[bool], ...], mine: Any) -> Select[Any]:
    """A free text's many candidate cases (``among``): the tasks among the first COUNT_CAP + 1
    queue rows of the groups whose case is one of them, read in one pass over the queue rows
    alone (the case is on the row; on PostgreSQL in ix_work_item_queue_order, so index-only). A
    group with more rows than that shows "more than" (``rows`` beyond COUNT_CAP)."""
    rows = select(_Q.c.work_item_id.label("id"), _Q.c.case_id).where(*in_queue)
    if needs_items(f):   # the other filters (due, assignee ...): the rows of the tasks they leave
        rows = rows.join(_W, _W.c.id == _Q.c.work_item_id).where(*item_conditions(f, queued=True))
    read = rows.limit(COUNT_CAP + 1).subquery()
    both = select(func.count(func.distinct(read.c.id)).filter(read.c.case_id == _case_set()).label("n"),
                  func.count().label("rows")).subquery()
    total = both.c.n if mine is None else both.c.n + mine
    return select(total.label("total"), both.c.rows.label("rows"))


def _both(counted: Any) -> Select[Any]:
    return select(counted.c.n.label("total"), counted.c.n.label("rows"))
