"""The unit-of-work loop every case command runs through.

load case -> re-attach spec -> mutate -> step -> project -> save with revision check -> audit
-> commit. A stale revision (someone else committed first) re-runs the whole command.
"""

from __future__ import annotations

import functools
import logging
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, Callable, TypeVar, cast

from sqlalchemy import bindparam, func, insert, literal, select, update
from sqlalchemy.exc import DBAPIError

from engine import logcontext
from engine.bootstrap import Engine
from engine.domain.values import jsonable
from engine.domain.errors import CaseSuspended, Conflict, DatabaseBusy, InvalidState, NotFound, WorkflowFailure
from engine.persistence import tables as t
from engine.persistence.db import UnitOfWork, unit_of_work
from engine.persistence.fast import FastStatement
from engine.tenancy import tenant_or_none
from engine.runtime import budget, conditions
from engine.runtime.milestones import current_status
from engine.runtime.parsing import ParsedProcess
from engine.runtime.call_activity import bound_definitions, resolving
from engine.runtime.serialization import round_trips
from engine.runtime.workflow import CONDITION_PREVIOUS, Waits, WorkflowRunner
from engine.services import audit, quiet_cases, task_assignment, thrown
from engine.services.called import CallResolver
from engine.services.case_events import open_incident
from engine.services.projections import Projector, sync_case_fields, waits_snapshot
from engine.services.retention import schedule_erasure

log = logging.getLogger("amtsflow.commands")

T = TypeVar("T")
MAX_ATTEMPTS = 8
MAX_BUSY_ATTEMPTS = 1     # a lock wait that ran into the busy timeout is retried once, then "busy"


class StaleRevision(Exception):
    pass


@dataclass
class Command:
    """What a mutation sees: the loaded workflow and the context to record what it did."""

    engine: Engine
    uow: UnitOfWork
    case: Any                       # the case row
    parsed: ParsedProcess
    wf: Any
    actor: str
    completed: dict[str, str] = field(default_factory=dict)   # task id -> completed by
    audit_details: dict[str, Any] = field(default_factory=dict)
    status_override: str | None = None
    stepped: bool = False                  # the workflow was stepped already (before the transaction)
    step_error: str | None = None          # ... with this failure
    variables_before: dict[str, Any] | None = None   # when a conditional event waits (engine.runtime.conditions)
    defer_row: bool = False                # a new case's row: sent with the next statement or the commit

    def __post_init__(self) -> None:
        # What Camunda's execution.processInstanceId / processBusinessKey read (script_engine.case_facts)
        self.wf.case_ref = (self.case.id, self.case.business_key)
        self.wf.actor = self.actor  # Camunda's authenticatedUserId
        if not self.stepped:
            self.variables_before = conditions.before(self.wf, WorkflowRunner.snapshot)
        # Stepping evaluates conditions after every step from here (WorkflowRunner._conditions)
        setattr(self.wf, CONDITION_PREVIOUS, self.variables_before)


def call_resolver(cmd: Command) -> CallResolver:
    """What a call activity of the command's case binds (engine.services.called): the case's
    tenant's newest version of the called process."""
    row = cmd.case
    return CallResolver(cmd.engine, row.definition_id, getattr(row, "tenant_id", None) or tenant_or_none(),
                        cmd.uow.conn)


def snapshot_data(wf: Any) -> dict[str, Any]:
    return cast(dict[str, Any], jsonable(WorkflowRunner.snapshot(wf)))  # jsonable() keeps a dict a dict


Located = str | tuple[str, int] | tuple[str, int, Any]


