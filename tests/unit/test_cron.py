"""Quartz cron expressions of timer cycles (engine.runtime.cron): the wall-clock times they
describe, in the authority's time zone, with Quartz's notation."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from engine.runtime import cron

BERLIN = "Europe/Berlin"


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize(("expression", "after", "expected"), [
    ("0 0/5 * * * ?", _utc(2026, 1, 5, 8, 2, 30), _utc(2026, 1, 5, 8, 5)),          # the wall clock's :05
    ("0 0/1 * * * ?", _utc(2026, 1, 5, 8, 1), _utc(2026, 1, 5, 8, 2)),              # strictly after
    ("0 0 8 ? * MON-FRI", _utc(2026, 1, 5, 8), _utc(2026, 1, 6, 7)),                # 08:00 in Berlin (winter)
    ("0 0 8 ? * MON-FRI", _utc(2026, 7, 3, 7), _utc(2026, 7, 6, 6)),                # Friday -> Monday, summer time
    ("0 0 12 ? * 2", _utc(2026, 1, 6), _utc(2026, 1, 12, 11)),                      # Quartz 2 = Monday
    ("0 0 12 ? * 6#3", _utc(2026, 1, 1), _utc(2026, 1, 16, 11)),                    # the third Friday
    ("0 0 12 ? * 6L", _utc(2026, 1, 1), _utc(2026, 1, 30, 11)),                     # the last Friday
    ("0 0 12 L * ?", _utc(2026, 2, 1), _utc(2026, 2, 28, 11)),                      # the last day of the month
    ("0 0 0 1 1 ?", _utc(2026, 1, 5), _utc(2026, 12, 31, 23)),                      # New Year in Berlin
    ("0 30 9 ? * 1/2", _utc(2026, 1, 5, 12), _utc(2026, 1, 6, 8, 30)),              # SUN, TUE, THU, SAT
])
def test_next_fire_is_the_next_wall_clock_match_in_the_zone(expression: str, after: datetime,
                                                            expected: datetime) -> None:
    assert cron.next_fire(expression, after, BERLIN) == expected


@pytest.mark.parametrize(("expression", "words"), [
    ("0 0 0 1 1 ? 2000", "year"), ("0 0 8 1 * MON", "either a day of month or a day of week"),
    ("0 0 8 15W * ?", "nearest weekday"), ("0 0 8 L-3 * ?", "L-n"), ("0 0 8 ? * 9", r"between 1 \(SUN\) and 7"),
    ("70 * * * * ?", "not a valid"), ("0 0 8 * *", "not a cron expression"),
])
def test_what_does_not_run_here_is_refused_with_its_reason(expression: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        cron.translate(expression)


def test_is_cron_tells_crons_from_iso_timers() -> None:
    assert cron.is_cron("0 0 8 ? * MON-FRI") and cron.is_cron("0 0 8 ? * MON-FRI *")
    assert not cron.is_cron("R3/PT10M") and not cron.is_cron("2026-12-01T08:00:00")
