"""Flowable's variable functions in a deployed model's conditions, timers and texts
(``${var:equals(input, 2)}``, ``${vars:getOrDefault(dauer, 'PT1H')}``), with models of our own
written after Flowable's tests (AsyncLeaveTest.testExclusiveGatewayAsyncLeave,
InclusiveGatewayTest.testMergeWithEndedExecution, EmailServiceTaskTest.
testHtmlMailWithGetOrDefaultVariableFunctions). SQLite and PostgreSQL, case cache off: every
wait is a save/restore."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="Examples">
  <process id="verzweigung">
    <startEvent id="start"/>
    <sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>
    <exclusiveGateway id="gw"/>
    <sequenceFlow id="toA" sourceRef="gw" targetRef="taskA">
      <conditionExpression>${var:equals(input, 1)}</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="toB" sourceRef="gw" targetRef="taskB">
      <conditionExpression>${vars:equals(input, 2) &amp;&amp; var:isEmpty(sonderfall)}</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="toC" sourceRef="gw" targetRef="warten">
      <conditionExpression>${variables:gt(input, 2)}</conditionExpression>
    </sequenceFlow>
    <userTask id="taskA" name="Task A"/>
    <userTask id="taskB" name="Fall ${vars:getOrDefault(aktenzeichen, 'ohne Aktenzeichen')}"/>
    <intermediateCatchEvent id="warten">
      <timerEventDefinition><timeDuration>${vars:getOrDefault(dauer, 'PT1H')}</timeDuration></timerEventDefinition>
    </intermediateCatchEvent>
    <sequenceFlow id="fA" sourceRef="taskA" targetRef="end"/>
    <sequenceFlow id="fB" sourceRef="taskB" targetRef="end"/>
    <sequenceFlow id="fC" sourceRef="warten" targetRef="taskC"/>
    <userTask id="taskC" name="Task C"/>
    <sequenceFlow id="fC2" sourceRef="taskC" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""


@pytest.fixture
def deployed(scenario: Scenario) -> Scenario:
    deploy(scenario.engine, [SourceFile("verzweigung.bpmn20.xml", MODEL.encode())], actor="scenario")
    return scenario


@pytest.mark.parametrize(("variables", "waits"), [
    ({"input": 1}, ["taskA"]),
    ({"input": 2}, ["taskB"]),
    ({"input": "2"}, ["taskB"]),          # a text that spells the number compares as it (EL)
])
def test_the_gateway_decides_with_the_variable_functions(deployed: Scenario, variables: dict, waits: list) -> None:
    case = deployed.start("verzweigung", variables)
    assert deployed.waits_at(case) == waits


def test_a_missing_variable_is_null_not_an_error(deployed: Scenario) -> None:
    """``sonderfall`` was never set: var:isEmpty is true; ``aktenzeichen`` neither: its default."""
    case = deployed.start("verzweigung", {"input": 2})
    assert deployed.task(case, "taskB")["name"] == "Fall ohne Aktenzeichen"
    named = deployed.start("verzweigung", {"input": 2, "aktenzeichen": "AZ-7"})
    assert deployed.task(named, "taskB")["name"] == "Fall AZ-7"


def test_a_timer_takes_its_duration_or_the_default(deployed: Scenario) -> None:
    default = deployed.start("verzweigung", {"input": 3})
    given = deployed.start("verzweigung", {"input": 3, "dauer": "PT3H"})
    assert deployed.waits_at(default) == deployed.waits_at(given) == []   # both at the timer
    assert deployed.status(default) == deployed.status(given) == "waiting"
    deployed.advance(timedelta(hours=1, minutes=1))
    assert deployed.waits_at(default) == ["taskC"] and deployed.waits_at(given) == []
    deployed.advance(timedelta(hours=2))
    assert deployed.waits_at(given) == ["taskC"]
