"""A bell that wakes every thread waiting for new work at once (long-polling fetches).

A :class:`threading.Event` wakes waiters but leaves the question of who clears it; a bell
counts its rings instead: a waiter remembers the count it saw, and any ring after that wakes
it. ``set`` is an alias of ``ring`` so that a :class:`engine.persistence.notify.JobListener`
(which sets an event on every NOTIFY) can ring it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Bell:
    def __init__(self) -> None:
        self._rings = 0
        self._changed = threading.Condition()
        self.closed = False      # shutting down: waiters return at once and wait no more

    @property
    def rings(self) -> int:
        with self._changed:
            return self._rings

    def ring(self) -> None:
        with self._changed:
            self._rings += 1
            self._changed.notify_all()

    set = ring   # JobListener's wake-up interface

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._rings += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Block until the bell rang after ``seen`` or ``timeout`` seconds passed; the current count."""
        with self._changed:
            if not self.closed:
                self._changed.wait_for(lambda: self._rings != seen, timeout=max(0.0, timeout))
            return self._rings


class CaseBells:
    """One bell per waiter, rung by the key it waits for (a case id): a client waiting for its
    case's next task wakes when that case is named, not on every other case's news. ``set``
    rings every waiter (a listener that just (re)connected may have missed notifications)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, set[Bell]] = {}
        self.closed = False

    @contextmanager
    def waiting(self, key: str) -> Iterator[Bell]:
        """A bell rung whenever ``key`` is rung, registered for the ``with`` block: register
        first, then check, then wait, and nothing rung in between is lost."""
        bell = Bell()
        with self._lock:
            if self.closed:
                bell.close()
            self._waiting.setdefault(key, set()).add(bell)
        try:
            yield bell
        finally:
            with self._lock:
                bells = self._waiting.get(key)
                if bells is not None:
                    bells.discard(bell)
                    if not bells:
                        del self._waiting[key]

    def ring(self, key: str) -> None:
        with self._lock:
            bells = list(self._waiting.get(key, ()))
        for bell in bells:
            bell.ring()

    def set(self) -> None:
        with self._lock:
            bells = [b for group in self._waiting.values() for b in group]
        for bell in bells:
            bell.ring()

    def close(self) -> None:
        """Shutting down: every waiter returns now, and later ones wait no more."""
        with self._lock:
            self.closed = True
            bells = [b for group in self._waiting.values() for b in group]
        for bell in bells:
            bell.close()


__all__ = ["Bell", "CaseBells"]
