"""ISO-8601 timer values (what every modeler writes) -> due times, for the scheduler and due dates."""

from __future__ import annotations

from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition


def due_from(value: str, now: datetime) -> datetime:
    """A date-time (naive -> UTC of ``now``'s zone), a date, or a duration counted from ``now``."""
    text = value.strip()
    if text.upper().startswith("P"):
        duration = TimerEventDefinition.parse_iso_duration(text)
        step: timedelta = TimerEventDefinition.get_timedelta_from_start(duration, now)
        return now + step
    due = datetime.fromisoformat(text)
    return due if due.tzinfo else due.replace(tzinfo=now.tzinfo)


def first_firing(value: str, now: datetime) -> tuple[datetime, int, float]:
    """A start timer's first due time, the firings left after it (-1: endless) and the
    seconds between firings."""
    text = value.strip()
    if text.upper().startswith("R"):
        parts = text.upper().split("/")
        cycles = int(parts[0][1:]) if parts[0][1:] else -1
        left = cycles - 1 if cycles > 0 else -1
        if len(parts) == 2:
            step = TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(parts[1]), now)
            return now + step, left, step.total_seconds()
        _, start, step = TimerEventDefinition.parse_iso_recurring_interval(text)
        while start < now:  # catch up to the first firing that is not in the past
            start += step
        return start, left, step.total_seconds()
    parsed = TimerEventDefinition.parse_time_or_duration(text)
    if isinstance(parsed, datetime):
        return parsed, 0, 0.0
    return now + TimerEventDefinition.get_timedelta_from_start(parsed, now), 0, 0.0


__all__ = ["due_from", "first_firing"]
