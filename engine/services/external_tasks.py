"""External tasks: Camunda's ``camunda:type="external"`` topics worked by outside workers.

A service task whose topic no connector answers (or that the process folder reserves under
``"external"`` in camunda-mapping.json) parks like every service task and writes a job of
kind ``external`` with its topic (engine.services.projections); the job executor never takes
such jobs. An outside worker fetches and locks them (:func:`fetch_and_lock`, long polling in
:mod:`engine.services.external_wait`) and answers with :func:`complete`, :func:`fail` or
:func:`bpmn_error`; :func:`extend_lock` and :func:`unlock` manage its lock.

The guarantees are those of our own jobs: a lock is a row update (``FOR UPDATE SKIP LOCKED``
on PostgreSQL), so one task goes to one worker at a time; a worker that dies loses its task
when the lock expires and another worker gets it. A completion deletes the job row under the
worker's lock in the same transaction as the case command (revision-checked), so a task
completes at most once: a second completion, or one by a worker whose lock was taken over,
is refused and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update

from engine.bootstrap import Engine
from engine.domain.errors import InvalidState, NotFound
from engine.persistence import tables as t
from engine.persistence.db import unit_of_work
from engine.services import inbound
from engine.services.case_events import append_case_event, open_incident
from engine.domain.values import jsonable
from engine.services.commands import Command, run_case_command

OWNER_PREFIX = "external:"       # lock owners of outside workers, apart from our own job workers
MAX_WORKER_ID = 150
MAX_LOCK_MS = 7 * 24 * 3600 * 1000
MAX_TASKS = 100


class LockViolation(InvalidState):
    """The task is not locked by this worker (any more): Camunda answers 400."""


@dataclass(frozen=True)
class TopicRequest:
    name: str
    lock_ms: int
    variables: list[str] | None = None          # None: all
    local_only: bool = False
    business_key: str | None = None
    process_keys: list[str] | None = None
    definition_ids: list[str] | None = None


@dataclass(frozen=True)
class LockedTask:
    """An external task as a worker sees it (read model of the engine-rest answer)."""

    id: str
    topic: str
    worker_id: str | None
    activity_id: str
    case_id: str
    process_key: str
    definition_id: str
    business_key: str | None
    lock_expires_at: datetime | None
    retries: int | None          # None until a worker reported a failure (as in Camunda)
    error_message: str | None
    priority: int
    created_at: datetime
    suspended: bool
    variables: dict[str, Any] = field(default_factory=dict)


def _owner(worker_id: str) -> str:
    return OWNER_PREFIX + worker_id


def check_worker(worker_id: object) -> str:
    if not isinstance(worker_id, str) or not worker_id.strip() or len(worker_id) > MAX_WORKER_ID:
        raise InvalidState(f"workerId must be a text of 1..{MAX_WORKER_ID} characters")
    inbound.check_name(worker_id, "workerId", where="external task")
    return worker_id


def _free(now: datetime) -> Any:
    j = t.jobs
    return and_(j.c.kind == "external", j.c.suspended.is_(False), j.c.due_at <= now, j.c.retries > 0,
                or_(j.c.lock_expires_at.is_(None), j.c.lock_expires_at < now))


def fetch_and_lock(engine: Engine, worker_id: str, topics: list[TopicRequest], max_tasks: int,
                   use_priority: bool = False) -> list[LockedTask]:
    """Lock up to ``max_tasks`` free external tasks of the topics (in the order given) for
    ``worker_id``, each for its topic's lock duration; one transaction."""
    check_worker(worker_id)
    now = engine.clock.now()
    j, c = t.jobs, t.cases
    locked: list[Any] = []
    with unit_of_work(engine.db) as uow:
        for topic in topics:
            room = max_tasks - len(locked)
            if room <= 0:
                break
            query = select(j.c.id).where(_free(now), j.c.topic == topic.name)
            if topic.business_key is not None or topic.process_keys is not None or topic.definition_ids is not None:
                query = query.join(c, c.c.id == j.c.case_id)
                if topic.business_key is not None:
                    query = query.where(c.c.business_key == topic.business_key)
                if topic.process_keys is not None:
                    query = query.where(c.c.process_key.in_(topic.process_keys))
                if topic.definition_ids is not None:
                    query = query.where(c.c.definition_id.in_(topic.definition_ids))
            query = query.order_by(j.c.priority.desc(), j.c.due_at) if use_priority else query.order_by(j.c.due_at)
            query = query.limit(room)
            if engine.db.dialect.name == "postgresql":
                query = query.with_for_update(of=j, skip_locked=True)
            expires = now + timedelta(milliseconds=topic.lock_ms)
            # the free ids first, then the update: as a subquery of the UPDATE, PostgreSQL may run
            # "LIMIT n ... SKIP LOCKED" again for each row it checks and lock more than n tasks
            ids = list(uow.conn.execute(query).scalars())
            rows = uow.conn.execute(update(j).where(j.c.id.in_(ids))
                                    .values(lock_owner=_owner(worker_id), lock_expires_at=expires)
                                    .returning(*j.c)).all() if ids else []
            locked += [(row, topic) for row in rows]
        uow.commit()
    return _read_models(engine, locked, worker_id)


