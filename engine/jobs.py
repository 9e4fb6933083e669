"""Job executor: timers, deferred service calls, retries, incidents, buffered messages.

State changes happen at most once (each job's effect is a case command under the case's
revision check); connector calls happen at least once, outside any transaction, with an
idempotency key that is the same for every call of one task instance (retries included).
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, literal_column, or_, select, true, update

from engine import logcontext
from engine.bell import Doorbell
from engine.bootstrap import Engine
from engine.domain.errors import AmtsflowError, CaseSuspended, InvalidState, NotFound
from engine.domain import priorities
from engine.handover import RECHECK_AFTER, Handover, still_runnable, unlock
from engine.outage import Outage, reason, unreachable
from engine.persistence import tables as t, tenant_tables
from engine.persistence.db import reading, unit_of_work
from engine.tenancy import EVERY_TENANT, TenantSelection, all_tenants, tenant_scope
from engine.tenant_connectors import TenantConnectorMissing
from engine.persistence.fast import DeferredRows, FastStatement, defer_sql
from engine.runtime import unmapped
from engine.ports import ConnectorError, ServiceRequest, ServiceResult
from engine.services.case_events import append_case_event, open_incident
from engine.services.commands import CASE_COLUMNS, Command, run_case_command
from engine.services.messages import deliver_buffered, deliver_thrown
from engine.services.heartbeats import HEARTBEAT_SECONDS, JobStats, beat, gone

log = logging.getLogger("amtsflow.jobs")
MAX_BACKOFF = 3600.0
CUT_SHORT_LIMIT = 3   # runs in a row a lost database connection may cut short before one counts as a failure


class JobFailed(Exception):
    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass
class Prepared:
    request: ServiceRequest
    connector: Any
    operation: str
    result_variable: str


@functools.cache
def _acquire_statement(skip_locked: bool, tenants: TenantSelection = EVERY_TENANT) -> FastStatement:
    """UPDATE the first ``limit`` free due jobs, read once: the candidates are a CTE (MATERIALIZED
    on PostgreSQL, where the SELECT ... LIMIT n FOR UPDATE SKIP LOCKED runs exactly once). As a
    subquery of the UPDATE (``WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)``), PostgreSQL
    may run the subquery again while it checks rows and lock more than ``limit`` jobs (fetchAndLock
    of engine/services/external_tasks.py saw it). One statement still, so that it goes to the
    server together with its COMMIT. ``tenants``: the jobs of those tenants only (a worker
    started with --only-tenant or --skip-tenant).

    On PostgreSQL (``skip_locked``), where one set of workers serves many municipalities, the
    tenants take turns (:func:`_fair_candidates`): one city's backlog does not hold back another
    city's jobs that fell due later."""
    j = t.jobs
    now = bindparam("now", type_=j.c.due_at.type)
    if skip_locked:
        turns = _fair_candidates(now, tenants).cte("turns").prefix_with("MATERIALIZED", dialect="postgresql")
        candidates = select(turns.c.id).order_by(turns.c.priority.desc(), turns.c.turn, turns.c.due_at) \
            .limit(bindparam("limit"))
    else:
        due = _due(now)
        if (served := tenants.condition(j.c.tenant_id)) is not None:
            due = and_(due, served)
        candidates = select(j.c.id).where(due).order_by(j.c.priority.desc(), j.c.due_at).limit(bindparam("limit"))
    chosen = candidates.cte("acquirable")
    if skip_locked:
        chosen = chosen.prefix_with("MATERIALIZED", dialect="postgresql")
    return FastStatement(update(j).where(j.c.id.in_(select(chosen.c.id)))
                         .values(lock_owner=bindparam("owner"), lock_expires_at=bindparam("expires"))
                         .returning(*j.c))


# The conditions of the predicate of ix_jobs_tenant_priority_due and ix_jobs_takeable_due
# (migration 0032, engine/persistence/tables.py TAKEABLE_JOBS), written as literals so
# that PostgreSQL proves a statement may use the index also in a generic plan of a prepared statement
# (a bound 0 in "retries > $1" proves nothing): failed jobs (incidents, retries 0), suspended ones and
# external tasks are not in the index, so the acquisition never walks past them.
_TAKEABLE = (t.jobs.c.topic.is_(None), t.jobs.c.retries > literal_column("0"),
             t.jobs.c.suspended == literal_column("false"))


# Always true (jobs.kind is NOT NULL), and part of ix_jobs_takeable_due's predicate: only a statement
# that says it may use that index. The acquisition's per-tenant ranges must not: when a tenant's
# jobs look rare to the planner, it would walk every takeable job in due order filtering by
# tenant (a whole backlog) instead of the tenant's own range of ix_jobs_tenant_priority_due.
NEXT_DUE_MARK = t.jobs.c.kind.is_not(None)
# Also in that predicate: a deactivated tenant's waiting jobs are out of the index (marked when it was
# deactivated), so the next-due read does not walk past a paused city's due backlog on every acquisition.
NOT_PAUSED = t.jobs.c.paused == literal_column("false")