def run_case_command(engine: Engine, case: str | Callable[[Any], Located], actor: str, action: str,
                     mutate: Callable[[Command], T], *, allow_suspended: bool = False, read_before: Any = None) -> T:
    """Run ``mutate`` on a case in one transaction and save the result. ``case`` is the case id,
    or a function that finds it inside the transaction (from a work item, say), and may return
    the case's current revision with it: a cached case of another revision is not used then;
    and the case row itself, read in the same statement (:data:`CASE_COLUMNS`), which is used
    when the cache has no current entry (one round trip less).

    When this process saved the case last, its row values and live workflow come from the case
    cache (no SELECT, no deserialisation); the save's revision check proves they were current.
    Any failure while working on cached state is decided again on the stored state.

    ``read_before``: the case row read before this transaction (with the job's acquisition,
    engine/jobs.py), used as a cached case's row: on the first attempt unless the cache has the
    case, proven current by the save's revision check, any failure on it decided again on the
    stored row."""
    use_cache = True
    busy = 0
    for _attempt in range(MAX_ATTEMPTS):
        cached = None
        early, read_before = read_before, None   # the first attempt only
        on_early = False
        committing = False
        try:
            with unit_of_work(engine.db) as uow, budget.command(engine.runner.limits):
                located = case(uow.conn) if callable(case) else case
                case_id, current, fetched = (*located, None)[:3] if isinstance(located, tuple) else (located, None, None)
                logcontext.bind_case(case_id)
                cached = engine.case_cache.take(case_id) if use_cache else None
                if cached is not None and current is not None and cached.row.revision != current:
                    cached = None  # another process saved the case since: no need to find out by a failed save
                on_early = early is not None and cached is None and fetched is None
                row = cached.row if cached is not None else fetched if fetched is not None else early \
                    if on_early else _case_row_of(uow.conn, case_id)
                if row is None:
                    raise NotFound(f"case {case_id} not found", user_message="Der Vorgang wurde nicht gefunden.")
                _check_runnable(row, case_id, allow_suspended)
                parsed = engine.definitions.for_case(row.definition_id, uow.conn, row.variant_id,
                                                     row.bound_definitions)
                wf = cached.wf if cached is not None else engine.serializer.loads(row.state, parsed, engine.script_engine,
                                                                                  row.serializer_version)
                cmd = Command(engine, uow, row, parsed, wf, actor)
                with resolving(call_resolver(cmd)):
                    result = mutate(cmd)
                    with _stale_check(case_id):
                        save(cmd, action)
                committing = True
                with _stale_check(case_id):
                    uow.commit()
                return result
        except StaleRevision:
            use_cache = False
        except DatabaseBusy as exc:  # a deadlock is retried; a lock wait that took the busy timeout once more
            busy += exc.waited
            if busy > MAX_BUSY_ATTEMPTS:
                raise
            use_cache = False
        except Exception:
            if (cached is None and not on_early) or committing:  # a failed commit may have succeeded: never apply twice
                raise
            use_cache = False  # the cached state may have been stale: decide again on the stored one
    raise Conflict(f"case {case!r}: gave up after {MAX_ATTEMPTS} concurrent modifications")


STALE_SQLSTATE = "22012"   # division_by_zero: _UPDATE_CASE_CHECKED found no row of the revision


@contextmanager
def _stale_check(case_id: str) -> Iterator[None]:
    """The deferred, checked update of the case row (:data:`_UPDATE_CASE_CHECKED`) fails the
    round trip that carries it (a later statement's or the commit's) when another command saved
    the case first: StaleRevision, as the update sent at once raises it. The pipeline stopped at
    that statement, so nothing after it ran, the COMMIT neither."""
    try:
        yield
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == STALE_SQLSTATE:
            raise StaleRevision(case_id) from exc
        raise


def _check_runnable(row: Any, case_id: str, allow_suspended: bool) -> None:
    if row.suspended and not allow_suspended:
        raise CaseSuspended(f"case {case_id} is suspended", user_message="Der Vorgang ist angehalten.")
    if row.status in ("completed", "cancelled"):
        raise InvalidState(f"case {case_id} is {row.status}", user_message="Der Vorgang ist bereits abgeschlossen.")


CASE_COLUMNS = tuple(t.cases.c)   # what a case command reads of its case (all columns, the state included)
_SELECT_CASE = FastStatement(select(*CASE_COLUMNS).where(t.cases.c.id == bindparam("id")))


def _case_row_of(conn: Any, case_id: str) -> Any:
    rows = _SELECT_CASE.all(conn, {"id": case_id})
    return rows[0] if rows else None
_INSERT_CASE = FastStatement(t.cases.insert())

# The optimistic-lock update, built once (statement construction is a measurable part of a step).
_UPDATE_CASE = FastStatement(
    update(t.cases)
    .where(t.cases.c.id == bindparam("b_id"), t.cases.c.revision == bindparam("b_revision"))
    .values({c: bindparam(c) for c in ("revision", "waits", "status", "state", "serializer_version",
                                       "data", "error", "updated_at", "ended_at", "audit_hash",
                                       "citizen_status", "bound_definitions")}))