def _read_models(engine: Engine, locked: list[tuple[Any, TopicRequest]], worker_id: str) -> list[LockedTask]:
    if not locked:
        return []
    c = t.cases
    ids = list({row.case_id for row, _ in locked})
    with engine.db.connect() as conn:
        cases = {r.id: r for r in conn.execute(select(c.c.id, c.c.process_key, c.c.definition_id, c.c.business_key)
                                               .where(c.c.id.in_(ids)))}
    tasks = []
    for row, topic in locked:
        case = cases.get(row.case_id)
        if case is None:
            continue
        payload = row.payload or {}
        variables = dict(payload.get("params") or {}) if topic.local_only else dict(payload.get("variables") or {})
        if topic.variables is not None:
            variables = {k: v for k, v in variables.items() if k in topic.variables}
        tasks.append(task_view(row, case, worker_id, variables))
    return tasks


def task_view(row: Any, case: Any, worker_id: str | None, variables: dict[str, Any]) -> LockedTask:
    return LockedTask(
        id=row.id, topic=row.topic, worker_id=worker_id, activity_id=row.element_id or "", case_id=row.case_id,
        process_key=case.process_key, definition_id=case.definition_id, business_key=case.business_key,
        lock_expires_at=row.lock_expires_at, retries=row.retries if row.attempts else None,
        error_message=row.last_error, priority=row.priority, created_at=row.created_at,
        suspended=bool(row.suspended), variables=variables)


def _job(engine: Engine, task_id: str) -> Any:
    inbound.check_name(task_id, "id", where="external task")
    with engine.db.connect() as conn:
        row = conn.execute(select(t.jobs).where(t.jobs.c.id == task_id, t.jobs.c.kind == "external")).first()
    if row is None:
        raise NotFound(f"External task with id {task_id} does not exist")
    return row


def _check_lock(job: Any, worker_id: str) -> None:
    if job.lock_owner != _owner(worker_id):
        holder = (job.lock_owner or "").removeprefix(OWNER_PREFIX) or None
        raise LockViolation(f"External task {job.id} cannot be handled by worker '{worker_id}'. "
                            f"It is locked by worker '{holder}'.")


def _take(cmd: Command, job: Any, worker_id: str) -> None:
    """Delete the job under this worker's lock, in the command's transaction: a second
    completion (or one whose lock another worker took over) finds no row and changes nothing."""
    done = cmd.uow.conn.execute(delete(t.jobs).where(t.jobs.c.id == job.id, t.jobs.c.lock_owner == _owner(worker_id)))
    if done.rowcount != 1:
        raise LockViolation(f"External task {job.id} is no longer locked by worker '{worker_id}'")


def complete(engine: Engine, task_id: str, worker_id: str, variables: dict[str, Any],
             local_variables: dict[str, Any], *, actor: str) -> None:
    check_worker(worker_id)
    inbound.check_data(variables, where=f"external task {task_id}")
    inbound.check_data(local_variables, where=f"external task {task_id}")
    job = _job(engine, task_id)
    _check_lock(job, worker_id)

    def apply(cmd: Command) -> None:
        _take(cmd, job, worker_id)
        cmd.engine.runner.complete_external_task(cmd.wf, job.task_id, jsonable(variables), jsonable(local_variables))
        cmd.audit_details.update({"element": job.element_id, "topic": job.topic, "worker": worker_id})

    run_case_command(engine, job.case_id, actor, "external_task_completed", apply)


def bpmn_error(engine: Engine, task_id: str, worker_id: str, code: str, message: str,
               variables: dict[str, Any], *, actor: str) -> None:
    """A business error: the error boundary event that catches ``code`` takes over; nothing
    catching it is an incident (the case fails, as an uncaught error end event does)."""
    check_worker(worker_id)
    inbound.check_data(variables, where=f"external task {task_id}")
    job = _job(engine, task_id)
    _check_lock(job, worker_id)
    caught = True

    def apply(cmd: Command) -> None:
        nonlocal caught
        caught = cmd.engine.runner.throw_error(cmd.wf, job.task_id, code, message, jsonable(variables))
        if not caught:
            raise _Uncaught()
        _take(cmd, job, worker_id)
        cmd.audit_details.update({"element": job.element_id, "topic": job.topic, "worker": worker_id,
                                  "bpmn_error": code})

    try:
        run_case_command(engine, job.case_id, actor, "external_task_error", apply)
    except _Uncaught:
        fail(engine, task_id, worker_id, f"{job.element_id}: business error {code} ({message}) is not caught "
             "by the model", None, 0, 0, actor=actor)


