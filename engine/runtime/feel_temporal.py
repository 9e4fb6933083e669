"""FEEL's temporal values in decision tables (``date("2024-01-01")``, ``time("10:00:00")``,
``date and time("2024-01-01T10:00:00")``, ``duration("P1D")``), compared as Camunda 7's FEEL
engine (feel-scala) compares them, with the engine's JSON variables.

feel-scala compares two values only when they have the same type (a date with a date, a local
date and time with a local date and time, a days-time duration with a days-time duration ...);
any other pair is null, and an input entry that is null does not match (DecisionTableEvaluation-
Handler.isConditionApplicable). A comparison with a null input is null, equality with null false.

Variables here are JSON, so a date arrives as an ISO text (what forms deliver: ``"2024-05-03"``).
Where Camunda would hold a ``java.util.Date``, this engine holds that text; the rule: **an input
that is a text is read as the type of the literal it is compared with, when it is written in
that type's ISO form** (``"2024-05-03"`` as a date, ``"2024-05-03T10:00:00"`` as a date and time,
``"10:00:00"`` as a time, ``"P3D"`` as a duration); a date alone compared with a date and time is
midnight of that day (what a Camunda date form field stores). A text in another form, a date and
time compared with a date, a value with a zone offset compared with one without (feel-scala: two
types), a number or any other value: null, so the rule does not match (never an error).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

__all__ = ["KINDS", "LITERAL", "compare", "iso_text", "literal_value", "mentions_temporal"]

KINDS = ("date and time", "date", "time", "duration")
# One temporal literal: the function applied to one string (FEEL allows only this form here).
LITERAL = re.compile(r'(date\s+and\s+time|date|time|duration)\s*\(\s*"([^"\\]*)"\s*\)')
_CALL = re.compile(r"\b(?:date\s+and\s+time|date|time|duration)\s*\(")
_STRING = re.compile(r'"(?:\\.|[^"\\])*"')
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})?")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})?")
_DAYS_TIME = re.compile(r"(-)?P(?!$)(?:(\d+)D)?(?:T(?!$)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")
_YEARS_MONTHS = re.compile(r"(-)?P(?!$)(?:(\d+)Y)?(?:(\d+)M)?")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}

Typed = tuple[str, Any]   # (FEEL type, a Python value comparable with others of that type)


def mentions_temporal(text: str) -> bool:
    """Whether ``text`` calls one of FEEL's temporal functions (outside strings)."""
    return _CALL.search(_STRING.sub('""', text)) is not None


def _kind(name: str) -> str:
    return " ".join(name.split())


def _zoned(value: time | datetime) -> str:
    return "+zone" if value.tzinfo is not None else ""


def _from_text(kind: str, text: str) -> Typed | None:
    """``text`` as a value of the FEEL type ``kind`` (None when it is not written as one)."""
    text = text.strip()
    try:
        if kind == "date" and _DATE.fullmatch(text):
            return ("date", date.fromisoformat(text))
        if kind == "time" and _TIME.fullmatch(text):
            value = time.fromisoformat(_micro(text))
            return ("time" + _zoned(value), value)
        if kind == "date and time" and _DATE_TIME.fullmatch(text):
            moment = datetime.fromisoformat(_micro(text))
            return ("date and time" + _zoned(moment), moment)
    except ValueError:
        return None
    if kind == "duration":
        return _duration(text)
    return None


def _micro(text: str) -> str:
    """ISO text with at most six fraction digits (Python's limit; FEEL allows nanoseconds)."""
    return re.sub(r"\.(\d{6})\d+", r".\1", text)


def _duration(text: str) -> Typed | None:
    days_time = _DAYS_TIME.fullmatch(text)
    if days_time is not None:
        sign, d, h, m, s = days_time.groups()
        span = timedelta(days=int(d or 0), hours=int(h or 0), minutes=int(m or 0), seconds=float(s or 0))
        return ("days and time duration", -span if sign else span)
    years_months = _YEARS_MONTHS.fullmatch(text)
    if years_months is not None:
        sign, y, m = years_months.groups()
        months = int(y or 0) * 12 + int(m or 0)
        return ("years and months duration", -months if sign else months)
    return None


@lru_cache(maxsize=1024)
def literal_value(kind: str, text: str) -> Typed | None:
    """The value of the FEEL literal ``kind("text")``; None when the text is no such value."""
    return _from_text(_kind(kind), text)


def _input(value: Any, kind: str) -> Typed | None:
    """An input value as a FEEL temporal value to compare with a literal of ``kind`` (module rule)."""
    if isinstance(value, str):
        found = _from_text(kind, value)
        if found is None and kind == "date and time" and _DATE.fullmatch(value.strip()):
            found = _from_text(kind, value.strip() + "T00:00:00")   # a date alone: its midnight
        return found
    if isinstance(value, datetime):
        return ("date and time" + _zoned(value), value)
    if isinstance(value, date):
        return ("date", value)
    if isinstance(value, time):
        return ("time" + _zoned(value), value)
    if isinstance(value, timedelta):
        return ("days and time duration", value)
    return None


def compare(op: str, value: Any, kind: str, text: str) -> bool | None:
    """FEEL's ``value op kind("text")``: True or False, None (FEEL null) where feel-scala cannot
    compare the two; equality with a null input is False (FEEL: null is no date)."""
    literal = literal_value(kind, text)
    if op not in _OPS or literal is None:
        return None
    if value is None:
        return False if op == "==" else None
    found = _input(value, _kind(kind))
    if found is None or found[0] != literal[0]:
        return None
    try:
        return bool(_OPS[op](found[1], literal[1]))
    except TypeError:   # aware times of different kinds; never an incident
        return None


def iso_text(kind: str, text: str) -> str | None:
    """The JSON form of an output entry's temporal literal: its ISO text (None when invalid)."""
    return text.strip() if literal_value(kind, text) is not None else None