# The kinds of job that run although their municipality is deactivated (engine/persistence/tables.py),
# as literals: the per-tenant range of ix_jobs_tenant_erasure_due is proven usable in a generic plan too
ERASURE = t.jobs.c.kind.in_([literal_column(f"'{kind}'") for kind in t.ERASURE_KINDS])


def _free_to_take(now: Any, *, of_active_tenants: bool = True) -> Any:
    """Not suspended, retries left, no external-task topic, not locked (or its lock expired),
    and its municipality active: a deactivated tenant's timers and service calls wait until it
    is active again, then run (late, as a suspended case's timers do). Its erasures of personal
    data whose time ran out (a case's retention period, a buffered message's, an application
    draft's: ``tables.ERASURE_KINDS``) do not wait: a legal duty (DSGVO Art. 5(1)(e)) that
    pausing the municipality here does not suspend, and they call no back-office system."""
    j = t.jobs
    # the predicate of ix_jobs_takeable_due: the next-due read walks that index in due order and
    # stops at the first free job (with "suspended IS false" and a bound "retries > $1" PostgreSQL
    # read every job: 30 ms at a backlog of 100,000)
    free = and_(*_TAKEABLE, or_(j.c.lock_expires_at.is_(None), j.c.lock_expires_at < now))
    if not of_active_tenants:
        return free
    tn = tenant_tables.tenants
    return and_(free, or_(j.c.tenant_id.in_(select(tn.c.id).where(tn.c.active.is_(True)).scalar_subquery()),
                          ERASURE))


def _due(now: Any, *, of_active_tenants: bool = True) -> Any:
    """A job a worker may take now: due, free and its tenant active (:func:`_free_to_take`)."""
    return and_(t.jobs.c.due_at <= now, _free_to_take(now, of_active_tenants=of_active_tenants))


def _fair_candidates(now: Any, tenants: TenantSelection) -> Any:
    """PostgreSQL: the due jobs to choose from, tenants taking turns, read in O(batch) whatever
    the backlog. For each active tenant, the priorities its jobs have are found highest first
    by a loose index scan (one probe of ``ix_jobs_tenant_priority_due`` per priority, a
    recursive CTE); for each tenant and priority, the first ``limit`` free due jobs by due time
    are one index range, locked skipping those other workers hold (so a worker fills its batch
    while others acquire, as with one SELECT ... FOR UPDATE SKIP LOCKED), and numbered by due
    time. The acquisition takes the first ``limit`` by priority, then that number, then the due
    time: the higher priority goes first across all tenants (a timer before any service call),
    and within a priority every tenant's oldest job comes before any tenant's second. The locks
    of the rest end with the acquisition's commit, in the same round trip. (Reading every due
    job of a backlog and sorting them cost 33 ms at 20,000 due jobs, 160 ms at 100,000.)
    A deactivated tenant's erasures (:func:`_free_to_take`) join them, the first ``limit`` due
    ones of each such tenant read as one range of ``ix_jobs_tenant_erasure_due``, numbered
    likewise: its waiting timers and service calls are not walked past."""
    j, tn = t.jobs, tenant_tables.tenants
    top = select(func.max(j.c.priority)).where(j.c.tenant_id == tn.c.id, *_TAKEABLE).scalar_subquery()
    anchor = select(tn.c.id.label("tenant_id"), top.label("priority")).where(tn.c.active.is_(True))
    if (served := tenants.condition(tn.c.id)) is not None:
        anchor = anchor.where(served)
    levels = anchor.cte("levels", recursive=True)
    below = select(func.max(j.c.priority)).where(j.c.tenant_id == levels.c.tenant_id, *_TAKEABLE,
                                                 j.c.priority < levels.c.priority).scalar_subquery()
    levels = levels.union_all(select(levels.c.tenant_id, below).where(levels.c.priority.is_not(None)))
    head = (select(j.c.id, j.c.due_at)
            .where(j.c.tenant_id == levels.c.tenant_id, j.c.priority == levels.c.priority,
                   _due(now, of_active_tenants=False))
            .order_by(j.c.due_at).limit(bindparam("limit")).with_for_update(skip_locked=True).lateral("head"))
    turn = func.row_number().over(partition_by=[levels.c.tenant_id, levels.c.priority], order_by=head.c.due_at)
    active = select(head.c.id, levels.c.priority.label("priority"), head.c.due_at, turn.label("turn")) \
        .select_from(levels.join(head, true())).where(levels.c.priority.is_not(None))
    paused = tn.alias("paused")
    erasures = (select(j.c.id, j.c.priority, j.c.due_at)
                .where(j.c.tenant_id == paused.c.id, ERASURE, _due(now, of_active_tenants=False))
                .order_by(j.c.due_at).limit(bindparam("limit")).with_for_update(skip_locked=True).lateral("erasures"))
    erasure_turn = func.row_number().over(partition_by=paused.c.id, order_by=erasures.c.due_at)
    of_paused = select(erasures.c.id, erasures.c.priority, erasures.c.due_at, erasure_turn) \
        .select_from(paused.join(erasures, true())).where(paused.c.active.is_(False))
    if (served := tenants.condition(paused.c.id)) is not None:
        of_paused = of_paused.where(served)
    return active.union_all(of_paused)


