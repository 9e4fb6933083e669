"""A bell that wakes every thread waiting for new work at once (long-polling fetches).

A :class:`threading.Event` wakes waiters but leaves the question of who clears it; a bell
counts its rings instead: a waiter remembers the count it saw, and any ring after that wakes
it. ``set`` is an alias of ``ring`` so that a :class:`engine.persistence.notify.JobListener`
(which sets an event on every NOTIFY) can ring it.
"""

from __future__ import annotations

import threading


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


__all__ = ["Bell"]
