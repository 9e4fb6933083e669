"""A bell that wakes every thread waiting for new work at once (long-polling fetches).

A :class:`threading.Event` wakes waiters but leaves the question of who clears it; a bell
counts its rings instead: a waiter remembers the count it saw, and any ring after that wakes
it. ``set`` is an alias of ``ring`` (the wake-up interface of a threading.Event).
"""

from __future__ import annotations

import os
import select
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

    set = ring   # a threading.Event's wake-up interface

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


class Doorbell:
    """A :class:`threading.Event` (set, clear, is_set, wait) kept in a pipe: the pipe holds one
    byte while the doorbell is set, so a thread can wait for it in poll() together with a
    socket (the worker's acquisition loop with its LISTEN connection, engine/persistence/notify.py:
    a notification wakes that thread itself, not a listener thread that would then wake it)."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._flag = False
        self._lock = threading.Lock()

    def fileno(self) -> int:
        return self._read

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        with self._lock:
            if not self._flag:
                self._flag = True
                os.write(self._write, b"!")

    def clear(self) -> None:
        with self._lock:
            if self._flag:
                self._flag = False
                os.read(self._read, 1)

    def wait(self, timeout: float | None = None) -> bool:
        """Until set or ``timeout`` seconds passed (None: no limit); whether it is set."""
        if not self._flag:
            poller = select.poll()
            poller.register(self._read, select.POLLIN)
            poller.poll(None if timeout is None else max(0, int(timeout * 1000 + 0.999)))
        return self._flag

    def __del__(self) -> None:
        for fd in (getattr(self, "_read", None), getattr(self, "_write", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


class QuietMark:
    """See :meth:`CaseBells.expect_quiet`."""

    __slots__ = ("scope", "confirmed")

    def __init__(self, scope: object) -> None:
        self.scope = scope
        self.confirmed = False


class CaseBells:
    """One bell per waiter, rung by the key it waits for (a case id): a client waiting for its
    case's next task wakes when that case is named, not on every other case's news. ``set``
    rings every waiter (a listener that just (re)connected may have missed notifications).

    Quiet marks: a command of this process whose commit leaves its case without an open task
    and not ended marks the case before it commits (:meth:`expect_quiet`) and confirms the mark
    after the commit (:meth:`confirm_quiet`); any ring of the case from the mark on (a task
    written or the case ended, by this or, through NOTIFY, another process) and every ``set``
    remove it. While a confirmed mark is there, a waiter registered for the case knows the
    case's answer without reading it: no task, not ended, and a change will ring its bell."""

    MAX_QUIET = 10_000          # marks kept at most (the oldest go first: a case without one is read)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, set[Bell]] = {}
        self._quiet: dict[str, QuietMark] = {}
        self.closed = False

    def expect_quiet(self, key: str, scope: object) -> QuietMark:
        """Before the commit that leaves case ``key`` quiet (seen in ``scope``, the tenant): a
        mark that every later ring of ``key`` removes, not yet usable."""
        mark = QuietMark(scope)
        with self._lock:
            self._quiet.pop(key, None)
            self._quiet[key] = mark
            if len(self._quiet) > self.MAX_QUIET:
                self._quiet.pop(next(iter(self._quiet)))
        return mark

    def confirm_quiet(self, key: str, mark: QuietMark) -> None:
        """After that commit: the mark counts, unless a ring of ``key`` came in between."""
        with self._lock:
            if self._quiet.get(key) is mark:
                mark.confirmed = True

    def quiet(self, key: str, scope: object) -> bool:
        """Case ``key`` has a confirmed mark made in ``scope`` (and no ring since)."""
        with self._lock:
            mark = self._quiet.get(key)
            return mark is not None and mark.confirmed and mark.scope == scope

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
            self._quiet.pop(key, None)
            bells = list(self._waiting.get(key, ()))
        for bell in bells:
            bell.ring()

    def set(self) -> None:
        with self._lock:
            self._quiet.clear()
            bells = [b for group in self._waiting.values() for b in group]
        for bell in bells:
            bell.ring()

    def close(self) -> None:
        """Shutting down: every waiter returns now, and later ones wait no more."""
        with self._lock:
            self.closed = True
            self._quiet.clear()
            bells = [b for group in self._waiting.values() for b in group]
        for bell in bells:
            bell.close()


__all__ = ["Bell", "CaseBells", "Doorbell", "QuietMark"]
