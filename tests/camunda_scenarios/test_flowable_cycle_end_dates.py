"""Flowable's end date of a timer cycle (``<timeCycle flowable:endDate="...">``, issue 11), the
expectations of BoundaryTimerEventRepeatWithEndTest, IntermediateTimerEventRepeatWithEndTest,
StartTimerEventRepeatWithEndTest and StartTimerEventTest.testCycleWithRepeatStartTimePeriodAndEnd
ported onto models of our own (Flowable's models print with Groovy scripts, refused here), on
SQLite and PostgreSQL with the case cache off (a save/restore at every wait).

After a firing, a next due time after the end date is not scheduled (equal still fires); the first
firing always is, so a timer that fires once ignores the end date (engine.runtime.cycle_end)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.domain.errors import DeploymentError
from engine.persistence import tables as t
from tests.camunda_scenarios.conftest import Scenario

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             xmlns:activiti="http://activiti.org/bpmn" targetNamespace="http://amtsflow.test">
"""

_BOUNDARY = _HEAD + """  <process id="repeatWithEnd" isExecutable="true">
    <startEvent id="theStart"/>
    <sequenceFlow id="a2" sourceRef="theStart" targetRef="task1"/>
    <userTask id="task1" name="Task A"/>
    <sequenceFlow id="flow2" sourceRef="task1" targetRef="task2"/>
    <userTask id="task2" name="Task B"/>
    <boundaryEvent id="timer" attachedToRef="task2" cancelActivity="false">
      <timerEventDefinition>
        <timeCycle activiti:endDate="${EndDateForBoundary}">R5/PT10M</timeCycle>
      </timerEventDefinition>
    </boundaryEvent>
    <sequenceFlow id="flow21" sourceRef="timer" targetRef="timerFiredTask"/>
    <userTask id="timerFiredTask"/>
    <sequenceFlow id="flow22" sourceRef="timerFiredTask" targetRef="nonInterruptingEnd"/>
    <endEvent id="nonInterruptingEnd"/>
    <sequenceFlow id="flow3" sourceRef="task2" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""

_INTERMEDIATE = _HEAD + """  <process id="repeatWithEnd" isExecutable="true">
    <startEvent id="theStart"/>
    <sequenceFlow id="a2" sourceRef="theStart" targetRef="task1"/>
    <userTask id="task1" name="Task A"/>
    <sequenceFlow id="flow4" sourceRef="task1" targetRef="it1"/>
    <intermediateCatchEvent id="it1">
      <timerEventDefinition>
        <timeCycle flowable:endDate="${EndDateForCatch1}">R1/PT1H</timeCycle>
      </timerEventDefinition>
    </intermediateCatchEvent>
    <sequenceFlow id="flow5" sourceRef="it1" targetRef="task3"/>
    <userTask id="task3" name="Task C"/>
    <sequenceFlow id="flow6" sourceRef="task3" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""

