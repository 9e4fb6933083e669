"""Figures for process owners (issue 16): weekly counts, lead-time percentiles in the database,
Dunkelverarbeitung, online share, deadline breaches and backlog ages, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.bootstrap import Engine
from engine.domain.errors import DeploymentError, InvalidState
from engine.ports import FakeClock
from engine.services import cases, identity, process_figures, queries
from engine.services.deploy import deploy, read_paths
from tests.conftest import model

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 1, 5, tzinfo=BERLIN)     # Monday of ISO week 2026-W02
END = datetime(2026, 1, 19, tzinfo=BERLIN)      # two weeks: W02 and W03


def _at(clock: FakeClock, when: datetime) -> None:
    clock.advance(when - clock.now())


def _start(engine: Engine, actor: str, automatic: bool = False) -> str:
    return cases.start_case(engine, "kennzahlen", {"automatisch": automatic}, actor=actor, internal=True)


def _complete(engine: Engine, case_id: str) -> None:
    [task] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, task["id"], {}, actor="sb1", internal=True)


def _deploy(engine: Engine, folder: Path, sla: str | None) -> None:
    """figures.bpmn with a service.toml that gives a whole case ``sla`` ([sla] vorgang)."""
    toml = folder / "service.toml"
    toml.write_text('key = "kennzahlen"\n' + (f'[sla]\nvorgang = "{sla}"\nsachbearbeitung = "P1D"\n' if sla else ""),
                    encoding="utf-8")
    deploy(engine, read_paths([str(model("figures.bpmn")), str(toml)]), actor="test")


@pytest.fixture
def world(engine: Engine, clock: FakeClock, tmp_path: Path) -> dict[str, Any]:
    """Cases A-E in the period (B and E decided without a clerk, D and E started by a citizen),
    F-H after it; the clock ends on 15 April 2026. A case may take three days (service.toml)."""
    _deploy(engine, tmp_path, "P3D")
    identity.create_user(engine, "erika", "Erika Mustermann", roles=["citizen"], trust_level="substantial")
    identity.create_user(engine, "sb1", "Sachbearbeitung Eins", roles=["clerk"], password="geheim-geheim-1")
    utc = ZoneInfo("UTC")
    ids: dict[str, str] = {}
    ids["A"] = _start(engine, "sb1")                                   # Mon 5 Jan 08:00 UTC
    _at(clock, datetime(2026, 1, 5, 9, tzinfo=utc))
    ids["B"] = _start(engine, "test", automatic=True)
    _at(clock, datetime(2026, 1, 5, 10, tzinfo=utc))
    ids["C"] = _start(engine, "test")                                  # due 8 Jan 10:00 (P3D)
    _at(clock, datetime(2026, 1, 7, 8, tzinfo=utc))
    _complete(engine, ids["A"])                                        # 2 days, in time
    _at(clock, datetime(2026, 1, 12, 10, tzinfo=utc))
    _complete(engine, ids["C"])                                        # 7 days, late
    _at(clock, datetime(2026, 1, 12, 11, tzinfo=utc))
    ids["D"] = _start(engine, "erika")                                 # stays open, due 15 Jan 11:00
    _at(clock, datetime(2026, 1, 14, 12, tzinfo=utc))
    ids["E"] = _start(engine, "erika", automatic=True)
    _at(clock, datetime(2026, 1, 20, 8, tzinfo=utc))
    ids["F"] = _start(engine, "test")                                  # after the period
    _at(clock, datetime(2026, 4, 1, 8, tzinfo=utc))
    ids["G"] = _start(engine, "test")
    _at(clock, datetime(2026, 4, 14, 8, tzinfo=utc))
    ids["H"] = _start(engine, "test")                                  # due 17 April 08:00: not yet overdue
    _at(clock, datetime(2026, 4, 15, 8, tzinfo=utc))
    return ids


def test_weeks_lead_time_and_shares(engine: Engine, world: dict[str, Any]) -> None:
    f = process_figures.figures(engine, "kennzahlen", START, END)
    assert [(w.label, w.monday.isoformat(), w.started, w.completed) for w in f.weeks] == [
        ("2026-W02", "2026-01-05", 3, 2), ("2026-W03", "2026-01-12", 2, 2)]
    # completed in the period: 0 s (B), 0 s (E), 2 days (A), 7 days (C); continuous percentiles
    assert f.lead_time.count == 4
    assert f.lead_time.median == timedelta(days=1)
    assert f.lead_time.p90 == timedelta(days=5, hours=12)
    assert (f.without_clerk.part, f.without_clerk.total, f.without_clerk.ratio) == (2, 4, 0.5)
    assert (f.online.part, f.online.total) == (2, 5)


def test_deadlines_and_backlog(engine: Engine, world: dict[str, Any]) -> None:
    f = process_figures.figures(engine, "kennzahlen", START, END)
    assert f.deadlines == process_figures.Deadlines(open_overdue=3, open_with_due=4, completed_late=1,
                                                    completed_with_due=2)
    # open now (15 April): H 1 day, G 14 days, F 85 days, D 93 days
    assert [(b.min_days, b.max_days, b.count) for b in f.backlog] == [(0, 7, 1), (7, 30, 1), (30, 90, 1), (90, None, 1)]


def test_a_failed_case_is_in_the_backlog_and_a_cancelled_one_is_not(engine: Engine, world: dict[str, Any]) -> None:
    """The backlog counts the cases not ended: failed ones wait for a repair (as the engine stores a
    failure: status failed, no end), cancelled ones have ended."""
    from sqlalchemy import update

    from engine.persistence import tables as t

    cases.cancel_case(engine, world["H"], actor="po", reason="doppelt")
    with engine.db.begin() as conn:
        conn.execute(update(t.cases).where(t.cases.c.id == world["G"]).values(status="failed"))
    f = process_figures.figures(engine, "kennzahlen", START, END)
    assert [(b.min_days, b.max_days, b.count) for b in f.backlog] == [(0, 7, 0), (7, 30, 1), (30, 90, 1), (90, None, 1)]


def test_cases_over_the_sla_of_service_toml_per_week(engine: Engine, world: dict[str, Any]) -> None:
    f = process_figures.figures(engine, "kennzahlen", START, END)
    assert f.sla.seconds == {1: 3 * 86400}
    # W02: A (2 days) and B (0 s) within three days; W03: C (7 days) over it, E (0 s) within
    assert [(w.label, w.completed, w.breached) for w in f.sla.weeks] == [("2026-W02", 2, 0), ("2026-W03", 2, 1)]
    assert (f.sla.completed.part, f.sla.completed.total) == (1, 4)
    # open on 15 April: D (93 days), F (85), G (14) over three days, H (1 day) within
    assert (f.sla.open_total, f.sla.open_breached) == (4, 3)


def test_each_version_is_measured_against_its_own_sla(engine: Engine, clock: FakeClock, world: dict[str, Any],
                                                      tmp_path: Path) -> None:
    _deploy(engine, tmp_path, "P2D")                                   # version 2: two days
    exactly = _start(engine, "test")                                   # Wed 15 April 08:00 UTC
    clock.advance(timedelta(days=2))
    _complete(engine, exactly)                                         # exactly two days: kept
    later = _start(engine, "test")
    clock.advance(timedelta(days=2, minutes=1))
    _complete(engine, later)                                           # a minute over
    april = datetime(2026, 4, 13, tzinfo=BERLIN)
    both = process_figures.figures(engine, "kennzahlen", april, april + timedelta(days=7))
    assert both.sla.seconds == {1: 3 * 86400, 2: 2 * 86400}
    assert [(w.completed, w.breached) for w in both.sla.weeks] == [(2, 1)]
    assert (both.sla.open_total, both.sla.open_breached) == (4, 4)     # version 1: H is five days old now
    v2 = process_figures.figures(engine, "kennzahlen", april, april + timedelta(days=7), version=2)
    assert v2.sla.seconds == {2: 2 * 86400} and [(w.completed, w.breached) for w in v2.sla.weeks] == [(2, 1)]
    assert (v2.sla.open_total, v2.sla.open_breached) == (0, 0)
    _deploy(engine, tmp_path, None)                                    # version 3 declares none
    v3 = process_figures.figures(engine, "kennzahlen", april, april + timedelta(days=7), version=3)
    assert v3.sla.seconds == {} and [(w.completed, w.breached) for w in v3.sla.weeks] == [(0, 0)]


@pytest.mark.parametrize("value", ["P1M", "P1Y", "30 Tage", "P", "PT", "P0D", "P4000D", "30"])
def test_sla_that_is_no_fixed_duration_is_refused_at_deploy(engine: Engine, tmp_path: Path, value: str) -> None:
    with pytest.raises(DeploymentError) as exc:
        _deploy(engine, tmp_path, value)
    [problem] = exc.value.problems
    assert problem.file.endswith("service.toml") and problem.element_id == "kennzahlen"
    assert "Die Bearbeitungsfrist eines Vorgangs muss eine Dauer in Wochen, Tagen, Stunden oder Minuten sein" \
        in problem.message


def test_sla_durations_in_weeks_days_hours_and_minutes() -> None:
    from engine.runtime.case_sla import duration_seconds
    assert duration_seconds("P30D") == 30 * 86400 and duration_seconds("p2w") == 14 * 86400
    assert duration_seconds("PT36H") == 36 * 3600 and duration_seconds("P1DT2H30M") == 86400 + 9000
    assert duration_seconds("P1M") is None and duration_seconds("PT1S") is None and duration_seconds("P1DT") is None


def test_period_and_version_narrow_the_figures(engine: Engine, world: dict[str, Any]) -> None:
    one_week = process_figures.figures(engine, "kennzahlen", START, START + timedelta(days=7))
    assert [(w.label, w.started, w.completed) for w in one_week.weeks] == [("2026-W02", 3, 2)]
    assert one_week.lead_time.count == 2 and one_week.lead_time.median == timedelta(days=1)
    assert one_week.lead_time.p90 == timedelta(seconds=round(0.9 * 2 * 86400))
    # a period starting mid-week clips the week: only C and later count on Monday 5 Jan 10:00 UTC
    clipped = process_figures.figures(engine, "kennzahlen", datetime(2026, 1, 5, 10, tzinfo=ZoneInfo("UTC")), END)
    assert clipped.weeks[0].started == 1
    assert process_figures.figures(engine, "kennzahlen", START, END, version=1).weeks == \
        process_figures.figures(engine, "kennzahlen", START, END).weeks
    other = process_figures.figures(engine, "kennzahlen", START, END, version=2)
    assert [w.started for w in other.weeks] == [0, 0] and other.lead_time.median is None
    assert other.without_clerk.ratio is None and sum(b.count for b in other.backlog) == 0
    assert sum(w.started for w in process_figures.figures(engine, "anderer", START, END).weeks) == 0


def test_bad_periods_are_refused(engine: Engine) -> None:
    with pytest.raises(InvalidState, match="empty period"):
        process_figures.figures(engine, "kennzahlen", END, START)
    with pytest.raises(InvalidState) as exc:
        process_figures.figures(engine, "kennzahlen", START, START + timedelta(weeks=200))
    assert "höchstens" in exc.value.user_message


def test_iso_weeks_across_the_year_and_summer_time() -> None:
    weeks = process_figures.iso_weeks(datetime(2026, 12, 30, tzinfo=BERLIN), datetime(2027, 1, 12, tzinfo=BERLIN),
                                      BERLIN)
    assert [w[0] for w in weeks] == ["2026-W53", "2027-W01", "2027-W02"]
    spring = process_figures.iso_weeks(datetime(2026, 3, 23, tzinfo=BERLIN), datetime(2026, 4, 6, tzinfo=BERLIN),
                                       BERLIN)
    assert spring[1][2] == datetime(2026, 3, 30, tzinfo=BERLIN)       # Monday after the clocks went forward


def test_every_status_is_either_open_or_ended() -> None:
    """The backlog names the open statuses (an index range); a new status must be sorted in."""
    from engine.services.case_search import ENGINE_STATUSES

    assert sorted(process_figures._OPEN + process_figures._ENDED) == sorted(ENGINE_STATUSES)
