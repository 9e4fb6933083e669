"""Long polling for external tasks (Camunda's ``asyncResponseTimeout``).

A fetch that finds nothing waits on the engine's bell (:class:`engine.bell.Bell`) and tries
again when it rings: after the commit of any command of this process that wrote an external
task, and on PostgreSQL on every ``NOTIFY amtsflow_jobs`` (a job written by another process;
a subscription to the process's one listener connection, engine.persistence.notify, made by
the first long poll). It also wakes when a task of its topics falls due or its
lock expires, and re-checks every ``RECHECK_SECONDS`` in case a notification was missed.
"""

from __future__ import annotations

import threading
import time

from engine.bootstrap import Engine
from engine.persistence.notify import CHANNEL, subscribe
from engine.services.external_tasks import LockedTask, TopicRequest, fetch_and_lock, next_free_in

RECHECK_SECONDS = 2.0
LISTEN_WAIT_SECONDS = 2.0          # the first long poll of a process waits this long for LISTEN
MAX_WAIT_SECONDS = 1800.0          # Camunda's limit for asyncResponseTimeout (30 minutes)
_listener_lock = threading.Lock()


def ensure_listener(engine: Engine) -> None:
    """On PostgreSQL, a subscription to ``amtsflow_jobs`` on the engine's listener that rings
    the engine's external-task bell (once)."""
    if engine.external_listener is not None:
        return
    with _listener_lock:
        if engine.external_listener is None:
            bell = engine.external_bell
            subscription = subscribe(engine, CHANNEL, on_payload=lambda _payload: bell.ring(), on_listen=bell.ring)
            if subscription is not None:   # a task written before LISTEN is in place would wait for the re-check
                subscription.listening.wait(LISTEN_WAIT_SECONDS)
            engine.external_listener = subscription or False


def wait_and_fetch(engine: Engine, worker_id: str, topics: list[TopicRequest], max_tasks: int,
                   use_priority: bool, timeout_seconds: float) -> list[LockedTask]:
    """Fetch and lock; if nothing is free, wait up to ``timeout_seconds`` for a task to come."""
    timeout_seconds = min(max(timeout_seconds, 0.0), MAX_WAIT_SECONDS)
    if timeout_seconds > 0:
        ensure_listener(engine)
    deadline = time.monotonic() + timeout_seconds
    names = [topic.name for topic in topics]
    bell = engine.external_bell
    while not bell.closed:
        seen = bell.rings
        tasks = fetch_and_lock(engine, worker_id, topics, max_tasks, use_priority)
        remaining = deadline - time.monotonic()
        if tasks or remaining <= 0 or not topics:
            return tasks
        pause = min(remaining, RECHECK_SECONDS)
        free_in = next_free_in(engine, names)
        if free_in is not None:
            pause = min(pause, free_in + 0.01)
        bell.wait(seen, pause)
    return []


def stop_listener(engine: Engine) -> None:
    """Shutting down: end waiting long polls (they answer with no tasks), end the subscription
    (and, when nobody else subscribed to anything, wait until the listener closed its connection)."""
    engine.external_bell.close()
    subscription = engine.external_listener
    if subscription:
        subscription.cancel(wait=5)
    engine.external_listener = None


__all__ = ["RECHECK_SECONDS", "ensure_listener", "stop_listener", "wait_and_fetch"]
