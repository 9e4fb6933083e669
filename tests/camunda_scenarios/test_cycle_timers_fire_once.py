"""A timer cycle repeats only on a start event and on a non-interrupting boundary event. On an
intermediate catch event (also after an event-based gateway) and on an interrupting boundary
event it fires once, at its first due time, and the path goes on (Camunda 7's
TimerDeclarationImpl sets no repeat there; Flowable's testLoopWithCycle says the same).

Before, SpiffWorkflow's cycle spawned a new token at every cycle and never completed the
event: the path after an intermediate cycle timer ran again every cycle (one more open task
every five minutes), an interrupting boundary cycle timer never interrupted its activity (a
reminder task every cycle, the activity still open), and a cycle timer after an event-based
gateway never fired at all."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from engine.persistence import tables as t
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             targetNamespace="t">
  <process id="wiedervorlage" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow sourceRef="start" targetRef="warten"/>
    <intermediateCatchEvent id="warten">
      <timerEventDefinition><timeCycle>R/P7D</timeCycle></timerEventDefinition>
    </intermediateCatchEvent>
    <sequenceFlow sourceRef="warten" targetRef="vorlegen"/>
    <userTask id="vorlegen"/>
    <sequenceFlow sourceRef="vorlegen" targetRef="pruefen"/>
    <userTask id="pruefen"/>
    <sequenceFlow sourceRef="pruefen" targetRef="ende"/>
    <endEvent id="ende"/>
    <boundaryEvent id="frist" attachedToRef="pruefen" cancelActivity="{interrupting}">
      <timerEventDefinition><timeCycle>R/P1D</timeCycle></timerEventDefinition>
    </boundaryEvent>
    <sequenceFlow sourceRef="frist" targetRef="mahnen"/>
    <userTask id="mahnen"/>
    <sequenceFlow sourceRef="mahnen" targetRef="ende2"/>
    <endEvent id="ende2"/>
  </process>
</definitions>"""


def _deploy(scenario: Scenario, interrupting: bool) -> None:
    xml = MODEL.replace("{interrupting}", str(interrupting).lower())
    deploy(scenario.engine, [SourceFile("wiedervorlage.bpmn", xml.encode())], actor="scenario")


def _timer_jobs(scenario: Scenario, case: str) -> int:
    with scenario.engine.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.jobs).where(
            t.jobs.c.case_id == case, t.jobs.c.kind == "timer")).scalar_one())


def test_an_intermediate_cycle_timer_fires_once(scenario: Scenario) -> None:
    _deploy(scenario, True)
    case = scenario.start("wiedervorlage")
    assert scenario.waits_at(case) == [] and _timer_jobs(scenario, case) == 1
    scenario.advance(timedelta(days=7))
    assert scenario.waits_at(case) == ["vorlegen"] and _timer_jobs(scenario, case) == 0
    scenario.advance(timedelta(days=14))
    assert scenario.waits_at(case) == ["vorlegen"]   # no second token from the cycle


def test_an_interrupting_boundary_cycle_timer_interrupts_once(scenario: Scenario) -> None:
    _deploy(scenario, True)
    case = scenario.start("wiedervorlage")
    scenario.advance(timedelta(days=7))
    scenario.complete(case, "vorlegen")
    scenario.advance(timedelta(days=1))
    assert scenario.waits_at(case) == ["mahnen"]
    assert _timer_jobs(scenario, case) == 0
    scenario.advance(timedelta(days=3))
    assert scenario.waits_at(case) == ["mahnen"]
    scenario.complete(case, "mahnen")
    assert scenario.status(case) == "completed"


def test_a_non_interrupting_boundary_cycle_timer_still_repeats(scenario: Scenario) -> None:
    _deploy(scenario, False)
    case = scenario.start("wiedervorlage")
    scenario.advance(timedelta(days=7))
    scenario.complete(case, "vorlegen")
    for _ in range(3):
        scenario.advance(timedelta(days=1))
    assert scenario.waits_at(case) == ["mahnen", "mahnen", "mahnen", "pruefen"]


def test_IntermediateTimerEventTest_testTimeCycle(scenario: Scenario) -> None:
    """One job; executing it leaves no job and one task; completing it ends the instance."""
    scenario.deploy_camunda("event/timer/IntermediateTimerEventTest.testTimeCycle.bpmn20.xml")
    case = scenario.start("process")
    assert _timer_jobs(scenario, case) == 1
    scenario.advance(timedelta(minutes=5))
    assert _timer_jobs(scenario, case) == 0
    assert scenario.waits_at(case) == ["task"]
    scenario.advance(timedelta(minutes=15))
    scenario.complete(case, "task")
    assert scenario.status(case) == "completed"


def test_EventBasedGatewayTest_testTimeCycle(scenario: Scenario) -> None:
    """The cycle timer after the event-based gateway fires; its task ends the instance."""
    scenario.deploy_camunda("gateway/EventBasedGatewayTest.testTimeCycle.bpmn20.xml")
    case = scenario.start("process")
    assert _timer_jobs(scenario, case) == 1
    scenario.advance(timedelta(minutes=5))
    assert _timer_jobs(scenario, case) == 0
    assert scenario.waits_at(case) == ["task1"]
    scenario.complete(case, "task1")
    assert scenario.status(case) == "completed"


PLAIN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">
  <process id="erinnern" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow sourceRef="start" targetRef="warten"/>
    <intermediateCatchEvent id="warten">
      <timerEventDefinition><timeCycle>R3/P7D</timeCycle></timerEventDefinition>
    </intermediateCatchEvent>
    <sequenceFlow sourceRef="warten" targetRef="vorlegen"/>
    <userTask id="vorlegen"/>
    <sequenceFlow sourceRef="vorlegen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""


def test_plain_bpmn_keeps_a_cycle_on_an_intermediate_event_repeating(scenario: Scenario) -> None:
    """Plain BPMN (no Camunda or Flowable traits) keeps SpiffWorkflow's reading, which the BPMN
    conformance suite betsy expects (Timer_IntermediateTimeCycleEvent): each of the R3 cycles
    sends a token down the path, then the event is done."""
    deploy(scenario.engine, [SourceFile("erinnern.bpmn", PLAIN.encode())], actor="scenario")
    case = scenario.start("erinnern")
    assert scenario.waits_at(case) == []
    for week in range(1, 4):
        scenario.advance(timedelta(days=7))
        assert scenario.waits_at(case) == ["vorlegen"] * week
    scenario.advance(timedelta(days=21))
    assert scenario.waits_at(case) == ["vorlegen"] * 3 and _timer_jobs(scenario, case) == 0
    for task in scenario.tasks(case):
        scenario.complete_task(task["id"])
    assert scenario.status(case) == "completed"