_START = _HEAD + """  <process id="process" isExecutable="true">
    <startEvent id="startEvent">
      <timerEventDefinition>
        <timeCycle flowable:endDate="{end}">{cycle}</timeCycle>
      </timerEventDefinition>
    </startEvent>
    <sequenceFlow id="f1" sourceRef="startEvent" targetRef="taskA"/>
    <userTask id="taskA" name="Task A"/>
    <sequenceFlow id="f2" sourceRef="taskA" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""


def _deploy(scenario: Scenario, tmp_path: Path, xml: str) -> None:
    path = tmp_path / "repeat.bpmn20.xml"
    path.write_text(xml)
    scenario.deploy_files([path])


def _jobs(scenario: Scenario, kind: str, case: str | None = None) -> list[datetime]:
    query = select(t.jobs.c.due_at).where(t.jobs.c.kind == kind)
    if case is not None:
        query = query.where(t.jobs.c.case_id == case)
    with scenario.engine.db.connect() as conn:
        return [row.due_at for row in conn.execute(query)]


def _cases(scenario: Scenario) -> int:
    with scenario.engine.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.cases)).scalar_one())


def _fired(scenario: Scenario, case: str) -> int:
    return scenario.waits_at(case).count("timerFiredTask")


@pytest.mark.parametrize(("end_after", "firings"), [(timedelta(minutes=25), 2), (timedelta(minutes=20), 2),
                                                    (timedelta(minutes=19), 1)])
def test_BoundaryTimerEventRepeatWithEndTest_testRepeatWithEnd(scenario: Scenario, tmp_path: Path,
                                                               end_after: timedelta, firings: int) -> None:
    """A non-interrupting boundary cycle fires until its next due time would be after the end
    date; a due time equal to the end date still fires."""
    _deploy(scenario, tmp_path, _BOUNDARY)
    case = scenario.start("repeatWithEnd")
    end = scenario.clock.now() + end_after
    scenario.set_variables(case, {"EndDateForBoundary": end.isoformat()})
    scenario.complete(case, "task1")                 # the timer is created, its end date evaluated
    assert len(_jobs(scenario, "timer", case)) == 1
    for minute in range(1, 7):                       # one hour, a minute at a time, a wait restored each step
        scenario.advance(timedelta(minutes=10))
        assert _fired(scenario, case) == min(minute, firings)
    assert _jobs(scenario, "timer", case) == []      # no timer after the end date
    assert "task2" in scenario.waits_at(case)
    scenario.complete(case, "task2")
    for task in scenario.tasks(case):
        scenario.complete_task(task["id"])
    assert scenario.status(case) == "completed"


def test_a_boundary_cycle_without_end_date_value_repeats_its_count(scenario: Scenario, tmp_path: Path) -> None:
    """An end date expression that yields null sets no end (Flowable: endDate null)."""
    _deploy(scenario, tmp_path, _BOUNDARY)
    case = scenario.start("repeatWithEnd", {"EndDateForBoundary": None})
    scenario.complete(case, "task1")
    for _ in range(7):
        scenario.advance(timedelta(minutes=10))
    assert _fired(scenario, case) == 5


def test_IntermediateTimerEventRepeatWithEndTest_testRepeatWithEnd(scenario: Scenario, tmp_path: Path) -> None:
    """An intermediate timer fires once; an end date before its due time does not stop it (it is
    checked only when a further timer would be created)."""
    _deploy(scenario, tmp_path, _INTERMEDIATE)
    case = scenario.start("repeatWithEnd")
    scenario.set_variables(case, {"EndDateForCatch1": (scenario.clock.now() + timedelta(minutes=10)).isoformat()})
    scenario.complete(case, "task1")
    assert len(_jobs(scenario, "timer", case)) == 1
    scenario.advance(timedelta(minutes=30))
    assert scenario.waits_at(case) == []             # not due yet
    scenario.advance(timedelta(minutes=35))          # 1 h 5 min
    assert scenario.waits_at(case) == ["task3"]
    assert _jobs(scenario, "timer", case) == []
    scenario.complete(case, "task3")
    assert scenario.status(case) == "completed"


def test_StartTimerEventRepeatWithEndTest_testCycleDateStartTimerEvent(scenario: Scenario, tmp_path: Path) -> None:
    """R10/PT24H deployed on day 0 with the end date day 2 plus 5 seconds: cases start on day 1 and
    day 2, then the start timer is gone."""
    deployed = scenario.clock.now()
    end = (deployed + timedelta(days=2, seconds=5)).replace(tzinfo=None).isoformat()   # no zone: UTC
    _deploy(scenario, tmp_path, _START.replace("{end}", end).replace("{cycle}", "R10/PT24H"))
    assert _jobs(scenario, "start_timer") and _cases(scenario) == 0
    scenario.advance(timedelta(hours=25))
    assert _cases(scenario) == 1 and len(_jobs(scenario, "start_timer")) == 1
    scenario.advance(timedelta(hours=25))
    assert _cases(scenario) == 2
    assert _jobs(scenario, "start_timer") == []      # the end date is reached: no further firing
    scenario.advance(timedelta(days=5))
    assert _cases(scenario) == 2


def test_StartTimerEventTest_testCycleWithRepeatStartTimePeriodAndEndAndCurrentTimeAfterStart(
        scenario: Scenario, tmp_path: Path) -> None:
    start = scenario.clock.now() - timedelta(minutes=28)
    stamp = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _deploy(scenario, tmp_path, _START.replace("{end}", end).replace("{cycle}", f"R2/{stamp}/P1D"))
    [due] = _jobs(scenario, "start_timer")
    assert due.replace(tzinfo=None) == (start + timedelta(days=1)).replace(tzinfo=None)   # the next day
    scenario.advance(timedelta(days=1))
    assert _cases(scenario) == 1
    assert _jobs(scenario, "start_timer") == []


def test_an_end_date_that_is_no_date_is_refused(scenario: Scenario, tmp_path: Path) -> None:
    with pytest.raises(DeploymentError) as caught:
        _deploy(scenario, tmp_path, _START.replace("{end}", "morgen").replace("{cycle}", "R10/PT24H"))
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.element_id) == ("repeat.bpmn20.xml", 7, "startEvent")
    assert "flowable:endDate" in problem.message and "morgen" in problem.message


def test_an_end_date_on_a_duration_is_refused(scenario: Scenario, tmp_path: Path) -> None:
    xml = _INTERMEDIATE.replace('<timeCycle flowable:endDate="${EndDateForCatch1}">R1/PT1H</timeCycle>',
                                '<timeDuration flowable:endDate="${EndDateForCatch1}">PT1H</timeDuration>')
    with pytest.raises(DeploymentError) as caught:
        _deploy(scenario, tmp_path, xml)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.element_id) == ("repeat.bpmn20.xml", 11, "it1")
    assert "flowable:endDate" in problem.message and "timer cycle" in problem.message


_EVENT_SUBPROCESS = _HEAD + """  <process id="erinnerungen" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="bearbeiten"/>
    <userTask id="bearbeiten"/>
    <sequenceFlow id="f2" sourceRef="bearbeiten" targetRef="ende"/>
    <endEvent id="ende"/>
    <subProcess id="erinnern" triggeredByEvent="true">
      <startEvent id="takt" isInterrupting="false">
        <timerEventDefinition>
          <timeCycle flowable:endDate="${frist}">R/P1D</timeCycle>
        </timerEventDefinition>
      </startEvent>
      <sequenceFlow id="g1" sourceRef="takt" targetRef="erinnerung"/>
      <userTask id="erinnerung"/>
      <sequenceFlow id="g2" sourceRef="erinnerung" targetRef="e"/>
      <endEvent id="e"/>
    </subProcess>
  </process>
</definitions>
"""


def test_an_event_sub_process_timer_cycle_ends_at_its_end_date(scenario: Scenario, tmp_path: Path) -> None:
    """A daily reminder without a repetition count until the deadline three and a half days away."""
    _deploy(scenario, tmp_path, _EVENT_SUBPROCESS)
    frist = (scenario.clock.now() + timedelta(days=3, hours=12)).isoformat()
    case = scenario.start("erinnerungen", {"frist": frist})
    for _ in range(6):
        scenario.advance(timedelta(days=1))
    assert scenario.waits_at(case).count("erinnerung") == 3
    assert _jobs(scenario, "timer", case) == []
    scenario.complete(case, "bearbeiten")
    for task in scenario.tasks(case):
        scenario.complete_task(task["id"])
    assert scenario.status(case) == "completed"
