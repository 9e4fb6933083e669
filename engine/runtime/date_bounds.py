"""Plausible ranges for date fields of a form: the keywords ``formatMinimum`` and
``formatMaximum`` (the names ajv-formats gives them) on a ``"format": "date"`` field.

A bound is an ISO date (``"1900-01-01"``), ``"today"``, or ``"today"`` with a signed ISO
period of years, months and/or days (``"today-P130Y"``, ``"today+P2M"``). A birth date is
declared ``{"format": "date", "formatMinimum": "today-P130Y", "formatMaximum": "today"}``.
Bounds are checked when a form is deployed (:func:`problems`) and applied when data are
validated (engine.services.forms).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import Any

KEYWORDS = ("formatMinimum", "formatMaximum")
_RELATIVE = re.compile(r"today(?:(?P<sign>[+-])P(?:(?P<y>\d{1,4})Y)?(?:(?P<m>\d{1,4})M)?(?:(?P<d>\d{1,6})D)?)?")


def resolve(bound: Any, today: date) -> date:
    """The date a bound stands for on ``today``; ValueError when it is no bound."""
    if not isinstance(bound, str):
        raise ValueError(f"a date bound must be a string, got {bound!r}")
    match = _RELATIVE.fullmatch(bound.strip())
    if match is None:
        return date.fromisoformat(bound.strip())
    if match["sign"] is None:
        return today
    years, months, days = (int(match[k] or 0) for k in ("y", "m", "d"))
    if not (years or months or days):
        raise ValueError(f"date bound {bound!r}: the period after 'today' is empty")
    sign = 1 if match["sign"] == "+" else -1
    total = today.year * 12 + today.month - 1 + sign * (years * 12 + months)
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise ValueError(f"date bound {bound!r} leaves the calendar")
    moved = date(year, month + 1, min(today.day, calendar.monthrange(year, month + 1)[1]))
    return moved + sign * timedelta(days=days)


def problems(schema: Any, path: str = "") -> list[str]:
    """Deploy check: every bound in a form must be readable and sit on a date field."""
    found: list[str] = []
    if isinstance(schema, dict):
        for keyword in KEYWORDS:
            if keyword in schema:
                where = f"{path or 'form'}: {keyword}"
                if schema.get("format") != "date":
                    found.append(f"{where} applies only to fields with \"format\": \"date\"")
                try:
                    resolve(schema[keyword], date.today())
                except (ValueError, OverflowError) as exc:
                    found.append(f"{where}: {exc} (expected an ISO date, 'today' or e.g. 'today-P130Y')")
        for key, value in schema.items():
            if key not in ("const", "enum", "default", "examples"):
                found += problems(value, f"{path}/{key}" if path else key)
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            found += problems(value, f"{path}/{index}")
    return found
