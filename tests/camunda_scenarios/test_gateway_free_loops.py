"""A loop of sequence flows without a deciding gateway in it, left only through a boundary event
or an event sub-process (Flowable's BoundaryConditionalEventTest.testGroovyCondition: a user task
whose flow leads back to itself, left when its conditional boundary event fires). Camunda and
Flowable run the loop until the event; here the start of every case of such a model crashed
(SpiffWorkflow predicted the loop's next steps without end: RecursionError)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" {namespace} targetNamespace="t">
  <message id="m" name="Akte geschlossen"/>
  <process id="akte" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="pruefen"/>
    <userTask id="pruefen" {assignee}/>
"""
TAIL = """    <userTask id="mahnen"/>
    <sequenceFlow id="f4" sourceRef="mahnen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""

TIMER_ON_PRUEFEN = """
    <boundaryEvent id="frist" attachedToRef="pruefen">
      <timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>
    </boundaryEvent>
    <sequenceFlow id="f3" sourceRef="frist" targetRef="mahnen"/>
"""
SELF_LOOP = HEAD + """    <sequenceFlow id="f2" sourceRef="pruefen" targetRef="pruefen"/>""" + TIMER_ON_PRUEFEN + TAIL
TWO_STEP_LOOP = HEAD + """    <sequenceFlow id="f2" sourceRef="pruefen" targetRef="korrigieren"/>
    <userTask id="korrigieren"/>
    <sequenceFlow id="f5" sourceRef="korrigieren" targetRef="pruefen"/>""" + TIMER_ON_PRUEFEN + TAIL
LEFT_BY_EVENT_SUBPROCESS = HEAD + """    <sequenceFlow id="f2" sourceRef="pruefen" targetRef="korrigieren"/>
    <userTask id="korrigieren"/>
    <sequenceFlow id="f5" sourceRef="korrigieren" targetRef="pruefen"/>
    <subProcess id="abbruch" triggeredByEvent="true">
      <startEvent id="geschlossen"><messageEventDefinition messageRef="m"/></startEvent>
      <sequenceFlow id="f6" sourceRef="geschlossen" targetRef="mahnen"/>""" + TAIL.replace(
    "  </process>", "  </subProcess></process>")

DIALECTS = {"flowable": 'flowable:assignee="kermit"', "camunda": 'camunda:assignee="kermit"', "plain": ""}
NAMESPACES = {"flowable": 'xmlns:flowable="http://flowable.org/bpmn"',
              "camunda": 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"', "plain": ""}


def _deploy(scenario: Scenario, model: str, dialect: str) -> None:
    xml = model.replace("{assignee}", DIALECTS[dialect]).replace("{namespace}", NAMESPACES[dialect])
    deploy(scenario.engine, [SourceFile("akte.bpmn20.xml", xml.encode())], actor="scenario")


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_a_task_that_loops_to_itself_until_its_timer_fires(scenario: Scenario, dialect: str) -> None:
    _deploy(scenario, SELF_LOOP, dialect)
    case = scenario.start("akte")
    for _ in range(2):
        assert scenario.waits_at(case) == ["pruefen"]
        scenario.complete(case, "pruefen")
    scenario.advance(timedelta(hours=1, seconds=1))
    assert scenario.waits_at(case) == ["mahnen"]
    scenario.complete(case, "mahnen")
    assert scenario.status(case) == "completed"


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_a_two_step_loop_left_by_a_boundary_timer(scenario: Scenario, dialect: str) -> None:
    _deploy(scenario, TWO_STEP_LOOP, dialect)
    case = scenario.start("akte")
    for _ in range(2):
        scenario.complete(case, "pruefen")
        assert scenario.waits_at(case) == ["korrigieren"]
        scenario.complete(case, "korrigieren")
    assert scenario.waits_at(case) == ["pruefen"]
    scenario.advance(timedelta(hours=1, seconds=1))
    assert scenario.waits_at(case) == ["mahnen"]
    scenario.complete(case, "mahnen")
    assert scenario.status(case) == "completed"


def test_a_loop_left_by_an_interrupting_event_subprocess(scenario: Scenario) -> None:
    _deploy(scenario, LEFT_BY_EVENT_SUBPROCESS, "flowable")
    case = scenario.start("akte", business_key="A-7")
    scenario.complete(case, "pruefen")
    scenario.complete(case, "korrigieren")
    assert scenario.waits_at(case) == ["pruefen"]
    scenario.message("Akte geschlossen", key="A-7")
    assert scenario.waits_at(case) == ["mahnen"]
    scenario.complete(case, "mahnen")
    assert scenario.status(case) == "completed"