_ACQUIRE = {pg: _acquire_statement(pg, EVERY_TENANT) for pg in (True, False)}   # every tenant's: by PostgreSQL or not

# Jobs whose effect is a case command (run_case_command) reading the case row.
CASE_KINDS = ("service", "timer")
_CASE_PREFIX = "c_"   # the case's columns in the rows of _ACQUIRE_WITH_CASES


@functools.cache
def _acquire_with_cases(tenants: TenantSelection = EVERY_TENANT) -> FastStatement:
    """PostgreSQL (psycopg): the acquisition of :func:`_acquire_statement`, each job row joined
    with its case's row when the job runs a case command (:data:`CASE_KINDS`; the case's columns
    prefixed ``c_``). The command uses that row instead of reading the case in a round trip of
    its own; the save's revision check proves it was still current (else the command re-runs on
    the stored row, as on a stale cached case)."""
    acquired = _acquire_statement(True, tenants).statement.cte("acquired")  # type: ignore[attr-defined]
    j, c = acquired.c, t.cases.c
    return FastStatement(
        select(*j, *[column.label(_CASE_PREFIX + column.name) for column in CASE_COLUMNS])
        .select_from(acquired.outerjoin(t.cases, and_(c.id == j.case_id, c.tenant_id == j.tenant_id,
                                                      or_(*(j.kind == kind for kind in CASE_KINDS))))))


_ACQUIRE_WITH_CASES = _acquire_with_cases(EVERY_TENANT)
_JOB_KEYS = tuple(column.key for column in t.jobs.c)


def _job_and_case(row: Any) -> Any:
    """A row of _ACQUIRE_WITH_CASES as the job (its attribute ``case_row``: the case row, or None)."""
    values = vars(row)
    job = SimpleNamespace(**{key: values[key] for key in _JOB_KEYS})
    job.case_row = SimpleNamespace(**{column.key: values[_CASE_PREFIX + column.name] for column in CASE_COLUMNS}) \
        if values[_CASE_PREFIX + "id"] is not None else None
    return job

# PostgreSQL: the acquisition's COMMIT does not wait for its WAL to reach the disk. It only
# records locks; should the server crash before writing them (within a few hundred
# milliseconds), the jobs are free again after recovery and are taken once more, as when a lock
# expires: connector calls happen at least once anyway, state changes stay once (the case's
# revision check). Any later synchronous commit writes this one's WAL too. SET LOCAL ends with
# the transaction, and it goes to the server in the acquisition's own round trip.
NO_FLUSH_WAIT = "SET LOCAL synchronous_commit TO OFF"


@functools.cache
def _next_due_statement(tenants: TenantSelection = EVERY_TENANT) -> FastStatement:
    """When the earliest job that is free to take falls due (the idle worker's wake-up time)."""
    free = _free_to_take(bindparam("now", type_=t.jobs.c.due_at.type))
    if (served := tenants.condition(t.jobs.c.tenant_id)) is not None:
        free = and_(free, served)
    # the first by due time (an ordered walk of ix_jobs_takeable_due that stops at the first free job), not
    # min(): with the active-tenant check PostgreSQL cannot use its min/max shortcut and read every job
    first = select(t.jobs.c.due_at).where(free, NEXT_DUE_MARK, NOT_PAUSED).order_by(t.jobs.c.due_at).limit(1) \
        .scalar_subquery()
    return FastStatement(select(first.label("due")))


_NEXT_DUE = _next_due_statement(EVERY_TENANT)


def _without_case_row(job: Any) -> Any:
    if getattr(job, "case_row", None) is not None:
        job.case_row = None
    return job


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _run_order(job: Any) -> tuple[int, Any]:
    """Higher priority first, then the earlier due (engine/domain/priorities.py)."""
    priority = getattr(job, "priority", None)
    return (-(priority if priority is not None else priorities.for_kind(job.kind)), job.due_at)