def _checked_update() -> FastStatement:
    """PostgreSQL: :data:`_UPDATE_CASE` that fails (division by zero, STALE_SQLSTATE) when no row
    of the revision was there, so it can go to the server deferred, with the commit: one round
    trip less per command (see :func:`_stale_check`)."""
    updated = _UPDATE_CASE.statement.returning(t.cases.c.id).cte("updated")  # type: ignore[attr-defined]
    return FastStatement(select(literal(1) / func.count()).select_from(updated))


_UPDATE_CASE_CHECKED = _checked_update()


# What a caller writes in the transaction of a case's save (see joining_save).
_JOINING: ContextVar[tuple[str, Callable[[Any, list[str]], None]] | None] = ContextVar("amtsflow_joining_save",
                                                                                     default=None)


@contextmanager
def joining_save(case_id: str, write: Callable[[Any, list[str]], None]) -> Iterator[None]:
    """Within the block, a save of case ``case_id`` also runs ``write(conn, cancelled)`` in its
    transaction, after the case's projections (its work items are ended or written by then;
    ``cancelled``: the ids of the work items this save cancelled): what the caller writes is
    committed exactly when the case's step is. A save that is tried again (a stale revision)
    runs it again, in the new transaction. Used for the mails to the clerks whose tasks a
    citizen's withdrawal ended (engine/services/withdrawals.py)."""
    token = _JOINING.set((case_id, write))
    try:
        yield
    finally:
        _JOINING.reset(token)


def save(cmd: Command, action: str, *, new: bool = False) -> None:
    """Step the workflow, write state + projections + audit. Raises StaleRevision.

    The steps, in this order: step (and decide the status), prepare the case row and its audit
    event, write the case row (first: a stale revision fails before any other write), write the
    audit event, sync the projections, write the outbox, close or fail the case, and register
    what happens after the commit (case cache, job hand-over)."""
    now = cmd.engine.clock.now()
    outcome = _step(cmd, now)
    assignments = _assign(cmd, new, now, outcome)
    event, values = _case_row(cmd, action, new, now, outcome)
    snapshot = waits_snapshot(cmd.case.id, outcome.waits)
    _write_case_row(cmd, new, now, values, snapshot)
    audit.write(cmd.uow.conn, event)
    projector = _project(cmd, new, now, outcome, assignments)
    if (joining := _JOINING.get()) is not None and joining[0] == cmd.case.id:
        joining[1](cmd.uow.conn, projector.cancelled_work_items)
    _write_outbox(cmd, outcome.outbox, projector.lock)
    _close_or_fail(cmd, now, outcome)
    _after_commit(cmd, new, now, values, snapshot, outcome, projector)


@dataclass
class _Outcome:
    """What stepping the workflow decided."""

    error: str | None
    outbox: list[dict[str, Any]]
    waits: Waits
    status: str
    data: dict[str, Any]
    ended: datetime | None


def _step(cmd: Command, now: datetime) -> _Outcome:
    """Step (unless stepped before the transaction), re-evaluate conditions, collect what the
    case threw and its listener calls, read its waits and decide its status."""
    engine, wf = cmd.engine, cmd.wf
    with resolving(call_resolver(cmd)):
        error = cmd.step_error if cmd.stepped else step_workflow(engine, wf, cmd.audit_details)
        if error is None and cmd.variables_before is not None:
            seen = getattr(wf, CONDITION_PREVIOUS, None)   # what the steps' evaluations saw last
            error = reevaluate_conditions(engine, wf, seen if seen is not None else cmd.variables_before,
                                          cmd.audit_details)
    bound = bound_definitions(wf.subprocess_specs)
    if bound != list(getattr(cmd.case, "bound_definitions", None) or []):   # a call bound a definition
        cmd.parsed = engine.definitions.for_case(cmd.case.definition_id, cmd.uow.conn, cmd.case.variant_id, bound)
    outbox, uncaught = _thrown(cmd, now)
    outbox += _listener_calls(cmd, now)
    error = error or uncaught
    waits = engine.runner.waits(wf, cmd.parsed.models)
    for element_id, message in engine.runner.new_wait_failures(wf):   # a wait whose event name failed
        if error is None:
            error = f"{element_id}: {message}"
            cmd.audit_details.setdefault("error", error)
            cmd.audit_details.setdefault("element_error", element_id)
    status = cmd.status_override or _status(waits, error)
    ended = now if status in ("completed", "cancelled") else None
    return _Outcome(error, outbox, waits, status, snapshot_data(wf), ended)


