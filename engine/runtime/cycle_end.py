"""Flowable's end date of a timer cycle (``<timeCycle flowable:endDate="...">R5/PT10S</timeCycle>``).

As Flowable's TimerEventDefinition endDate (TimerUtil, CycleBusinessCalendar.validateDuedate):

* The end date is an ISO 8601 date-time or date (``2025-12-12T00:00:05``; without a zone it is
  UTC, the engine's zone) or an expression yielding one (``${endDate}``; null: no end). It is
  evaluated once, when the timer starts waiting (Flowable: when the timer job is created).
* It is checked only when the cycle would fire again: after a firing, a next due time after
  the end date is not scheduled and the cycle ends (a due time equal to it still fires). The
  first firing is always scheduled, so a timer that fires once (an intermediate catch event,
  an interrupting boundary event: engine.runtime.specs.ClockCycle) ignores it, as in Flowable.
* On a process's timer start event it is evaluated at deployment, as the cycle itself
  (engine.services.schedules), and ends the scheduler's firings the same way.

The Flowable normaliser (:func:`translate`) keeps it, translated into a safe expression, in the
attribute :data:`END_ATTRIBUTE` of the ``timeCycle``; the parser puts it onto the cycle's event
definition (:func:`attach`); the element infos keep it for start events (``ElementInfo.timer_end``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any, Callable

from lxml import etree

from engine.runtime import juel
from engine.runtime.namespaces import tag

__all__ = ["END_ATTRIBUTE", "attach", "attached", "definitions", "end_of", "expression_of", "translate"]

END_ATTRIBUTE = "{urn:amtsflow:flowable}endDate"
_SPEC_ATTRIBUTE = "cycle_end"
Fail = Callable[[etree._Element, str], None]


def translate(node: etree._Element, value: str, fail: Fail) -> None:
    """``node``: the element that carries ``flowable:endDate``. Only a ``timeCycle`` has one."""
    if node.tag != tag("timeCycle"):
        fail(node, "flowable:endDate: an end date belongs to a timer cycle (<timeCycle flowable:endDate=..>)")
        return
    text = value.strip()
    if not text:
        return
    try:
        if juel.is_juel(text):
            node.set(END_ATTRIBUTE, juel.translate(text))
            return
        end_of(text)
    except (juel.JuelError, ValueError) as exc:
        fail(node, f"flowable:endDate {text!r}: {exc}")
        return
    node.set(END_ATTRIBUTE, repr(text))


def end_of(value: Any) -> datetime | None:
    """The end date an endDate value stands for (None: no end). Raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=timezone.utc)
    if not isinstance(value, str):
        raise ValueError(f"an end date is an ISO 8601 date-time such as 2026-12-31T23:59:59, not {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time such as 2026-12-31T23:59:59") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def expression_of(cycle: etree._Element) -> str | None:
    """The translated end-date expression of a ``timeCycle`` element, if any."""
    return cycle.get(END_ATTRIBUTE) or None


def definitions(root: etree._Element) -> dict[str, str]:
    """Event id -> the end-date expression of its timer cycle."""
    found: dict[str, str] = {}
    for cycle in root.iter(tag("timeCycle")):
        expression = expression_of(cycle)
        definition = cycle.getparent()
        event = definition.getparent() if definition is not None else None
        if expression is not None and event is not None and event.get("id"):
            found[event.get("id", "")] = expression
    return found


def attach(event_definition: Any, expression: str) -> None:
    """Specs are re-parsed from the stored deployment: the expression never enters a case's state."""
    setattr(event_definition, _SPEC_ATTRIBUTE, expression)


def attached(event_definition: Any) -> str | None:
    return getattr(event_definition, _SPEC_ATTRIBUTE, None)