class JobExecutor:
    def __init__(self, engine: Engine, owner: str | None = None, *, poll_seconds: float = 1.0,
                 tenants: TenantSelection = EVERY_TENANT) -> None:
        """``tenants``: whose jobs this executor runs (default: every tenant's)."""
        self.engine = engine
        self.owner = owner or default_owner()
        self.poll_seconds = poll_seconds
        self.tenants = tenants
        self.handover = Handover(engine, self.owner, tenants)
        self.recheck_after = RECHECK_AFTER
        self._last_poll = float("-inf")
        self._next_due: DeferredRows | None = None   # read with the last acquisition, not yet used
        self.stats = JobStats()   # published by the worker's heartbeat (/metrics)
        self._cut_short: dict[str, int] = {}   # job id -> runs in a row a lost connection cut short
        self.paused_recheck_seconds = 2.0   # how old the known set of deactivated tenants may be
        self._paused: frozenset[str] = frozenset()
        self._paused_read = float("-inf")

    @property
    def wakeup(self) -> Doorbell:
        """Set when a job is handed over (see take_local_jobs); a threading.Event the worker
        also polls for with its LISTEN connection."""
        return self.handover.wakeup

    # -- jobs handed over by this process ---------------------------------------------------
    def take_local_jobs(self) -> "JobExecutor":
        """Become this process's local worker: service jobs that commands of this process
        create are written locked to this executor and handed to it after their commit
        (engine/handover.py): no polling delay."""
        self.engine.local_worker = self.handover
        return self

    def release_local_jobs(self) -> None:
        """Stop taking jobs and unlock those handed over but not run (others may take them now)."""
        if self.engine.local_worker is self.handover:
            self.engine.local_worker = None
        self.handover.release()

    # -- acquisition ----------------------------------------------------------------------
    def acquire(self, limit: int = 10) -> list[Any]:
        """Lock up to ``limit`` due jobs in one statement (UPDATE ... RETURNING); on
        PostgreSQL the inner SELECT skips rows other workers hold (SKIP LOCKED), and the
        statement goes to the server together with its COMMIT (one round trip). In the same
        round trip: when the earliest job left free to take falls due, which the next
        :meth:`next_due_in` answers from (an idle worker asks it after every acquisition)."""
        now = self.engine.clock.now()
        dialect = self.engine.db.dialect
        with_cases = dialect.driver == "psycopg"   # the case rows too, in the same round trip
        statement = _acquire_with_cases(self.tenants) if with_cases \
            else _acquire_statement(dialect.name == "postgresql", self.tenants)
        params = {"now": now, "limit": limit, "owner": self.owner,
                  "expires": now + timedelta(seconds=self.engine.settings.job_lock_seconds)}
        self._next_due = None
        with all_tenants("job acquisition: a worker serves every tenant"), unit_of_work(self.engine.db) as uow:
            if uow.conn.dialect.name == "postgresql":
                defer_sql(uow.conn, NO_FLUSH_WAIT)
            locked = statement.all_deferred(uow.conn, params)
            next_due = _next_due_statement(self.tenants).all_deferred(uow.conn, {"now": now})
            uow.commit()
        self._next_due = next_due
        jobs = [_job_and_case(row) for row in locked.rows or []] if with_cases else locked.rows or []
        return sorted(jobs, key=_run_order)

    def next_due_in(self) -> float | None:
        """Seconds until the earliest job that is free to take falls due (0 if one is due now);
        None when there is none. Right after an acquisition (:meth:`claim` polled) from what it
        read with it: a job written since then was notified or handed over, which wakes the
        worker anyway; otherwise from the database."""
        now = self.engine.clock.now()
        known, self._next_due = self._next_due, None
        if known is not None and known.rows is not None:
            due: datetime | None = known.rows[0].due if known.rows else None
        else:
            with all_tenants("the worker's next due job"), reading(self.engine.db) as conn:
                due = _next_due_statement(self.tenants).all(conn, {"now": now})[0].due
        if due is None:
            return None
        if due.tzinfo is None:
            due = due.replace(tzinfo=now.tzinfo)
        return max(0.0, (due - now).total_seconds())

    def run_due(self, limit: int = 10) -> int:
        """Run up to ``limit`` due jobs; returns how many ran (see :meth:`claim`)."""
        return sum(self.run_claimed(job, since) for job, since in self.claim(limit))

    def claim(self, limit: int = 10) -> list[tuple[Any, float]]:
        """Up to ``limit`` jobs locked to this executor, in the order to run them, each with the
        monotonic time it was locked. Jobs handed over by this process come first; the database
        is polled whenever none were handed over, and at least every ``poll_seconds`` with a
        slot kept free for it, so jobs from elsewhere never starve."""
        self._next_due = None   # an earlier acquisition's answer is out of date
        poll_due = time.monotonic() - self._last_poll >= self.poll_seconds
        room = limit - 1 if poll_due else limit
        batch = self.handover.take(room) if room > 0 else []
        try:
            batch = self._not_paused(batch)
        except BaseException:
            self.handover.put_back(batch)  # still locked to us: checked and run next round
            raise
        if poll_due or not batch:
            self._last_poll = time.monotonic()
            try:
                acquired = self.acquire(limit - len(batch))
            except BaseException:
                self.handover.put_back(batch)  # still locked to us: run them next round
                raise
            locked_at = time.monotonic()
            batch += [(job, locked_at) for job in acquired]
        batch.sort(key=lambda entry: _run_order(entry[0]))  # stable: handed-over jobs keep their order
        return batch

    def _not_paused(self, handed: list[tuple[Any, float]]) -> list[tuple[Any, float]]:
        """The handed-over jobs whose municipality is active; those of a deactivated one are
        unlocked and wait with its other jobs (the acquisition leaves them; see _free_to_take).
        A command that was running when its tenant was deactivated (this worker's job of a
        chain of service calls) thus ends the chain at its next job. Which tenants are
        deactivated is read at most every ``paused_recheck_seconds``. (Erasures, which run while
        their tenant is deactivated, are never handed over: they fall due long after the command
        that wrote them.)"""
        if not handed:
            return handed
        now = time.monotonic()
        if now - self._paused_read >= self.paused_recheck_seconds:
            with all_tenants("the deactivated tenants, whose jobs wait"), reading(self.engine.db) as conn:
                self._paused = frozenset(conn.execute(select(tenant_tables.tenants.c.id).where(
                    tenant_tables.tenants.c.active.is_(False))).scalars())
            self._paused_read = now
        if not self._paused or not any(job.tenant_id in self._paused for job, _since in handed):
            return handed
        waiting = [job.id for job, _since in handed if job.tenant_id in self._paused]
        with all_tenants("unlocking handed-over jobs of a deactivated tenant"):
            unlock(self.engine, self.owner, waiting)
        return [(job, since) for job, since in handed if job.tenant_id not in self._paused]

    def run_claimed(self, job: Any, since: float) -> bool:
        """Run a job :meth:`claim` returned; a job that waited longer than ``recheck_after``
        seconds since it was locked is re-read first (False: it may no longer run). The job runs
        in its tenant's scope: whatever it reads and writes is that tenant's."""
        with tenant_scope(job.tenant_id):
            if time.monotonic() - since > self.recheck_after:   # (the case row read with it: left out)
                job = still_runnable(self.engine, self.owner, _without_case_row(job))
                if job is None:
                    return False
            self.execute(job)
        return True

    def run_until_idle(self, max_rounds: int = 1000) -> int:
        total = 0
        for _ in range(max_rounds):
            ran = self.run_due()
            total += ran
            if ran == 0:
                break
        return total

    # -- execution ------------------------------------------------------------------------
    def execute(self, job: Any) -> None:
        logcontext.bind_case(job.case_id)
        latency = (self.engine.clock.now() - job.due_at).total_seconds()
        self.stats.record(latency, failed=not self._execute(job))

    def _execute(self, job: Any) -> bool:
        """Run one job; False when it failed (a retry is scheduled or an incident opened)."""
        try:
            if job.kind == "service":
                self._service(job)
            elif job.kind == "timer":
                self._timer(job)
            elif job.kind == "message":
                self._message(job)
            elif job.kind == "throw":
                self._throw(job)
            elif job.kind == "listener":
                self._listener_call(job)
            elif job.kind == "notification":
                self._notification(job)
            elif job.kind == "message_ttl":
                from engine.services.messages import expire

                if expire(self.engine, job):
                    log.info("buffered message %s expired undelivered: removed", job.payload.get("message"))
            elif job.kind == "draft_expiry":
                from engine.services.application_drafts import expire as expire_draft

                if expire_draft(self.engine, job):
                    log.info("an application draft expired: removed")
            elif job.kind == "retention":
                from engine.services.retention import erase

                erase(self.engine, job)
            elif job.kind == "migration":
                from engine.services.case_migration import run_batch_slice

                run_batch_slice(self.engine, job, self.owner)
            elif job.kind == "start_timer":
                from engine.services.schedules import fire

                fire(self.engine, job)
            else:
                raise JobFailed(f"unknown job kind '{job.kind}'", retryable=False)
        except JobFailed as exc:
            self._fail(job, str(exc), traceback.format_exc(), retryable=exc.retryable)
            return False
        except CaseSuspended as exc:  # keep the job: it runs again after the resume
            log.info("job %s put aside: %s", job.id, exc)
            unlock(self.engine, self.owner, [job.id])
        except (NotFound, InvalidState) as exc:
            log.info("job %s dropped: %s", job.id, exc)
            self._drop(job)
        except Exception as exc:  # noqa: BLE001 - a job must never take the worker down
            if unreachable(exc) and self._put_back(job, exc):
                return False
            self._fail(job, f"{exc.__class__.__name__}: {exc}", traceback.format_exc(), retryable=True)
            return False
        self._cut_short.pop(job.id, None)
        return True

    def _put_back(self, job: Any, exc: Exception) -> bool:
        """The database connection was lost while the job ran (its outcome not written): free
        the job to run again at once, without using one of its retries - a server restart or
        failover is not the job's fault. False after :data:`CUT_SHORT_LIMIT` such runs in a row
        (then the loss is counted as a failure, so that a job that breaks its connection every
        time ends in an incident instead of running forever). Raises ``exc`` again when the
        database still does not answer: the worker's outage handling frees the job later."""
        times = self._cut_short.get(job.id, 0) + 1
        if times > CUT_SHORT_LIMIT:
            self._cut_short.pop(job.id, None)
            return False
        try:
            unlock(self.engine, self.owner, [job.id])
        except Exception:  # noqa: BLE001 - still away: the original error tells the caller
            raise exc from None
        if len(self._cut_short) > 10_000:   # jobs another worker finished meanwhile: forget them all
            self._cut_short.clear()
        self._cut_short[job.id] = times
        log.warning("job %s (%s %s): the database connection was lost while it ran (%s); it runs again, "
                    "no retry used", job.id, job.kind, job.element_id, reason(exc))
        return True

    def _timer(self, job: Any) -> None:
        def fire(cmd: Command) -> None:
            cmd.engine.runner.fire_timers(cmd.wf)
            cmd.audit_details.update({"element": job.element_id, "due": job.payload.get("due")})

        run_case_command(self.engine, job.case_id, f"timer:{self.owner}", "timer_fired", fire,
                         read_before=getattr(job, "case_row", None))

    def _message(self, job: Any) -> None:
        deliver_buffered(self.engine, job.case_id, job.payload["message_row"], job.payload.get("wait"))
        self._drop(job)

    def _throw(self, job: Any) -> None:
        """A message or signal a case threw: delivered like one from outside (idempotent by job id)."""

        from engine.domain.errors import AmbiguousCorrelation

        try:
            outcome = deliver_thrown(self.engine, job)
        except AmbiguousCorrelation as exc:  # a model or data error: an operator must look, no retry helps
            raise JobFailed(f"{job.element_id}: {exc.message}", retryable=False) from exc
        except InvalidState as exc:  # e.g. the receiver moved on meanwhile: decide again later, never drop
            raise JobFailed(f"{job.element_id}: thrown {job.payload.get('kind')} '{job.payload.get('name')}': "
                            f"{exc.message}") from exc
        log.info("job %s: thrown %s '%s' %s", job.id, job.payload.get("kind"), job.payload.get("name"), outcome)
        self._drop(job)

    def _listener_call(self, job: Any) -> None:
        """A listener mapped to a connector operation: call it (the same idempotency key for every
        retry of this job); the answer is not written into the case, which did not wait for it."""
        error = self._call_unanswered(job, f"{job.case_id}:listener:{job.id}")
        if error is not None:
            raise JobFailed(f"{job.element_id}: the {job.payload.get('event')} listener's operation answered with "
                            f"business error {error}, which a listener cannot throw here", retryable=False)
        self._drop(job)

    def _call_unanswered(self, job: Any, idempotency_key: str) -> str | None:
        """Call the job's connector operation for its effect only (nothing is written into a case);
        a technical failure is retried. Returns the business error it answered with, or None."""
        connector, operation, request = self._request(job, idempotency_key)
        try:
            result = connector.call(operation, request)
        except ConnectorError as exc:
            raise JobFailed(f"{request.operation}: {exc}") from exc
        if isinstance(result, ServiceResult) and result.bpmn_error:
            return f"{result.bpmn_error}" + (f" ({result.error_message})" if result.error_message else "")
        return None

    def _service(self, job: Any) -> None:
        prepared = self._prepare(job)
        if prepared is None:
            self._drop(job)
            return
        ignored = job.payload.get("ignore_errors")
        try:
            result = prepared.connector.call(prepared.operation, prepared.request)
        except ConnectorError as exc:
            if ignored is not None:
                self._complete_ignoring(job, prepared, str(exc), ignored.get("variable"))
                return
            raise JobFailed(f"{prepared.request.operation}: {exc}") from exc
        if not isinstance(result, ServiceResult):
            raise JobFailed(f"{prepared.request.operation}: connector returned {type(result).__name__}, "
                            "not a ServiceResult", retryable=False)
        if result.bpmn_error and ignored is not None:
            self._complete_ignoring(job, prepared, result.error_message or result.bpmn_error, ignored.get("variable"))
            return
        self._complete(job, prepared, result)

    def _notification(self, job: Any) -> None:
        """A mail to a person (engine/services/notifications.py): sent, then the job is done; the
        case does not wait for it. Every retry sends the same idempotency key (the Message-ID)."""
        error = self._call_unanswered(job, f"notification:{job.id}")
        if error is not None:
            raise JobFailed(f"{job.payload.get('operation')}: refused, {error}", retryable=False)
        self._drop(job)

    def _complete_ignoring(self, job: Any, prepared: Prepared, message: str, variable: str | None) -> None:
        """Flowable's ignoreException: the call failed and the task ends anyway, without retries;
        the failure's message goes to ``variable`` when the model names one."""
        log.info("job %s (%s): %s failed and the model ignores it: %s", job.id, job.element_id,
                 prepared.request.operation, message)
        ignoring = Prepared(prepared.request, prepared.connector, prepared.operation, "")
        self._complete(job, ignoring, ServiceResult({variable: message} if variable else {}))

    def _prepare(self, job: Any) -> Prepared | None:
        """Everything the call needs is in the job row: no workflow is loaded to call out."""
        payload = job.payload
        if payload.get("param_error"):
            raise JobFailed(payload["param_error"], retryable=False)
        # The key names the task instance (SpiffWorkflow task ids are unique per instance, so
        # a loop's next pass gets a new key); every retry of it sends the same key, so a back
        # office that acted before its answer was lost does not act twice.
        connector, operation, request = self._request(job, f"{job.case_id}:{job.task_id}")
        return Prepared(request, connector, operation, payload.get("result_variable", ""))

    def _request(self, job: Any, idempotency_key: str) -> tuple[Any, str, ServiceRequest]:
        """The installed connector, its operation and the request a job's payload names."""
        payload = job.payload
        connector_name, _, operation = payload.get("operation", "").partition(".")
        if connector_name == unmapped.CONNECTOR:   # Java code deployed without a mapping: no retry helps
            raise JobFailed(unmapped.message(payload["operation"], job.element_id), retryable=False)
        try:
            connector = self.engine.connector(connector_name, job.tenant_id)
        except TenantConnectorMissing as exc:   # the operator must set the variable: no retry helps
            raise JobFailed(f"{job.element_id}: {exc}", retryable=False) from None
        if connector is None or operation not in connector.operations():
            raise JobFailed(f"{job.element_id}: connector operation '{payload.get('operation')}' is not installed")
        request = ServiceRequest(operation=payload["operation"], params=payload.get("params", {}), case_id=job.case_id,
                                 idempotency_key=idempotency_key, attempt=job.attempts + 1,
                                 business_key=payload.get("business_key"), tenant_id=job.tenant_id)
        return connector, operation, request

    def _complete(self, job: Any, prepared: Prepared, result: ServiceResult) -> None:
        def apply(cmd: Command) -> None:
            if not cmd.engine.runner.is_parked(cmd.wf, job.task_id):
                raise InvalidState(f"service task {job.task_id} was already completed")
            details = {"element": job.element_id, "operation": prepared.request.operation,
                       "idempotency_key": prepared.request.idempotency_key}
            if result.bpmn_error:
                details["bpmn_error"] = result.bpmn_error
                if not cmd.engine.runner.throw_error(cmd.wf, job.task_id, result.bpmn_error, result.error_message):
                    raise JobFailed(f"{job.element_id}: business error {result.bpmn_error} "
                                    f"({result.error_message}) is not caught by the model", retryable=False)
            else:
                data = _store_documents(cmd, result.data, job)
                cmd.engine.runner.complete_service_task(cmd.wf, job.task_id, prepared.result_variable, data)
            cmd.audit_details.update(details)

        run_case_command(self.engine, job.case_id, f"worker:{self.owner}", "service_completed", apply,
                         read_before=getattr(job, "case_row", None))

    # -- bookkeeping ------------------------------------------------------------------------
    def _drop(self, job: Any) -> None:
        with unit_of_work(self.engine.db) as uow:
            uow.conn.execute(delete(t.jobs).where(t.jobs.c.id == job.id, t.jobs.c.lock_owner == self.owner))
            uow.commit()

    def _fail(self, job: Any, message: str, stack: str, *, retryable: bool) -> None:
        now = self.engine.clock.now()
        retries = job.retries - 1 if retryable else 0
        attempt = job.attempts + 1
        interval = job.payload.get("retry_interval") or self.engine.settings.retry_backoff_seconds * 2 ** (attempt - 1)
        with unit_of_work(self.engine.db) as uow:
            done = uow.conn.execute(update(t.jobs).where(t.jobs.c.id == job.id, t.jobs.c.lock_owner == self.owner)
                                    .values(attempts=attempt, retries=max(retries, 0), last_error=message,
                                            due_at=now + timedelta(seconds=min(float(interval), MAX_BACKOFF)),
                                            lock_owner=None, lock_expires_at=None))
            if done.rowcount != 1:  # our lock expired and another worker owns the job now
                return
            if retries <= 0:
                open_incident(uow.conn, case_id=job.case_id, kind="job", now=now, message=message, details=stack,
                              element_id=job.element_id, job_id=job.id, task_id=job.task_id)
                if job.case_id is not None:
                    append_case_event(uow.conn, job.case_id, now, f"worker:{self.owner}", "incident_raised",
                                      {"element": job.element_id, "error": message}, status="failed")
            uow.commit()
        log.warning("job %s (%s %s) failed, %s retries left: %s", job.id, job.kind, job.element_id, retries, message)