def _case_row(cmd: Command, action: str, new: bool, now: datetime,
              outcome: _Outcome) -> tuple[dict[str, Any], dict[str, Any]]:
    """The audit event (not yet written) and the case row's new values."""
    engine, row, wf = cmd.engine, cmd.case, cmd.wf
    event = audit.prepare(prev_hash=row.audit_hash if not new else audit.GENESIS, case_id=row.id, at=now,
                          actor=cmd.actor, action=action,
                          details=jsonable({"status": outcome.status, **cmd.audit_details}))
    values = dict(status=outcome.status, state=engine.serializer.dumps(wf, cmd.parsed.model.dialect),
                  serializer_version=engine.serializer.version, data=outcome.data, error=outcome.error,
                  updated_at=now, ended_at=outcome.ended, audit_hash=event["hash"], citizen_status=current_status(wf),
                  bound_definitions=bound_definitions(wf.subprocess_specs) or None)
    if outcome.status == "cancelled":  # a cancelled case waits for nothing: its projections are removed
        outcome.waits = Waits(completed=True)
    return event, values


def _assign(cmd: Command, new: bool, now: datetime, outcome: _Outcome) -> dict[str, task_assignment.Assignment]:
    """Work out who gets each user task that waits from now on, and by when (its expressions,
    :mod:`engine.services.task_assignment`). An attribute that cannot be worked out is left out
    and named in this step's audit event (``assignment_problems``) and the log; a task left to
    nobody goes to the process owners. The case goes on either way."""
    engine = cmd.engine
    before = set() if new else set((cmd.case.waits or {}).get("user", []))
    found: dict[str, task_assignment.Assignment] = {}
    problems: list[str] = []
    for w in outcome.waits.user_tasks:
        if w.task_id in before:
            continue
        found[w.task_id], met = task_assignment.resolve(engine.evaluator, w.info, w.data, now,
                                                        engine.settings.timezone)
        problems += met
    if problems:
        cmd.audit_details["assignment_problems"] = problems
        for problem in problems:
            log.warning("case %s: %s", cmd.case.id, problem)
    return found


def _project(cmd: Command, new: bool, now: datetime, outcome: _Outcome,
             assignments: dict[str, task_assignment.Assignment]) -> Projector:
    """Work items, jobs, subscriptions and case fields as the waits and data now are."""
    engine, conn, row = cmd.engine, cmd.uow.conn, cmd.case
    local_worker = local_worker_for(engine)
    projector = Projector(conn, engine.evaluator, now, row.id, row.business_key, engine.settings.default_retries,
                          suspended=bool(row.suspended), zone=engine.settings.timezone,
                          lock=(local_worker.owner, now + timedelta(seconds=engine.settings.job_lock_seconds))
                          if local_worker is not None else None, is_external=engine.is_external,
                          assignments=assignments)
    projector.sync(row.waits if not new else {}, outcome.waits, cmd.completed)
    if projector.external_written:   # waiting fetchAndLock requests of this process look at once
        cmd.uow.after_commit(engine.external_bell.ring)
    if projector.work_items_written or outcome.status in ("completed", "cancelled", "failed"):
        # clients of this process waiting for the case's next task look at once (other
        # processes hear of it through NOTIFY amtsflow_tasks, migration 0024)
        cmd.uow.after_commit(functools.partial(engine.task_bells.ring, row.id))
    elif not outcome.waits.user_tasks:   # no open task after the commit: a waiter need not read it
        quiet_cases.mark_quiet(engine, cmd.uow, row.id, getattr(row, "tenant_id", None) or tenant_or_none())
    sync_case_fields(conn, row.id, [*cmd.parsed.model.case_fields], {} if new else (row.data or {}), outcome.data)
    return projector


