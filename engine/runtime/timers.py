"""ISO-8601 timer values (what every modeler writes) -> due times, for the scheduler and due dates."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.runtime.bounded import check_duration, duration_delta

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def due_from(value: str, now: datetime) -> datetime:
    """A date-time (naive -> UTC of ``now``'s zone), a date, or a duration counted from ``now``."""
    text = value.strip()
    if text.upper().startswith("P"):
        return now + duration_delta(text, now)
    due = datetime.fromisoformat(text)
    return due if due.tzinfo else due.replace(tzinfo=now.tzinfo)


def person_deadline(value: str, now: datetime, zone: str) -> datetime:
    """A deadline for a person (a user task's due or follow-up date): a date without a time ends with
    that day in the local ``zone`` (23:59:59, as "bis 16.12.2026" means), not at midnight UTC; a
    date-time and a duration keep their exact moment (as in Camunda: ``P3D`` is three days from now)."""
    text = value.strip()
    if not _DATE_ONLY.match(text):
        return due_from(text, now)
    day = date.fromisoformat(text)
    return datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(zone)).astimezone(now.tzinfo or timezone.utc)


def first_firing(value: str, now: datetime) -> tuple[datetime, int, float]:
    """A start timer's first due time, the firings left after it (-1: endless) and the
    seconds between firings."""
    text = value.strip()
    if text.upper().startswith("R"):
        parts = text.upper().split("/")
        cycles = int(parts[0][1:]) if parts[0][1:] else -1
        left = cycles - 1 if cycles > 0 else -1
        if len(parts) == 2:
            step = duration_delta(parts[1], now)
            return now + step, left, step.total_seconds()
        for part in parts[1:]:
            if part.startswith("P"):
                check_duration(TimerEventDefinition.parse_iso_duration(part), part)
        _, start, step = TimerEventDefinition.parse_iso_recurring_interval(text)
        if step <= timedelta(0):
            raise ValueError(f"timer cycle {value!r} repeats after zero time")
        if start < now:  # catch up to the first firing that is not in the past (without a loop)
            start += step * -((start - now) // step)
        return start, left, step.total_seconds()
    parsed = TimerEventDefinition.parse_time_or_duration(text)
    if isinstance(parsed, datetime):
        return parsed, 0, 0.0
    return now + duration_delta(text, now), 0, 0.0


__all__ = ["due_from", "first_firing"]
