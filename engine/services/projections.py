"""Projection tables written in the same transaction as the case state.

The case row keeps the ids its projections were built from (``waits``), so each command
diffs in memory and touches only rows that changed: no per-command SELECTs, and no cost
that grows with a case's history.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Callable

from sqlalchemy import String, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from engine.domain.errors import ExpressionError
from engine.domain import priorities
from engine.persistence import tables as t
from engine.persistence.fast import FastStatement
from engine.domain.values import jsonable
from engine.runtime.workflow import Waits
from engine.services import inbox_orders, task_access, task_assignment


# Statements of every step, built once (building one costs more than running it on SQLite).
# Their row counts are not needed: on PostgreSQL they are deferred and go to the server in one
# round trip with the commit (FastStatement.defer).
_INSERT_JOB = FastStatement(t.jobs.insert())
_DELETE_JOB = FastStatement(delete(t.jobs).where(t.jobs.c.id == bindparam("id")))
_INSERT_WORK_ITEM = FastStatement(t.work_items.insert())
_INSERT_GROUP = FastStatement(t.work_item_groups.insert())
_INSERT_QUEUED = FastStatement(t.work_item_queue.insert())
_INSERT_EXCLUSION = FastStatement(t.work_item_exclusions.insert())
_UNQUEUE = FastStatement(delete(t.work_item_queue).where(t.work_item_queue.c.work_item_id == bindparam("id")))
# a clerk's draft of the task's form ends with the task (engine/services/task_drafts.py)
_DROP_DRAFT = FastStatement(delete(t.task_drafts).where(t.task_drafts.c.work_item_id == bindparam("id")))
_END_WORK_ITEM = FastStatement(update(t.work_items).where(t.work_items.c.id == bindparam("b_id"))
                               .values(state=bindparam("state"), ended_at=bindparam("ended_at"),
                                       completed_by=bindparam("completed_by")))


def _new_work_item_statement() -> FastStatement:
    """PostgreSQL: a new work item with its group rows and its queue rows, one statement (data-
    modifying CTEs) instead of 1 + 2 per group: every statement costs the client and the server
    about as much as the rows it writes. ``group_names`` is the work item's candidate groups."""
    w, g, q = t.work_items, t.work_item_groups, t.work_item_queue
    columns = [c.key for c in w.c if c.key not in ("tenant_id", "ended_at", "completed_by")]
    item = (insert(w).values({c: bindparam(c, type_=w.c[c].type) for c in columns})
            .returning(w.c.id, w.c.tenant_id, w.c.case_id, w.c.process_key, w.c.sort_due, w.c.created_at,
                       w.c.follow_up)
            .cte("new_item"))

    def group_names() -> Any:   # one row per group (a set-returning function in the select list)
        return func.unnest(bindparam("group_names", type_=postgresql.ARRAY(String)))

    groups = insert(g).from_select(["work_item_id", "group_name", "tenant_id"],
                                   select(item.c.id, group_names(), item.c.tenant_id)).cte("new_groups")
    return FastStatement(insert(q).from_select(
        ["work_item_id", "group_name", "tenant_id", "case_id", "process_key", "sort_due", "created_at", "follow_up",
         "priority_rank"],
        select(item.c.id, group_names(), item.c.tenant_id, item.c.case_id, item.c.process_key, item.c.sort_due,
               item.c.created_at, item.c.follow_up, bindparam("priority_rank", type_=q.c.priority_rank.type)))
        .add_cte(groups))


def _end_work_item_statement() -> FastStatement:
    """PostgreSQL: :data:`_END_WORK_ITEM`, :data:`_UNQUEUE` and :data:`_DROP_DRAFT` as one statement."""
    q, d = t.work_item_queue, t.task_drafts
    unqueued = delete(q).where(q.c.work_item_id == bindparam("b_id")).cte("unqueued")
    undrafted = delete(d).where(d.c.work_item_id == bindparam("b_id")).cte("undrafted")
    return FastStatement(_END_WORK_ITEM.statement.add_cte(unqueued).add_cte(undrafted))  # type: ignore[attr-defined]


# By dialect: on PostgreSQL a statement (a round trip's part) saved is worth more than on SQLite,
# which has no data-modifying CTEs and runs each statement in a few microseconds anyway.
_NEW_WORK_ITEM = {"postgresql": _new_work_item_statement()}
_END_AND_UNQUEUE = {"postgresql": _end_work_item_statement()}