def _close_or_fail(cmd: Command, now: datetime, outcome: _Outcome) -> None:
    """An ended case gets its erasure scheduled; a failed step opens an incident."""
    engine, conn, row = cmd.engine, cmd.uow.conn, cmd.case
    if outcome.ended is not None:
        schedule_erasure(conn, row.id, engine.definitions.retention(row.definition_id, conn), now,
                         engine.settings.default_retries)
    if outcome.error is not None:
        element_ids = outcome.waits.errors or [e for e in [cmd.audit_details.get("element_error")] if e]
        open_incident(conn, case_id=row.id, kind="workflow", now=now, message=outcome.error,
                      details=cmd.audit_details.get("stack", ""), element_id=element_ids[0] if element_ids else None)


def _after_commit(cmd: Command, new: bool, now: datetime, values: dict[str, Any], snapshot: dict[str, Any],
                  outcome: _Outcome, projector: Projector) -> None:
    """Keep the live workflow in the case cache, and hand this process's worker its jobs."""
    engine, row, wf = cmd.engine, cmd.case, cmd.wf
    # Keep the live workflow only if it equals what was stored: an ended case runs no more
    # commands, and data JSON does not round-trip (a tuple, a number as a dict key) would make
    # the next command see other data than a process that loads the stored state. Nor when
    # another process's worker saves the case next (:func:`_saved_next_elsewhere`).
    if outcome.ended is None and not _saved_next_elsewhere(engine, outcome.waits) and round_trips(wf):
        committed = _committed_row(row, new, cmd.actor, now, values, snapshot)
        cmd.uow.after_commit(lambda: engine.case_cache.put(row.id, committed, wf))
    local_worker = local_worker_for(engine)
    if local_worker is not None:
        for job in projector.locked_jobs:  # jobs this process's worker holds already: hand them over
            cmd.uow.after_commit(functools.partial(local_worker.offer, job))
        for job_id in projector.deleted_jobs:  # and those it must no longer run
            cmd.uow.after_commit(functools.partial(local_worker.discard, job_id))


def local_worker_for(engine: Engine) -> Any:
    """This process's worker (engine/handover.py) if it runs the current tenant's jobs, else
    None: a worker started for some tenants only leaves other tenants' jobs free for theirs."""
    local_worker = engine.local_worker
    if local_worker is None or not local_worker.takes_current_tenant():
        return None
    return local_worker


def _saved_next_elsewhere(engine: Engine, waits: Waits) -> bool:
    """The case waits for nothing but service jobs, and this process has no worker (a web
    process beside ``amtsflow worker``): a worker process runs them and saves the case next, so
    an entry in this process's case cache would be out of date before any command here could
    use it. (External tasks are completed through this process's API: those cases are kept.)"""
    if local_worker_for(engine) is not None or not waits.services:
        return False
    if waits.user_tasks or waits.timers or waits.messages or waits.signals:
        return False
    return not any(w.info.service is not None and engine.is_external(w.info.service) for w in waits.services)


def reevaluate_conditions(engine: Engine, wf: Any, previous: dict[str, Any] | None,
                          audit_details: dict[str, Any], *, entering: bool = False) -> str | None:
    """Variables changed since ``previous`` (a new case: ``{}``, its start variables) reach the
    conditional events that wait and the conditional starts of event sub-processes (Camunda
    evaluates them on every variable set in their scope); those that now hold fire in this unit
    of work. The step's failure, if any."""
    for round_ in range(conditions.MAX_ROUNDS):
        previous = conditions.propagate(wf, previous or {}, WorkflowRunner.snapshot,
                                        entering=entering and round_ == 0)
        if previous is None:
            return None
        setattr(wf, CONDITION_PREVIOUS, previous)   # the steps that follow look from here
        error = step_workflow(engine, wf, audit_details)
        if error is not None:
            return error
    return None


def _thrown(cmd: Command, now: datetime) -> tuple[list[dict[str, Any]], str | None]:
    """Messages and signals the case threw (outbox jobs), and an error nothing caught."""
    events = cmd.engine.runner.take_thrown(cmd.wf)
    if not events:
        return [], None
    jobs, problem = thrown.outbox_jobs(cmd, events, now)
    uncaught = thrown.uncaught_error(events)
    if uncaught is not None:
        problem = problem or uncaught[0]
        cmd.audit_details["element_error"] = uncaught[1]
    if problem is not None:
        cmd.audit_details["error"] = problem
    return jobs, problem


