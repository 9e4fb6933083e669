"""What one command may use: engine steps, CPU time, bytes of stored state, and the size of
what a model may ask for (multi-instance counts, timer durations).

Every command (start, complete, message, job) runs under one :class:`Budget`, kept in a
context variable so that code deep inside SpiffWorkflow's callbacks (the step counter, the
safe evaluator's clock, multi-instance and timer checks) sees the same limits and deadline
without threading them through the library. A command that runs out ends with
:class:`BudgetExceeded` (a :class:`WorkflowFailure`: the case fails with an incident) within
about one step of the limit, so a lock it holds is released soon after.

The time limit counts the CPU time of the thread that runs the command, not wall time: on a
loaded server (many web threads and workers on few cores, a backup running) a command that
needs 20 ms of CPU may take a second of wall time waiting for a core or for the database, and
an incident for that would stop an ordinary case for nothing. What makes a model a runaway is
the work it does, and that is CPU time. Waiting (for the database, for a bean's connector) is
bounded separately: a command may not run longer than :data:`WALL_FACTOR` times its limit in
wall time, a safety net that only a machine overloaded by that factor reaches with a sound
model.

:func:`stored_size` measures data as JSON would store it, counting a shared value each time
it is reached (as the serialiser writes it), without building that text: a list of 1,000
references to a list of 1,000 one-megabyte strings measures about 1 TB in microseconds.

The limits come from :class:`engine.settings.Settings` (``AMTSFLOW_MAX_*``); the defaults
here are the production defaults.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import monotonic, thread_time
from threading import get_ident
from typing import Any
from uuid import UUID

from engine.domain.errors import WorkflowFailure

__all__ = ["Budget", "BudgetExceeded", "Limits", "Unmeasurable", "Unstorable", "command", "current", "current_limits",
           "deadline", "stored_size", "WALL_FACTOR"]


@dataclass(frozen=True)
class Limits:
    """Production defaults; :meth:`engine.settings.Settings.limits` reads the overrides."""

    steps: int = 20_000                 # engine steps (tasks run) per command
    seconds: float = 1.0                # CPU time per command for stepping and scripts (wall: WALL_FACTOR times)
    state_bytes: int = 16 * 1024 ** 2   # stored size of a case's data / of one script's results
    instances: int = 1_000              # multi-instance count (loopCardinality, input collection)
    timer_years: int = 200              # longest timer duration (also retention periods)
    data_depth: int = 64                # nesting depth of stored data (lists/dicts in lists/dicts)
    call_depth: int = 20                # nesting of call activities and sub-processes in one case

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not value > 0:
                raise ValueError(f"limit {name} must be positive, not {value!r}")


class BudgetExceeded(WorkflowFailure):
    """A command used up its budget: the case fails with an incident an operator can retry."""

    user_message = ("Der Vorgang wurde angehalten, weil ein Bearbeitungsschritt zu aufwendig war. "
                    "Die Fachadministration wurde informiert.")


class Unstorable(Exception):
    """Data that cannot be stored (an iterator, a cycle, nesting too deep); English reason."""


class Unmeasurable(Unstorable):
    """Data nested too deep or containing itself: nothing can store, compare or print it."""


WALL_FACTOR = 5   # a command's wall time may be this many times its CPU time limit


class Budget:
    """Steps and time left to one command: CPU time of the thread that runs it, with a wall
    time safety net (``deadline``, :data:`WALL_FACTOR` times the limit)."""

    __slots__ = ("limits", "steps", "started", "deadline", "thread", "cpu_deadline", "printed")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.steps = 0
        self.started = monotonic()
        self.deadline = self.started + limits.seconds * WALL_FACTOR
        self.thread = get_ident()
        self.cpu_deadline = thread_time() + limits.seconds
        self.printed = 0   # lines the command's scripts printed (engine.runtime._safe_limits.print_line)

    def step(self) -> None:
        """Count one engine step; raise once the steps or the time are used up."""
        self.steps += 1
        if self.steps > self.limits.steps:
            raise BudgetExceeded(
                f"more than {self.limits.steps} engine steps in one command without reaching a wait state "
                "(endless loop in the model?); limit AMTSFLOW_MAX_STEPS")
        self.check_time()

    def check_time(self) -> None:
        now = monotonic()
        # A thread cannot have used more CPU time than the wall time since the budget began
        # (``started`` is read before the thread's clock): until that passed the limit, the
        # thread's clock (a system call, unlike the monotonic clock) need not be read.
        if now - self.started > self.limits.seconds and get_ident() == self.thread \
                and thread_time() > self.cpu_deadline:
            raise BudgetExceeded(
                f"the command ran longer than {self.limits.seconds:g} s of CPU time without reaching a wait state "
                f"({self.steps} engine steps; endless loop or too much work in one step?); "
                "limit AMTSFLOW_MAX_COMMAND_SECONDS")
        if now > self.deadline:
            raise BudgetExceeded(
                f"the command ran longer than {self.limits.seconds * WALL_FACTOR:g} s of wall time "
                f"({WALL_FACTOR} times its CPU time limit) without reaching a wait state ({self.steps} engine steps; "
                "waiting for the database or a bean's connector, or a machine overloaded that much?); "
                "limit AMTSFLOW_MAX_COMMAND_SECONDS")

    def cpu_deadline_here(self) -> float | None:
        """The command's CPU deadline on this thread's clock (``time.thread_time()`` scale);
        None on another thread."""
        return self.cpu_deadline if get_ident() == self.thread else None

    def cpu_left(self) -> float | None:
        """Seconds of CPU time left on this thread's clock; None on another thread (a bean
        call's), whose clock says nothing about the command's."""
        if get_ident() != self.thread:
            return None
        return self.cpu_deadline - thread_time()


_CURRENT: ContextVar[Budget | None] = ContextVar("amtsflow_budget", default=None)


@contextmanager
def command(limits: Limits) -> Iterator[Budget]:
    """The budget of one command; a command started inside another (a case started by a
    message inside a correlation) shares the outer one."""
    outer = _CURRENT.get()
    if outer is not None:
        yield outer
        return
    budget = Budget(limits)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def current() -> Budget | None:
    return _CURRENT.get()


def current_limits() -> Limits:
    """The running command's limits, or the defaults outside a command."""
    budget = _CURRENT.get()
    return budget.limits if budget is not None else _DEFAULTS