def _store_documents(cmd: Command, data: Any, job: Any) -> Any:
    """A generated document (``content_base64`` in a connector's result) goes to the case's
    documents in the same transaction; the case data keeps a reference (``document_ref``),
    not the bytes, so the state a step saves stays small."""
    if not isinstance(data, dict) or not isinstance(data.get("content_base64"), str):
        return data
    import base64
    import hashlib

    from engine.persistence.document_tables import documents

    content = base64.b64decode(data["content_base64"])
    ref = str(uuid.uuid4())
    cmd.uow.conn.execute(documents.insert(), dict(
        id=ref, case_id=cmd.case.id, kind="decision",
        filename=str(data.get("filename") or f"{job.element_id}.pdf")[:255],
        media_type=str(data.get("mime_type") or "application/pdf")[:100], size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), content=content,
        uploaded_by=f"connector:{job.payload.get('operation', '')}", created_at=cmd.engine.clock.now()))
    kept = {k: v for k, v in data.items() if k != "content_base64"}
    kept["document_ref"] = ref
    return kept


class WorkerThread(threading.Thread):
    """The job worker of `amtsflow worker` and the embedded worker of the SQLite default: runs
    due jobs as they are written (handed over, NOTIFY on PostgreSQL) or fall due, polling as
    the fallback; with more than one thread through a pool of executor threads."""

    def __init__(self, engine: Engine, poll_seconds: float = 1.0, *, kind: str = "thread",
                 threads: int | None = None, tenants: TenantSelection = EVERY_TENANT) -> None:
        """``threads``: executor threads (engine/job_pool.py); by default the setting
        ``worker_threads`` (AMTSFLOW_WORKER_THREADS): 1 on SQLite, 4 on PostgreSQL.
        ``tenants``: whose jobs it runs (default: every tenant's)."""
        super().__init__(name="amtsflow-worker", daemon=True)
        self.executor = JobExecutor(engine, poll_seconds=poll_seconds, tenants=tenants).take_local_jobs()
        self.poll_seconds = poll_seconds
        self.kind = kind   # "thread" inside a web process, "process" for `amtsflow worker`
        self.threads = threads if threads is not None else engine.settings.job_threads
        self.stopping = threading.Event()
        self.outage = Outage(log, "worker")   # a database that does not answer: one line, not a stack per round
        self.listener: Any = None   # PostgreSQL: the LISTEN connection the worker waits on (once running)
        self._started_at = engine.clock.now()
        self._next_beat = 0.0

    def run(self) -> None:
        from engine.persistence.notify import inline_listener

        wakeup = self.executor.wakeup
        # PostgreSQL: NOTIFY wakes us, the thread that waits for work itself (no listener thread)
        self.listener = listener = inline_listener(self.executor.engine.db)

        def wait(seconds: float) -> None:
            if listener is not None:
                listener.wait(wakeup, seconds)
            else:
                wakeup.wait(seconds)

        try:
            if self.threads > 1:
                from engine.job_pool import JobPool

                JobPool(self.executor, self.threads, self._idle_seconds, self.stopping, tick=self._heartbeat,
                        wait=wait, outage=self.outage).run()
            while not self.stopping.is_set():
                self._heartbeat()
                try:
                    ran = self.executor.run_due()
                    self.outage.answered()
                except AmtsflowError as exc:
                    log.warning("worker: %s", exc.message)
                    ran = 0
                except Exception as exc:  # noqa: BLE001 - keep polling; the error is logged with its stack
                    if not self.outage.failed("running due jobs", exc):
                        log.exception("worker round failed")
                    ran = 0
                if ran == 0:  # idle: sleep until the next poll, a job falls due, is handed over or notified
                    wait(self._idle_seconds())
                    wakeup.clear()
        finally:
            if listener is not None:
                listener.close()
            try:
                self.executor.release_local_jobs()
            except Exception as exc:  # noqa: BLE001 - locks expire on their own
                if not self.outage.failed("releasing handed-over jobs", exc):
                    log.exception("worker: could not release handed-over jobs")
            try:
                gone(self.executor.engine, self.executor.owner)
            except Exception as exc:  # noqa: BLE001 - the row ages out on its own
                if not self.outage.failed("removing its heartbeat", exc):
                    log.exception("worker: could not remove its heartbeat")

    def _heartbeat(self) -> None:
        """Tell /health/ready and /metrics that this worker runs (every HEARTBEAT_SECONDS)."""
        if time.monotonic() < self._next_beat:
            return
        self._next_beat = time.monotonic() + HEARTBEAT_SECONDS
        try:
            beat(self.executor.engine, self.executor.owner, self.kind, self._started_at, self.executor.stats,
                 self.executor.tenants)
        except Exception as exc:  # noqa: BLE001 - a missed beat must not stop the jobs
            if not self.outage.failed("heartbeat", exc):
                log.exception("worker: heartbeat failed")

    def _idle_seconds(self) -> float:
        """Until the next poll, or until the next job falls due if that is sooner (a timer fires
        on time, not up to a poll interval late)."""
        try:
            due_in = self.executor.next_due_in()
        except Exception as exc:  # noqa: BLE001 - the poll interval is the fallback
            if not self.outage.failed("reading the next due job", exc):
                log.exception("worker: could not read the next due job")
            return self.poll_seconds
        return self.poll_seconds if due_in is None else max(0.005, min(self.poll_seconds, due_in))

    def stop(self) -> None:
        self.stopping.set()
        self.executor.wakeup.set()
