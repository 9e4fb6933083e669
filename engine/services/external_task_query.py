"""Reading external tasks (Camunda's ``GET /external-task``): the open ``external`` jobs with
their case, filtered, sorted and paged in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select

from engine.bootstrap import Engine
from engine.persistence import tables as t
from engine.services.external_tasks import OWNER_PREFIX, LockedTask, task_view

SORTS = {"id": "id", "lockExpirationTime": "lock_expires_at", "processInstanceId": "case_id",
         "taskPriority": "priority", "createTime": "created_at"}


@dataclass(frozen=True)
class TaskQuery:
    task_ids: list[str] | None = None
    topic: str | None = None
    worker_id: str | None = None
    locked: bool | None = None               # True: locked now; False: not locked now
    retries_left: bool | None = None         # True: retries left (or none reported); False: none left
    case_ids: list[str] | None = None
    activity_ids: list[str] | None = None
    definition_id: str | None = None
    process_key: str | None = None
    suspended: bool | None = None
    sort: str | None = None                  # a key of SORTS
    descending: bool = False


def _conditions(engine: Engine, q: TaskQuery) -> list[Any]:
    j, c = t.jobs, t.cases
    now = engine.clock.now()
    found: list[Any] = [j.c.kind == "external"]
    if q.task_ids is not None:
        found.append(j.c.id.in_(q.task_ids))
    if q.topic is not None:
        found.append(j.c.topic == q.topic)
    if q.worker_id is not None:
        found.append(and_(j.c.lock_owner == OWNER_PREFIX + q.worker_id))
    if q.locked is True:
        found.append(j.c.lock_expires_at > now)
    elif q.locked is False:
        found.append(or_(j.c.lock_expires_at.is_(None), j.c.lock_expires_at <= now))
    if q.retries_left is True:
        found.append(or_(j.c.attempts == 0, j.c.retries > 0))
    elif q.retries_left is False:
        found.append(and_(j.c.attempts > 0, j.c.retries == 0))
    if q.case_ids is not None:
        found.append(j.c.case_id.in_(q.case_ids))
    if q.activity_ids is not None:
        found.append(j.c.element_id.in_(q.activity_ids))
    if q.definition_id is not None:
        found.append(c.c.definition_id == q.definition_id)
    if q.process_key is not None:
        found.append(c.c.process_key == q.process_key)
    if q.suspended is not None:
        found.append(j.c.suspended.is_(q.suspended))
    return found


def list_external_tasks(engine: Engine, query: TaskQuery, *, limit: int, offset: int = 0) -> list[LockedTask]:
    j, c = t.jobs, t.cases
    column = j.c[SORTS[query.sort]] if query.sort else j.c.created_at
    order = [column.desc() if query.descending else column.asc(), j.c.id]
    statement = (select(j, c.c.process_key, c.c.definition_id, c.c.business_key)
                 .join(c, c.c.id == j.c.case_id).where(*_conditions(engine, query))
                 .order_by(*order).limit(limit).offset(offset))
    with engine.db.connect() as conn:
        rows = conn.execute(statement).all()
    return [task_view(row, row, _worker(row.lock_owner), {}) for row in rows]


def count_external_tasks(engine: Engine, query: TaskQuery) -> int:
    j, c = t.jobs, t.cases
    statement = (select(func.count()).select_from(j.join(c, c.c.id == j.c.case_id))
                 .where(*_conditions(engine, query)))
    with engine.db.connect() as conn:
        return int(conn.execute(statement).scalar() or 0)


def _worker(owner: str | None) -> str | None:
    return owner.removeprefix(OWNER_PREFIX) if owner and owner.startswith(OWNER_PREFIX) else None


__all__ = ["SORTS", "TaskQuery", "count_external_tasks", "list_external_tasks"]
