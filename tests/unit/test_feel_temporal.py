"""FEEL's temporal literals compared with decision-table inputs (engine.runtime.feel_temporal):
feel-scala compares values of one type only; JSON inputs are ISO texts, read as the literal's type."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from engine.runtime.feel_temporal import compare, iso_text, literal_value, mentions_temporal


@pytest.mark.parametrize(("op", "value", "kind", "literal", "expected"), [
    ("<", "2023-12-31", "date", "2024-01-01", True),
    ("<", "2024-05-03", "date", "2024-01-01", False),
    ("==", "2024-01-01", "date", "2024-01-01", True),
    (">=", date(2024, 1, 1), "date", "2024-01-01", True),
    ("<", "2024-01-01T09:59:59", "date and time", "2024-01-01T10:00:00", True),
    ("<", "2024-01-01", "date and time", "2024-01-01T10:00:00", True),      # a date alone: its midnight
    ("==", "2024-01-01T10:00:00+01:00", "date and time", "2024-01-01T09:00:00Z", True),
    ("<", "09:30:00", "time", "10:00:00", True),
    (">", "P2D", "duration", "P1D", True),
    (">", "PT36H", "duration", "P1D", True),
    ("==", "P1Y", "duration", "P12M", True),
    (">", timedelta(hours=25), "duration", "P1D", True),
])
def test_inputs_compare_as_the_literal_type(op: str, value: object, kind: str, literal: str, expected: bool) -> None:
    assert compare(op, value, kind, literal) is expected


@pytest.mark.parametrize(("op", "value", "kind", "literal"), [
    ("<", "03.05.2024", "date", "2024-01-01"),          # not ISO
    ("<", "2024-05-03T10:00:00", "date", "2024-06-01"),  # a date and time is no date (feel-scala)
    ("<", datetime(2024, 5, 3), "date", "2024-06-01"),
    ("<", 20240503, "date", "2024-06-01"),
    ("<", None, "date", "2024-06-01"),
    ("<", "2024-01-01T10:00:00Z", "date and time", "2024-01-01T11:00:00"),  # zoned and local: two types
    (">", "P1Y", "duration", "P1D"),                     # years-months and days-time: two types
    ("<", "Montag", "time", "10:00:00"),
    ("<", ["2024-01-01"], "date", "2024-06-01"),
])
def test_what_cannot_be_compared_is_null(op: str, value: object, kind: str, literal: str) -> None:
    assert compare(op, value, kind, literal) is None


def test_equality_with_null_is_false() -> None:
    assert compare("==", None, "date", "2024-01-01") is False


def test_literals() -> None:
    assert literal_value("date", "2024-02-29") == ("date", date(2024, 2, 29))
    assert literal_value("date", "2023-02-29") is None
    assert literal_value("duration", "P1DT2H30M") == ("days and time duration", timedelta(days=1, hours=2, minutes=30))
    assert literal_value("duration", "-P1Y2M") == ("years and months duration", -14)
    assert literal_value("duration", "P") is None
    assert literal_value("time", "25:00:00") is None
    assert iso_text("date and time", "2025-01-01T00:00:00") == "2025-01-01T00:00:00"
    assert iso_text("date", "01.01.2025") is None
    assert mentions_temporal('< date("2024-01-01")') and mentions_temporal("date and time(x)")
    assert not mentions_temporal('"date(1)"') and not mentions_temporal("update(1)")