_URL_NAMESPACE = uuid.NAMESPACE_URL.bytes


def service_job_id(case_id: str, task_id: str) -> str:
    """``str(uuid.uuid5(uuid.NAMESPACE_URL, "amtsflow:<case>:<task>:service"))``, computed as
    uuid5 does (SHA-1 of namespace and name, version and variant bits set) without building
    UUID objects (a measurable part of every save)."""
    digest = bytearray(hashlib.sha1(_URL_NAMESPACE + f"amtsflow:{case_id}:{task_id}:service".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50    # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80    # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def waits_snapshot(case_id: str, waits: Waits) -> dict[str, Any]:
    return {
        "user": sorted(w.task_id for w in waits.user_tasks),
        "service": {w.task_id: service_job_id(case_id, w.task_id) for w in waits.services},
        "timer": {w.task_id: w.due.isoformat() for w in waits.timers},
        "message": sorted(f"{w.task_id}|{w.name}" for w in waits.messages),
        "signal": sorted(f"{w.task_id}|{w.name}" for w in waits.signals),
    }


class Projector:
    def __init__(self, conn: Connection, evaluator: Any, now: datetime, case_id: str,
                 business_key: str | None, retries_default: int, suspended: bool = False,
                 lock: tuple[str, datetime] | None = None, zone: str = "Europe/Berlin",
                 is_external: Callable[[Any], bool] | None = None,
                 assignments: dict[str, task_assignment.Assignment] | None = None) -> None:
        """``lock`` (owner, expiry): new service jobs are created locked by that owner (this
        process's worker, which takes them after the commit); they are in ``locked_jobs``.
        ``is_external(call)``: the service call is an external task for outside workers (a job
        of kind ``external`` with its topic, never locked to this process's worker).
        ``assignments``: the new user tasks' attributes, worked out when the step was checked
        (:func:`engine.services.commands.save`); a task without one is resolved here."""
        self.conn = conn
        self.evaluator = evaluator
        self.now = now
        self.case_id = case_id
        self.business_key = business_key
        self.retries_default = retries_default
        self.suspended = suspended
        self.zone = zone            # deadlines for people end with their day in this zone
        self.lock = lock if not suspended else None
        self.locked_jobs: list[SimpleNamespace] = []
        self.deleted_jobs: list[str] = []     # service jobs no longer wanted (task done, case cancelled)
        self.cancelled_work_items: list[str] = []   # work items this save cancelled (not completed)
        self.is_external = is_external or (lambda call: False)
        self.assignments = assignments or {}
        self.external_written = False         # an external task was written (waiting fetches wake after commit)
        self.work_items_written = False       # an open work item was written (waiting clients wake after commit)

    def sync(self, before: dict[str, Any], waits: Waits, completed: dict[str, str]) -> None:
        self._work_items(set(before.get("user", [])), waits, completed)
        self._service_jobs(before.get("service", {}), waits)
        self._timer_jobs(before.get("timer", {}), waits)
        self._subscriptions(set(before.get("message", [])), waits.messages, "message")
        self._subscriptions(set(before.get("signal", [])), waits.signals, "signal")

    def _work_items(self, before: set[str], waits: Waits, completed: dict[str, str]) -> None:
        current = {w.task_id: w for w in waits.user_tasks}
        dialect = self.conn.dialect.name
        for task_id in before - current.keys():
            done_by = completed.get(task_id)
            if not done_by:
                self.cancelled_work_items.append(task_id)
            ended = {"b_id": task_id, "state": "completed" if done_by else "cancelled", "ended_at": self.now,
                     "completed_by": done_by}
            if dialect in _END_AND_UNQUEUE:
                _END_AND_UNQUEUE[dialect].defer(self.conn, ended)
            else:
                _END_WORK_ITEM.defer(self.conn, ended)
                _UNQUEUE.defer(self.conn, {"id": task_id})
                _DROP_DRAFT.defer(self.conn, {"id": task_id})
        for task_id in current.keys() - before:
            w = current[task_id]
            info = w.info
            found = self.assignments.get(task_id)
            a = found if found is not None else task_assignment.resolve(self.evaluator, info, w.data, self.now,
                                                                        self.zone)[0]
            groups, priority = a.candidate_groups, a.priority
            sort_due = a.due if a.due is not None else t.UNDATED
            self.work_items_written = True
            item = dict(
                id=task_id, case_id=self.case_id, process_key=w.process_key, element_id=w.element_id,
                name=a.name or info.name, state="open", candidate_groups=groups, candidate_users=a.candidate_users,
                assignee=a.assignee, due=a.due, follow_up=a.follow_up,
                priority=priority, created_at=self.now,
                business_key=self.business_key, sort_due=sort_due)
            if dialect in _NEW_WORK_ITEM:
                _NEW_WORK_ITEM[dialect].defer(self.conn, {**item, "group_names": list(groups),
                                                          "priority_rank": inbox_orders.rank_of(priority)})
            else:
                _INSERT_WORK_ITEM.defer(self.conn, item)
            for group_name in groups if dialect not in _NEW_WORK_ITEM else ():   # else written with the item
                _INSERT_GROUP.defer(self.conn, {"work_item_id": task_id, "group_name": group_name})
                _INSERT_QUEUED.defer(self.conn, {"work_item_id": task_id, "group_name": group_name,
                                               "process_key": w.process_key, "sort_due": sort_due,
                                               "case_id": self.case_id,
                                               "created_at": self.now, "follow_up": a.follow_up,
                                               "priority_rank": inbox_orders.rank_of(priority)})
            four_eyes = task_access.excluded_elements(info.properties)
            for username in sorted(task_access.performers(self.conn, self.case_id, four_eyes) if four_eyes else ()):
                _INSERT_EXCLUSION.run(self.conn, {"work_item_id": task_id, "username": username})

    def _service_jobs(self, before: dict[str, str], waits: Waits) -> None:
        current = {w.task_id: w for w in waits.services}
        for task_id in before.keys() - current.keys():
            _DELETE_JOB.defer(self.conn, {"id": before[task_id]})
            self.deleted_jobs.append(before[task_id])
        for task_id in current.keys() - before.keys():
            w = current[task_id]
            call = w.info.service
            job_id = service_job_id(self.case_id, task_id)
            params, problem = self._params(call, w)
            priority, priority_problem = self._job_priority(w)
            problem = problem or priority_problem
            # Rn/... of failedJobRetryTimeCycle: n attempts in all, and a job always runs once (R0)
            retries = max(call.retries, 1) if call and call.retries is not None else self.retries_default
            external = call is not None and problem is None and self.is_external(call)
            lock = self.lock if not external else None
            payload = {"operation": call.operation if call else "", "process_key": w.process_key,
                       "retry_interval": call.retry_interval_s if call else None,
                       "result_variable": call.result_variable if call else "",
                       "params": params, "param_error": problem, "business_key": self.business_key}
            if call is not None and call.ignore_errors is not None and problem is None:
                ignore, problem = self._ignore_errors(call, w)
                payload["param_error"] = problem
                if ignore:   # a failed call ends the task (engine.jobs: JobExecutor._service)
                    payload["ignore_errors"] = {"variable": call.error_variable}
            if external:  # what the worker sees: the task's variables when it was reached
                payload["variables"] = jsonable({**w.data, **params})
            job = dict(
                id=job_id, case_id=self.case_id, kind="external" if external else "service", task_id=task_id,
                element_id=w.element_id, due_at=self.now, retries=retries, attempts=0, suspended=self.suspended,
                created_at=self.now,
                priority=priority,
                lock_owner=lock[0] if lock else None, lock_expires_at=lock[1] if lock else None,
                last_error=None, topic=call.topic if external and call else None, payload=payload)
            _INSERT_JOB.defer(self.conn, job)
            if lock:
                self.locked_jobs.append(SimpleNamespace(**job))
            self.external_written = self.external_written or external

    def _ignore_errors(self, call: Any, w: Any) -> tuple[bool, str | None]:
        """Flowable's ignoreException, evaluated when the task is reached: true or "true"."""
        try:
            value = self.evaluator.evaluate(call.ignore_errors, w.data, element_id=w.element_id)
        except ExpressionError as exc:
            return False, f"{w.element_id}: ignoreException: {exc.message.removeprefix(f'{w.element_id}: ')}"
        return value is True or (isinstance(value, str) and value.strip().lower() == "true"), None

    def _job_priority(self, w: Any) -> tuple[int, str | None]:
        """The job's priority: the model's number, or its expression evaluated with the task's
        variables (Camunda: a whole number, else the job is not created: here it fails at once
        with an incident, at the default priority)."""
        info = w.info
        if info.job_priority_expression is None:
            return (info.job_priority if info.job_priority is not None else priorities.SERVICE), None
        try:
            value = self.evaluator.evaluate(info.job_priority_expression, w.data, element_id=w.element_id)
        except ExpressionError as exc:
            return priorities.SERVICE, f"{w.element_id}: jobPriority: {exc.message.removeprefix(f'{w.element_id}: ')}"
        if isinstance(value, bool) or not isinstance(value, int):
            return priorities.SERVICE, (f"{w.element_id}: jobPriority gave {value!r}, not a whole number "
                                        "(Camunda: 'Priority value is not an Integer')")
        return value, None

    def _params(self, call: Any, w: Any) -> tuple[dict[str, Any], str | None]:
        """Input parameters are evaluated when the task is reached (the data of that moment)."""
        params: dict[str, Any] = {}
        if call is None:
            return params, f"{w.element_id}: the service task names no connector operation"
        for name, expression in call.params.items():
            try:
                params[name] = jsonable(self.evaluator.evaluate(expression, w.data, element_id=w.element_id))
            except ExpressionError as exc:
                return {}, f"{w.element_id}: parameter '{name}': {exc.message}"
        return params, None

    def _timer_jobs(self, before: dict[str, str], waits: Waits) -> None:
        current = {w.task_id: w for w in waits.timers}
        for task_id, due in before.items():
            w = current.get(task_id)
            if w is None or w.due.isoformat() != due:
                self.conn.execute(delete(t.jobs).where(t.jobs.c.kind == "timer", t.jobs.c.task_id == task_id,
                                                       t.jobs.c.case_id == self.case_id))
        for task_id, w in current.items():
            if before.get(task_id) != w.due.isoformat():
                self.conn.execute(t.jobs.insert(), dict(
                    id=str(uuid.uuid4()), case_id=self.case_id, kind="timer", task_id=task_id,
                    element_id=w.element_id, due_at=w.due, retries=self.retries_default, attempts=0,
                    suspended=self.suspended, created_at=self.now, payload={"due": w.due.isoformat()}))

    def _subscriptions(self, before: set[str], current_waits: list[Any], kind: str) -> None:
        current = {f"{w.task_id}|{w.name}": w for w in current_waits}
        for key in before - current.keys():
            task_id, name = key.split("|", 1)
            self.conn.execute(delete(t.subscriptions).where(
                t.subscriptions.c.case_id == self.case_id, t.subscriptions.c.task_id == task_id,
                t.subscriptions.c.name == name, t.subscriptions.c.kind == kind))
        for key in current.keys() - before:
            w = current[key]
            correlation = (w.correlation or self.business_key) if kind == "message" else None
            self.conn.execute(t.subscriptions.insert(), dict(
                id=str(uuid.uuid4()), case_id=self.case_id, task_id=w.task_id, kind=kind, name=w.name,
                correlation_key=correlation))
            if kind == "message":
                self._schedule_buffered(w.name, correlation, w.task_id)

    def _schedule_buffered(self, name: str, correlation: str | None, wait_id: str) -> None:
        """A message that arrived before the case waited for it is delivered by a job, to the
        subscription ``wait_id`` (when several subscribe at once, the first one's job takes it)."""
        m = t.messages
        row = self.conn.execute(select(m.c.id).where(
            m.c.name == name, m.c.correlation_key == correlation if correlation is not None else m.c.correlation_key.is_(None),
            m.c.delivered_at.is_(None), (m.c.expires_at.is_(None)) | (m.c.expires_at > self.now))
            .order_by(m.c.received_at).limit(1)).first()
        if row is not None:
            self.conn.execute(t.jobs.insert(), dict(
                id=str(uuid.uuid4()), case_id=self.case_id, kind="message", task_id=None, element_id=None,
                due_at=self.now, retries=self.retries_default, attempts=0, suspended=self.suspended,
                created_at=self.now, payload={"message_row": row.id, "wait": wait_id}))


def sync_case_fields(conn: Connection, case_id: str, names: list[str], old: dict[str, Any], new: dict[str, Any]) -> None:
    for name in names:
        before, after = _field_value(old.get(name)), _field_value(new.get(name))
        if before == after:
            continue
        conn.execute(delete(t.case_fields).where(t.case_fields.c.case_id == case_id, t.case_fields.c.name == name))
        if after is not None:
            conn.execute(t.case_fields.insert(), dict(case_id=case_id, name=name, value=after))


def _field_value(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)[:500]


__all__ = ["Projector", "sync_case_fields", "waits_snapshot"]