def _listener_calls(cmd: Command, now: datetime) -> list[dict[str, Any]]:
    """Listeners mapped to connector operations: one ``listener`` job per call, run after the
    commit; the case does not wait for the answer (see engine.runtime.listeners)."""
    jobs = []
    for call in cmd.engine.runner.take_listener_calls(cmd.wf):
        jobs.append(dict(
            id=str(uuid.uuid4()), case_id=cmd.case.id, kind="listener", task_id=None,
            element_id=call["element_id"] or None, due_at=now, retries=cmd.engine.settings.default_retries,
            attempts=0, suspended=False, created_at=now,
            payload={"operation": call["operation"], "params": jsonable(call["params"]), "event": call["event"],
                     "business_key": cmd.case.business_key}))
    return jobs


def _write_outbox(cmd: Command, jobs: list[dict[str, Any]], lock: tuple[str, datetime] | None) -> None:
    """Throw jobs run after the commit; this process's worker gets them handed over at once."""
    local_worker = local_worker_for(cmd.engine)
    for job in jobs:
        if lock is not None:
            job.update(lock_owner=lock[0], lock_expires_at=lock[1])
        cmd.uow.conn.execute(insert(t.jobs), job)
        if lock is not None and local_worker is not None:
            cmd.uow.after_commit(functools.partial(local_worker.offer, SimpleNamespace(**job)))


def step_workflow(engine: Engine, wf: Any, audit_details: dict[str, Any]) -> str | None:
    """Run the workflow to its next waits; a failure (a used-up budget too) is the case's error
    and becomes an incident."""
    try:
        engine.runner.step(wf)
    except WorkflowFailure as exc:
        audit_details["error"] = exc.message
        audit_details["stack"] = traceback.format_exc(limit=5)
        return exc.message
    return None


def _write_case_row(cmd: Command, new: bool, now: datetime, values: dict[str, Any], snapshot: dict[str, Any]) -> None:
    """Insert a new case's row (before projections reference it), or update it guarded by the
    revision the command started from: on SQLite at once (which also takes the write lock
    early), on PostgreSQL deferred, the first of the command's writes in the pipeline that
    commits them (a stale revision fails it there: :func:`_stale_check`)."""
    row, conn = cmd.case, cmd.uow.conn
    if new:
        (_INSERT_CASE.defer if cmd.defer_row else _INSERT_CASE.run)(conn, dict(
            id=row.id, definition_id=row.definition_id, process_key=row.process_key, version=row.version,
            variant_id=row.variant_id,
            business_key=row.business_key, suspended=False, revision=1, started_by=cmd.actor, started_at=now,
            waits=snapshot, **values))
    else:
        params = {"b_id": row.id, "b_revision": row.revision, "revision": row.revision + 1, "waits": snapshot, **values}
        if conn.dialect.driver == "psycopg":   # with the commit; a stale revision fails that round trip
            _UPDATE_CASE_CHECKED.defer(conn, params)
        elif _UPDATE_CASE.run(conn, params) != 1:
            raise StaleRevision(row.id)


def _committed_row(row: Any, new: bool, actor: str, now: datetime, values: dict[str, Any],
                   snapshot: dict[str, Any]) -> SimpleNamespace:
    """The case row as this save leaves it (for the case cache; the state column is not kept)."""
    return SimpleNamespace(
        id=row.id, definition_id=row.definition_id, process_key=row.process_key, version=row.version,
        variant_id=row.variant_id, tenant_id=getattr(row, "tenant_id", None) or tenant_or_none(),
        business_key=row.business_key, suspended=bool(row.suspended), revision=1 if new else row.revision + 1,
        started_by=actor if new else row.started_by, started_at=now if new else row.started_at, waits=snapshot,
        **{k: v for k, v in values.items() if k != "state"})


def _status(waits: Any, error: str | None) -> str:
    if error is not None or waits.errors:
        return "failed"
    if waits.completed:
        return "completed"
    if waits.services:
        return "running"
    return "waiting"


__all__ = ["CASE_COLUMNS", "Command", "Located", "joining_save", "run_case_command", "save", "jsonable", "snapshot_data", "step_workflow",
           "reevaluate_conditions"]
