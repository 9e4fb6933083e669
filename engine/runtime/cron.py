"""Quartz cron expressions in timer cycles, as Camunda 7 and Flowable run them.

``<timeCycle>0 0 8 ? * MON-FRI</timeCycle>`` (seconds, minutes, hours, day of month, month,
day of week, optional year) fires at the wall-clock times it describes, in the authority's
time zone (``Settings.timezone``, Europe/Berlin: a Flowable or Camunda server of a German
authority runs in that zone). Each next due time is the first time the expression matches after
the previous one (a start timer, a repeating boundary or event sub-process timer), or after the
moment the timer starts waiting (the first); it repeats without end. croniter (pinned in
pyproject.toml) computes the times; Quartz's notation is translated onto it:

* ``?`` (no specific value) is ``*``; day-of-week numbers are Quartz's 1-7 = SUN-SAT (croniter
  counts 0-6), also in ranges, lists, ``6#3`` (the third Friday) and ``6L`` (the last Friday);
  names (``MON-FRI``) stay; ``L`` as the day of month is the last day.
* Refused (ValueError, so at deploy for a literal, as an incident for an expression's value):
  a year field other than ``*``/``?`` (Quartz's years; Flowable fails on a year that is over),
  both a day of month and a day of week (Quartz refuses them too), ``W`` (nearest weekday),
  ``L-n`` offsets, and anything croniter does not read.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

__all__ = ["is_cron", "next_fire", "translate"]

_ANY = {"*", "?"}


def is_cron(text: str) -> bool:
    """A value of 6 or 7 fields separated by blanks (ISO 8601 timers have no blanks)."""
    return isinstance(text, str) and len(text.split()) in (6, 7)


def translate(text: str) -> str:
    """The croniter expression (seconds first) of a Quartz cron expression. Raises ValueError."""
    fields = text.split()
    if len(fields) not in (6, 7):
        raise ValueError(f"{text!r} is not a cron expression (seconds minutes hours day-of-month month day-of-week)")
    if len(fields) == 7 and fields[6] not in _ANY:
        raise ValueError(f"cron {text!r}: a year field is not supported; leave it out")
    sec, minute, hour, dom, month, dow = fields[:6]
    if dom not in _ANY and dow not in _ANY:
        raise ValueError(f"cron {text!r}: give either a day of month or a day of week and '?' for the other "
                         "(as Quartz requires)")
    if "W" in dom.upper() or re.search(r"L-\d", dom.upper()):
        raise ValueError(f"cron {text!r}: 'W' (nearest weekday) and 'L-n' are not supported")
    result = " ".join([sec, minute, hour, "*" if dom in _ANY else dom, month,
                       "*" if dow in _ANY else _croniter_weekdays(dow)])
    from croniter import croniter   # imported where a cron is read: most models have none

    if not croniter.is_valid(result, second_at_beginning=True):
        raise ValueError(f"cron {text!r} is not a valid Quartz cron expression")
    return result


def _croniter_weekdays(field: str) -> str:
    """Quartz day-of-week numbers (1 = SUN ... 7 = SAT) as croniter's (0 = SUN ... 6 = SAT)."""
    last = re.fullmatch(r"(\d)L", field.upper())
    if last:   # the last such weekday of the month: croniter writes L and the day
        return "L" + _weekday(int(last.group(1)))
    # numbers that name weekdays: not the step after '/' nor the n of '#n'
    return re.sub(r"(?<![/#\d])\d+", lambda match: _weekday(int(match.group(0))), field)


def _weekday(number: int) -> str:
    if not 1 <= number <= 7:
        raise ValueError(f"day of week {number} is not between 1 (SUN) and 7 (SAT)")
    return str(number - 1)


def next_fire(text: str, after: datetime, zone: str) -> datetime:
    """The first time after ``after`` that the Quartz expression ``text`` matches, in ``zone``,
    as UTC. Raises ValueError."""
    from croniter import croniter

    local = (after if after.tzinfo else after.replace(tzinfo=timezone.utc)).astimezone(ZoneInfo(zone))
    try:
        found: datetime = croniter(translate(text), local, second_at_beginning=True).get_next(datetime)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - croniter raises its own error classes
        raise ValueError(f"cron {text!r}: no next time ({exc})") from None
    return found.astimezone(timezone.utc)
