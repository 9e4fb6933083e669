"""Quartz cron expressions in timer cycles run at the wall-clock times they describe, in the
authority's time zone (Europe/Berlin), as Flowable and Camunda 7 schedule them (issue 11):
repeating boundary timers, start timers, an intermediate timer (fires once), a cron given by an
expression (BoundaryTimerEventTest.testNullDueDateWithRepetition / ...WrongRepetition ported onto
a model of our own: Flowable's prints with Groovy). SQLite and PostgreSQL, case cache off (a
save/restore at every wait). The fake clock starts on Monday 2026-01-05 08:00 UTC (09:00 in Berlin)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.domain.errors import DeploymentError
from engine.persistence import tables as t
from tests.camunda_scenarios.conftest import Scenario

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="http://amtsflow.test">
"""

_REMINDER = _HEAD + """  <process id="pruefung" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="pruefen"/>
    <userTask id="pruefen"/>
    <boundaryEvent id="erinnern" attachedToRef="pruefen" cancelActivity="false">
      <timerEventDefinition>
        <timeCycle flowable:endDate="${dueDate}">${reminderTimeCycle}</timeCycle>
      </timerEventDefinition>
    </boundaryEvent>
    <sequenceFlow id="f2" sourceRef="erinnern" targetRef="erinnerung"/>
    <userTask id="erinnerung"/>
    <sequenceFlow id="f3" sourceRef="erinnerung" targetRef="e2"/>
    <endEvent id="e2"/>
    <sequenceFlow id="f4" sourceRef="pruefen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""

_START = _HEAD + """  <process id="monatlich" isExecutable="true">
    <startEvent id="start">
      <timerEventDefinition><timeCycle>0 0 6 1 * ?</timeCycle></timerEventDefinition>
    </startEvent>
    <sequenceFlow id="f1" sourceRef="start" targetRef="abrechnen"/>
    <userTask id="abrechnen"/>
    <sequenceFlow id="f2" sourceRef="abrechnen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""

_INTERMEDIATE = _HEAD + """  <process id="warten" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="montags"/>
    <intermediateCatchEvent id="montags">
      <timerEventDefinition><timeCycle>0 0 7 ? * MON</timeCycle></timerEventDefinition>
    </intermediateCatchEvent>
    <sequenceFlow id="f2" sourceRef="montags" targetRef="vorlegen"/>
    <userTask id="vorlegen"/>
    <sequenceFlow id="f3" sourceRef="vorlegen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""


def _deploy(scenario: Scenario, tmp_path: Path, xml: str) -> None:
    path = tmp_path / "model.bpmn20.xml"
    path.write_text(xml)
    scenario.deploy_files([path])


def _due(scenario: Scenario, kind: str, case: str | None = None) -> list[datetime]:
    query = select(t.jobs.c.due_at).where(t.jobs.c.kind == kind)
    if case is not None:
        query = query.where(t.jobs.c.case_id == case)
    with scenario.engine.db.connect() as conn:
        return sorted(d if d.tzinfo else d.replace(tzinfo=timezone.utc) for (d,) in conn.execute(query))


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_a_working_day_reminder_fires_at_nine_in_berlin_on_working_days(scenario: Scenario, tmp_path: Path) -> None:
    _deploy(scenario, tmp_path, _REMINDER)
    case = scenario.start("pruefung", {"reminderTimeCycle": "0 0 9 ? * MON-FRI", "dueDate": None})
    assert _due(scenario, "timer", case) == [_utc(2026, 1, 6, 8)]     # Monday 09:00 Berlin has just passed
    fired = []
    for _day in range(7):                                              # Tuesday ... next Monday
        scenario.advance(timedelta(days=1))
        fired.append(scenario.waits_at(case).count("erinnerung"))
    assert fired == [1, 2, 3, 4, 4, 4, 5]                              # none on Saturday and Sunday
    assert _due(scenario, "timer", case) == [_utc(2026, 1, 13, 8)]
    scenario.complete(case, "pruefen")                                 # the reminders go with their task
    assert _due(scenario, "timer", case) == []


def test_BoundaryTimerEventTest_testNullDueDateWithRepetition(scenario: Scenario, tmp_path: Path) -> None:
    """A yearly cron from an expression with an end date six hours away: its first timer is
    created (due on New Year, 00:00 in Berlin); it fires once and is not repeated past the end."""
    _deploy(scenario, tmp_path, _REMINDER)
    due_date = (scenario.clock.now() + timedelta(hours=6)).isoformat()
    case = scenario.start("pruefung", {"reminderTimeCycle": "0 0 0 1 1 ?", "dueDate": due_date})
    assert _due(scenario, "timer", case) == [_utc(2026, 12, 31, 23)]
    scenario.advance(timedelta(days=361))
    assert scenario.waits_at(case) == ["erinnerung", "pruefen"]
    assert _due(scenario, "timer", case) == []


def test_BoundaryTimerEventTest_testNullDueDateWithWrongRepetition(scenario: Scenario, tmp_path: Path) -> None:
    """A cron with a year (2000, long over): no due date can be determined; the case stops at the
    timer with an incident that says why (Flowable refuses to start the instance)."""
    _deploy(scenario, tmp_path, _REMINDER)
    case = scenario.start("pruefung", {"reminderTimeCycle": "0 0 0 1 1 ? 2000", "dueDate": None})
    view = scenario.case(case)
    assert view["incidents"] and "year" in view["incidents"][0]["message"]
    assert _due(scenario, "timer", case) == []


def test_a_cron_start_timer_starts_a_case_at_each_match(scenario: Scenario, tmp_path: Path) -> None:
    _deploy(scenario, tmp_path, _START)
    assert _due(scenario, "start_timer") == [_utc(2026, 2, 1, 5)]     # 06:00 in Berlin on the 1st
    scenario.advance(timedelta(days=27))
    with scenario.engine.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.cases)).scalar_one() == 1
    assert _due(scenario, "start_timer") == [_utc(2026, 3, 1, 5)]
    scenario.advance(timedelta(days=28))
    with scenario.engine.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.cases)).scalar_one() == 2
    assert _due(scenario, "start_timer") == [_utc(2026, 4, 1, 4)]     # summer time: 06:00 Berlin is 04:00 UTC


def test_an_intermediate_cron_timer_fires_once_at_its_next_match(scenario: Scenario, tmp_path: Path) -> None:
    _deploy(scenario, tmp_path, _INTERMEDIATE)
    case = scenario.start("warten")
    assert _due(scenario, "timer", case) == [_utc(2026, 1, 12, 6)]     # next Monday 07:00 Berlin
    scenario.advance(timedelta(days=6, hours=22))
    assert scenario.waits_at(case) == ["vorlegen"]
    assert _due(scenario, "timer", case) == []


def test_a_cron_with_both_days_is_refused_at_deploy(scenario: Scenario, tmp_path: Path) -> None:
    with pytest.raises(DeploymentError) as caught:
        _deploy(scenario, tmp_path, _INTERMEDIATE.replace("0 0 7 ? * MON", "0 0 7 1 * MON"))
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.element_id) == ("model.bpmn20.xml", 8, "montags")
    assert "day of month or a day of week" in problem.message
