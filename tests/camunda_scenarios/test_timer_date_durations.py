"""A date timer (``timeDate``) whose value is an ISO-8601 duration waits that long from the
moment the timer is reached, as Camunda 7's (and Flowable's) DueDateBusinessCalendar reads a
value starting with ``P`` (BoundaryTimerEventTest.testRecalculateUnchangedExpressionOnTimerCurrentDateBased:
``<timeDate>${duedate}</timeDate>`` with ``duedate = "PT1H"`` fires after an hour).

Before, the engine failed the case when the timer was reached ("timer date 'PT1H' is a
duration"), although the deploy check accepted a literal duration there."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.persistence import tables as t
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">
  <process id="frist" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow sourceRef="start" targetRef="warten"/>
    <intermediateCatchEvent id="warten">
      <timerEventDefinition><timeDate>P2D</timeDate></timerEventDefinition>
    </intermediateCatchEvent>
    <sequenceFlow sourceRef="warten" targetRef="vorlegen"/>
    <userTask id="vorlegen"/>
    <sequenceFlow sourceRef="vorlegen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""


def _timer_due(scenario: Scenario, case: str) -> list[object]:
    with scenario.engine.db.connect() as conn:
        return list(conn.execute(select(t.jobs.c.due_at).where(t.jobs.c.case_id == case,
                                                               t.jobs.c.kind == "timer")).scalars())


def test_BoundaryTimerEventTest_testRecalculateUnchangedExpressionOnTimerCurrentDateBased(scenario: Scenario) -> None:
    """The firing half of the Java test (recalculateJobDuedate has no counterpart here)."""
    scenario.deploy_camunda("event/timer/BoundaryTimerEventTest.testRecalculateUnchangedExpressionOnTimerCurrentDateBased"
                            ".bpmn20.xml")
    case = scenario.start("testExpressionOnTimer", {"duedate": "PT1H"})
    assert scenario.status(case) == "waiting" and scenario.waits_at(case) == ["task"]
    assert len(_timer_due(scenario, case)) == 1
    scenario.advance(timedelta(minutes=59))
    assert scenario.waits_at(case) == ["task"]
    scenario.advance(timedelta(minutes=7))
    assert scenario.status(case) == "completed"


def test_a_literal_duration_in_a_date_timer_waits_that_long(scenario: Scenario) -> None:
    deploy(scenario.engine, [SourceFile("frist.bpmn", MODEL.encode())], actor="scenario")
    case = scenario.start("frist")
    assert scenario.status(case) == "waiting" and scenario.waits_at(case) == []
    assert len(_timer_due(scenario, case)) == 1
    scenario.advance(timedelta(days=1))
    assert scenario.waits_at(case) == []
    scenario.advance(timedelta(days=1, seconds=1))
    assert scenario.waits_at(case) == ["vorlegen"]
    scenario.complete(case, "vorlegen")
    assert scenario.status(case) == "completed"