def deadline() -> float | None:
    """The running command's wall-time safety net (``time.monotonic()`` scale), None outside a command."""
    budget = _CURRENT.get()
    return budget.deadline if budget is not None else None


_DEFAULTS = Limits()

# What SpiffWorkflow's serialiser writes for these (its registry turns them into small dicts).
_REGISTERED = {datetime: 60, timedelta: 40, UUID: 60}
_CONTAINERS = frozenset({dict, list, tuple, set, frozenset})
_BASES = (str, bool, int, float, dict, list, tuple, set, frozenset, datetime, timedelta, UUID)
_KNOWN = frozenset({*_BASES, type(None)})
_KEYS = (int, float, bool, type(None))  # dict keys JSON turns into text


def _text_size(text: str) -> int:
    """Length of ``json.dumps(text)`` (ASCII escapes, as the serialiser writes it)."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return len(text) + 2
    return len(json.dumps(text))


def stored_size(value: Any, limit: int, *, max_depth: int = Limits.data_depth) -> int:
    """Bytes of ``value`` as JSON (shared values counted each time they are reached).

    Stops early and returns a number above ``limit`` once the limit is passed; raises
    :class:`Unstorable` for values JSON cannot hold (iterators, functions, dates, bytes ...),
    reference cycles and nesting deeper than ``max_depth``. Each distinct container is
    measured once (a memo by identity), so shared structures cost their distinct size."""
    memo: dict[int, tuple[int, int]] = {}   # id -> (size, levels of nesting below)
    active: set[int] = set()
    deepest = 0

    def size(item: Any, depth: int) -> int:
        nonlocal deepest
        kind = type(item)
        if kind not in _KNOWN:  # subclasses (an e-mail header is a str) are stored as their base
            kind = next((base for base in _BASES if isinstance(item, base)), kind)
        if kind is str:
            if len(item) < 256:
                return _text_size(item)
            known = memo.get(id(item))  # a long text shared many times is measured once
            if known is None:
                known = memo[id(item)] = (_text_size(item), 0)
            return known[0]
        if item is None or kind is bool:
            return 5
        if kind is int:
            return len(str(item)) if -10**18 < item < 10**18 else math.ceil(item.bit_length() * 0.302) + 2
        if kind is float:
            if not math.isfinite(item):
                raise Unstorable(f"the number {item!r} cannot be stored (JSON has no NaN or Infinity)")
            return len(repr(item))
        if kind in _REGISTERED:
            return _REGISTERED[kind]
        if kind not in _CONTAINERS:
            hint = " (turn it into a list first, e.g. list(...))" if hasattr(item, "__next__") or kind is range else ""
            raise Unstorable(f"a value of type {kind.__name__} cannot be stored{hint}")
        key = id(item)
        known = memo.get(key)
        if known is not None:
            deepest = max(deepest, depth + known[1])
            if deepest > max_depth:
                raise Unmeasurable(f"the data is nested more than {max_depth} levels deep")
            return known[0]
        if key in active:
            raise Unmeasurable("the data refers to itself (a list or dict contains itself)")
        if depth >= max_depth:
            raise Unmeasurable(f"the data is nested more than {max_depth} levels deep")
        active.add(key)
        outer, deepest = deepest, depth + 1   # deepest: the deepest level inside this container
        total = 2
        if kind is dict:
            for name, element in item.items():
                if isinstance(name, str):
                    total += _text_size(name) + 2
                elif isinstance(name, _KEYS) and not (isinstance(name, float) and not math.isfinite(name)):
                    total += len(str(name)) + 4
                else:
                    raise Unstorable(f"a dict key of type {type(name).__name__} cannot be stored")
                total += size(element, depth + 1)
                if total > limit:
                    break
        else:
            for element in item:
                total += size(element, depth + 1) + 1
                if total > limit:
                    break
        active.discard(key)
        if total <= limit:  # an early stop is not the value's size: only complete sizes are reused
            memo[key] = (total, deepest - depth)
        deepest = max(outer, deepest)
        return total

    return size(value, 0)
