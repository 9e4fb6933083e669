"""Waiting for a case's next open task (long polling), instead of asking again and again.

A client that started a case or completed a task often wants the task that comes next, which
a job worker in another process may create a moment later. :func:`wait_for_tasks` registers a
waiter for the case (:class:`engine.bell.CaseBells`), checks once, and when the case has no
open task and has not ended, sleeps until the case is named: after the commit of any command
of this process that gave the case an open task or ended it (engine.services.commands), and on
PostgreSQL on every ``NOTIFY amtsflow_tasks`` naming it (migration 0024; a subscription to the
process's one listener connection, engine.persistence.notify, made by the first wait). It re-checks every ``RECHECK_SECONDS``
anyway, so a lost notification (a reconnecting listener, another process on SQLite) only
delays the answer. ``GET /api/v1/cases/{id}/tasks?wait=N`` is this wait over HTTP.

A case this process left quiet (no open task, not ended) with its last commit, and that no
notification named since, needs no first check (:func:`mark_quiet`, the quiet marks of
:class:`engine.bell.CaseBells`): a client that starts a case and then waits for its first task
reads once, when the worker's NOTIFY wakes it. Only while the listener listens: what another
process commits then reaches the bells.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, literal_column, select

from engine.domain.errors import NotFound
from engine.persistence import tables as t
from engine.persistence.db import fast_reading
from engine.persistence.fast import FastStatement, flush_deferred
from engine.persistence.notify import TASK_CHANNEL, subscribe
from engine.services.queries import task_view
from engine.services.quiet_cases import listening, mark_quiet
from engine.services.read_models import TaskView
from engine.tenancy import tenant_or_none

if TYPE_CHECKING:
    from engine.bootstrap import Engine

RECHECK_SECONDS = 2.0              # the slow fallback: a lost notification delays at most this long
LISTEN_WAIT_SECONDS = 2.0          # the first wait of a process waits this long for LISTEN
MAX_WAIT_SECONDS = 60.0            # the longest wait one call may ask for
ENDED = ("completed", "cancelled", "failed")
_listener_lock = threading.Lock()

_W = t.work_items
# 'open' as a literal: a parameter would keep PostgreSQL planning the prepared statement anew on
# every execution (tests/unit/test_partial_index_literals.py)
_OPEN_TASKS = FastStatement(select(_W).where(_W.c.case_id == bindparam("case_id"),
                                             _W.c.state == literal_column("'open'"))
                            .order_by(_W.c.created_at, _W.c.id))
_STATUS = FastStatement(select(t.cases.c.status).where(t.cases.c.id == bindparam("case_id")))


def ensure_listener(engine: Engine) -> None:
    """On PostgreSQL, a subscription to ``amtsflow_tasks`` on the engine's listener
    (engine.persistence.notify) that rings the engine's case bells (once)."""
    if engine.task_listener is not None:
        return
    with _listener_lock:
        if engine.task_listener is None:
            bells = engine.task_bells
            subscription = subscribe(engine, TASK_CHANNEL, on_payload=bells.ring, on_listen=bells.set)
            if subscription is not None:   # a task written before LISTEN is in place would wait for the re-check
                subscription.listening.wait(LISTEN_WAIT_SECONDS)
            engine.task_listener = subscription or False


def open_tasks(engine: Engine, case_id: str, *, with_status: bool = True) -> tuple[list[TaskView], str | None]:
    """The case's open tasks (oldest first) and its status, in one round trip on PostgreSQL.
    ``with_status=False``: the status only when the case has no open task (a check after a
    wake-up usually finds the task: one statement)."""
    params = {"case_id": case_id}
    with fast_reading(engine.db) as conn:
        tasks = _OPEN_TASKS.all_deferred(conn, params)
        status = _STATUS.all_deferred(conn, params) if with_status else None
        flush_deferred(conn)
        if status is None and not tasks.rows:
            status = _STATUS.all_deferred(conn, params)
            flush_deferred(conn)
    if status is None:
        return [task_view(r) for r in tasks.rows or []], None
    if not status.rows:
        raise NotFound(f"case {case_id} not found", user_message="Der Vorgang wurde nicht gefunden.")
    return [task_view(r) for r in tasks.rows or []], str(status.rows[0].status)


def wait_for_tasks(engine: Engine, case_id: str, timeout: float) -> list[TaskView]:
    """The case's open tasks; when it has none and has not ended, wait up to ``timeout`` seconds
    (at most MAX_WAIT_SECONDS) for one. [] when none came in time or the case ended."""
    timeout = min(max(timeout, 0.0), MAX_WAIT_SECONDS)
    if timeout > 0:
        ensure_listener(engine)
    deadline = time.monotonic() + timeout
    with engine.task_bells.waiting(case_id) as bell:
        first = True
        # registered first: a ring from now on wakes this wait (seen = 0: since registering); the
        # check would answer "no task, not ended". The answer itself always comes from a read.
        if timeout > 0 and listening(engine) and engine.task_bells.quiet(case_id, tenant_or_none()):
            bell.wait(0, min(deadline - time.monotonic(), RECHECK_SECONDS))
            first = False
        while True:
            seen = bell.rings
            tasks, status = open_tasks(engine, case_id, with_status=first)
            first = False
            remaining = deadline - time.monotonic()
            if tasks or status in ENDED or remaining <= 0 or bell.closed:
                return tasks
            bell.wait(seen, min(remaining, RECHECK_SECONDS))


def stop_listener(engine: Engine) -> None:
    """Shutting down: end waiting calls (they answer with what is there), end the subscription
    (the listener closes its connection when nobody else subscribed to anything)."""
    engine.task_bells.close()
    subscription = engine.task_listener
    if subscription:
        subscription.cancel(wait=5)
    engine.task_listener = None


__all__ = ["MAX_WAIT_SECONDS", "RECHECK_SECONDS", "ensure_listener", "listening", "mark_quiet", "open_tasks",
           "stop_listener", "wait_for_tasks"]
