"""Limits on what a model may ask SpiffWorkflow for in one go, checked at deploy time where
the model spells out a literal and at run time before the library acts on a value.

SpiffWorkflow expands a parallel multi-instance activity into all its instances inside one
call (a ``loopCardinality`` of 1,000,000,000 allocated until memory ran out) and turns a
timer duration into days month by month (``P999999999Y`` iterated for minutes). Neither
returns to the engine's step counter, so the command budget cannot stop them: the values
are checked first. The limits are those of the running command
(:func:`engine.runtime.budget.current_limits`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sized
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

from engine.runtime import budget
from engine.runtime import spiff_seam

__all__ = ["TimerTooLong", "bound_multi_instance", "check_duration", "duration_delta", "instance_count_problem",
           "literal_text", "timer_literal_problem"]


class TimerTooLong(ValueError):
    """A timer value beyond AMTSFLOW_MAX_TIMER_YEARS; the English reason is the message."""


# ----------------------------------------------------------------------------- timers
def check_duration(parsed: dict[str, float], text: str = "") -> None:
    """Refuse an ISO-8601 duration (SpiffWorkflow's parsed form) longer than the limit, before
    anything iterates over its months."""
    years = budget.current_limits().timer_years
    months = parsed.get("years", 0) * 12 + parsed.get("months", 0)
    days = parsed.get("weeks", 0) * 7 + parsed.get("days", 0)
    seconds = parsed.get("hours", 0) * 3600 + parsed.get("minutes", 0) * 60 + parsed.get("seconds", 0)
    if months / 12 + days / 365 + seconds / (365 * 86400) > years:
        raise TimerTooLong(f"timer duration {text or parsed!r} is longer than {years} years "
                           "(limit AMTSFLOW_MAX_TIMER_YEARS)")


def duration_delta(text: str, start: datetime) -> timedelta:
    """An ISO-8601 duration from ``start`` (calendar months), refused beyond the limit."""
    parsed = TimerEventDefinition.parse_iso_duration(text)
    check_duration(parsed, text)
    delta: timedelta = TimerEventDefinition.get_timedelta_from_start(parsed, start)
    return delta


def check_date(value: datetime, now: datetime, text: str = "") -> None:
    years = budget.current_limits().timer_years
    if value.tzinfo is not None and now.tzinfo is not None and (value - now).days > years * 366:
        raise TimerTooLong(f"timer date {text or value.isoformat()} is more than {years} years ahead "
                           "(limit AMTSFLOW_MAX_TIMER_YEARS)")


def literal_text(expression: str) -> str | None:
    """The text of an expression that is a plain string literal (``"PT1H"``), else None."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return None
    body = tree.body
    return body.value if isinstance(body, ast.Constant) and isinstance(body.value, str) else None


def timer_literal_problem(kind: str, expression: str, now: datetime) -> str | None:
    """Deploy check of a literal timer value (``timeDuration``/``timeDate``/``timeCycle``)."""
    text = literal_text(expression)
    if text is None:
        return None  # computed at run time: checked there
    try:
        if kind == "timeCycle":
            parts = text.upper().replace("--", "/").split("/")
            for part in parts[1:]:
                if part.startswith("P"):
                    parsed = TimerEventDefinition.parse_iso_duration(part)
                    check_duration(parsed, part)
                    if TimerEventDefinition.get_timedelta_from_start(parsed, now) <= timedelta(0):
                        return f"timer cycle {text!r} repeats after zero time"
        elif text.upper().startswith("P"):
            check_duration(TimerEventDefinition.parse_iso_duration(text), text)
        else:
            check_date(datetime.fromisoformat(text), now, text)
    except TimerTooLong as exc:
        return str(exc)
    except Exception:  # noqa: BLE001 - SpiffWorkflow's parsers raise bare Exception / ValueError
        return f"timer value {text!r} is not an ISO-8601 {'cycle' if kind == 'timeCycle' else 'date-time or duration'}"
    return None


# ----------------------------------------------------------------------------- multi-instance
def instance_count_problem(expression: str) -> str | None:
    """Deploy check of a literal ``loopCardinality``."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return None  # the expression checker reports it
    body = tree.body
    sign = 1
    if isinstance(body, ast.UnaryOp) and isinstance(body.op, (ast.USub, ast.UAdd)):
        sign, body = (-1 if isinstance(body.op, ast.USub) else 1), body.operand
    if isinstance(body, ast.Constant) and isinstance(body.value, int) and not isinstance(body.value, bool):
        return _count_problem(sign * body.value)
    return None


def _count_problem(count: int) -> str | None:
    if count < 0:
        return f"multi-instance activity with {count} instances; loopCardinality must not be negative"
    limit = budget.current_limits().instances
    if count > limit:
        return (f"multi-instance activity with {count} instances; at most {limit} are allowed "
                "(limit AMTSFLOW_MAX_INSTANCES)")
    return None


class _BoundedInstances:
    """Checks the number of instances before SpiffWorkflow creates any of them (parallel: all at
    once in create_children; sequential: one by one in add_next_child)."""

    def create_children(self, my_task: Any) -> Any:
        spec: Any = self
        if spec.data_input is not None:
            if not spec.data_input.exists(my_task):   # as the sequential loop says it (not a TypeError)
                spec.raise_data_exception("Missing data input for multiinstance task", my_task)
            items: Any = spec.data_input.get(my_task)
            if not isinstance(items, Iterable):        # null, a number: as the sequential loop says it
                spec.raise_data_exception("Multiinstance data input must be iterable", my_task)
            count = len(items) if isinstance(items, Sized) else 0
        elif spec.cardinality is None:
            count = 0  # neither a collection nor a count: SpiffWorkflow reports what is missing
        else:
            count = my_task.workflow.script_engine.evaluate(my_task, spec.cardinality)
        _check_count(count, my_task)
        return super().create_children(my_task)  # type: ignore[misc]

    def add_next_child(self, my_task: Any) -> Any:
        internal = my_task.internal_data
        _check_count(internal["cardinality"] if "cardinality" in internal else len(internal.get("remaining", ())),
                     my_task)
        return super().add_next_child(my_task)  # type: ignore[misc]


def _check_count(count: Any, my_task: Any) -> None:
    if not isinstance(count, int) or isinstance(count, bool):
        raise WorkflowTaskException(f"loopCardinality gave {count!r}, not a whole number", task=my_task)
    problem = _count_problem(count)
    if problem is not None:
        raise WorkflowTaskException(problem, task=my_task)


class _BoundedNesting:
    """Refuses to start a call activity's or sub-process's workflow deeper than the limit: a
    process calling itself nests until the budget ends it, and each level costs more."""

    def start_workflow(self, my_task: Any) -> Any:
        limit = budget.current_limits().call_depth
        depth, workflow = 0, my_task.workflow
        while workflow is not None and workflow is not workflow.top_workflow:
            depth += 1
            workflow = getattr(workflow, "parent_workflow", None)
        if depth >= limit:
            my_task.error()
            raise WorkflowTaskException(f"call activities and sub-processes nested deeper than {limit} levels (a "
                                        "process calling itself?); limit AMTSFLOW_MAX_CALL_DEPTH", task=my_task)
        return super().start_workflow(my_task)  # type: ignore[misc]


_BOUNDED: dict[tuple[type, type], type] = {}


def _bounded_class(mixin: type, cls: type) -> type:
    bounded = _BOUNDED.get((mixin, cls))
    if bounded is None:
        bounded = _BOUNDED[mixin, cls] = type(f"Bounded{cls.__name__}", (mixin, cls), {"__module__": __name__})
    return bounded


def bound_multi_instance(task_spec: Any) -> None:
    """Swap a parsed multi-instance, call activity or sub-process task spec's class for its
    bounded twin (specs are re-parsed from stored sources, never serialised by us)."""
    if isinstance(task_spec, MultiInstanceTask) and not isinstance(task_spec, _BoundedInstances):
        spiff_seam.retype(task_spec, _bounded_class(_BoundedInstances, type(task_spec)))
    if isinstance(task_spec, SubWorkflowTask) and not isinstance(task_spec, _BoundedNesting):
        spiff_seam.retype(task_spec, _bounded_class(_BoundedNesting, type(task_spec)))
