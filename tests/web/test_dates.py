"""Dates on the web pages: stored in UTC, shown in Europe/Berlin as dd.MM.yyyy, HH:mm (summer and
winter time); a deadline that ends with its day (23:59) or a follow-up that starts with it
(00:00) is shown as the day alone."""

from __future__ import annotations

from datetime import datetime, timezone


def test_moments_are_shown_in_berlin_time_and_whole_days_as_the_day(app):
    from webui.templating import deadline, when

    with app.test_request_context("/"):
        assert when("2026-07-01T10:15:00+00:00") == "01.07.2026, 12:15"            # summer: UTC+2
        assert when(datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)) == "01.01.2026, 13:00"
        assert when(datetime(2026, 1, 1, 12, 0)) == "01.01.2026, 13:00"             # naive: UTC
        assert when("2026-03-29T00:59:00+00:00") == "29.03.2026, 01:59"             # the night the
        assert when("2026-03-29T01:00:00+00:00") == "29.03.2026, 03:00"             # clocks go forward
        assert when(None) == when("") == "–"
        assert deadline("2026-12-16T22:59:59+00:00") == "16.12.2026"                # ends with the day
        assert deadline("2026-06-30T22:00:00+00:00") == "01.07.2026"                # starts with it
        assert deadline("2026-12-16T10:00:00+00:00") == "16.12.2026, 11:00"
        assert deadline(None) == "–"