class _Uncaught(Exception):
    pass


def fail(engine: Engine, task_id: str, worker_id: str, message: str, details: str | None, retries: int,
         retry_timeout_ms: int, *, actor: str) -> None:
    """A technical failure: ``retries`` left (0: an incident an operator retries or resolves),
    fetchable again after ``retry_timeout_ms``."""
    check_worker(worker_id)
    if retries < 0 or retry_timeout_ms < 0:
        raise InvalidState("retries and retryTimeout must not be negative")
    job = _job(engine, task_id)
    _check_lock(job, worker_id)
    now = engine.clock.now()
    text = (message or "")[:4000]
    with unit_of_work(engine.db) as uow:
        done = uow.conn.execute(update(t.jobs).where(t.jobs.c.id == job.id, t.jobs.c.lock_owner == _owner(worker_id))
                                .values(attempts=job.attempts + 1, retries=retries, last_error=text,
                                        due_at=now + timedelta(milliseconds=retry_timeout_ms),
                                        lock_owner=None, lock_expires_at=None,
                                        payload={**(job.payload or {}), "error_details": details}))
        if done.rowcount != 1:
            raise LockViolation(f"External task {job.id} is no longer locked by worker '{worker_id}'")
        if retries == 0:
            open_incident(uow.conn, case_id=job.case_id, kind="job", now=now,
                          message=text or f"external task {job.topic} failed", details=details or "",
                          element_id=job.element_id, job_id=job.id, task_id=job.task_id)
            append_case_event(uow.conn, job.case_id, now, actor, "incident_raised",
                              {"element": job.element_id, "error": text, "worker": worker_id}, status="failed")
        uow.commit()
    if retry_timeout_ms and retries:
        engine.external_bell.ring()  # waiting fetches re-check their next due time


def extend_lock(engine: Engine, task_id: str, worker_id: str, new_duration_ms: int) -> None:
    check_worker(worker_id)
    if not 0 < new_duration_ms <= MAX_LOCK_MS:
        raise InvalidState(f"newDuration must be 1..{MAX_LOCK_MS} milliseconds")
    job = _job(engine, task_id)
    _check_lock(job, worker_id)
    now = engine.clock.now()
    with unit_of_work(engine.db) as uow:
        done = uow.conn.execute(update(t.jobs).where(t.jobs.c.id == job.id, t.jobs.c.lock_owner == _owner(worker_id),
                                                     t.jobs.c.lock_expires_at >= now)
                                .values(lock_expires_at=now + timedelta(milliseconds=new_duration_ms)))
        if done.rowcount != 1:
            raise LockViolation(f"Cannot extend a lock that expired: external task {job.id}")
        uow.commit()


def unlock(engine: Engine, task_id: str) -> None:
    job = _job(engine, task_id)
    with unit_of_work(engine.db) as uow:
        uow.conn.execute(update(t.jobs).where(t.jobs.c.id == job.id).values(lock_owner=None, lock_expires_at=None))
        uow.commit()
    engine.external_bell.ring()


def next_free_in(engine: Engine, topics: list[str]) -> float | None:
    """Seconds until a task of these topics becomes free (falls due or its lock expires)."""
    j = t.jobs
    now = engine.clock.now()
    query = select(j.c.due_at, j.c.lock_expires_at).where(
        j.c.kind == "external", j.c.topic.in_(topics), j.c.suspended.is_(False), j.c.retries > 0,
        or_(j.c.due_at > now, j.c.lock_expires_at >= now)).order_by(j.c.due_at).limit(50)
    with engine.db.connect() as conn:
        rows = conn.execute(query).all()
    moments = [max(r.due_at, r.lock_expires_at) if r.lock_expires_at is not None else r.due_at for r in rows]
    if not moments:
        return None
    first: datetime = min(m if m.tzinfo is not None else m.replace(tzinfo=now.tzinfo) for m in moments)
    return max(0.0, float((first - now).total_seconds()))


__all__ = ["LockViolation", "LockedTask", "TopicRequest", "bpmn_error", "check_worker", "complete",
           "extend_lock", "fail", "fetch_and_lock", "next_free_in", "task_view", "unlock"]
