"""A BPMN error thrown inside one instance of a parallel multi-instance sub-process is caught by
the error boundary event on the sub-process, which interrupts every instance at once (Camunda 7,
BoundaryErrorEventTest.testCatchErrorThrownByMultiInstanceSubProcessSetsErrorVariables). Before,
the first instance's error was caught, but the instances SpiffWorkflow had already dropped from
the tree still ran on and threw the error again with nothing left to catch it: the case failed
with an incident although the boundary event had taken over."""

from __future__ import annotations

import pytest

from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" targetNamespace="t">
  <error id="fehlt" errorCode="UNTERLAGE_FEHLT"/>
  <process id="antrag" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow sourceRef="start" targetRef="pruefen"/>
    <subProcess id="pruefen">
      <multiInstanceLoopCharacteristics isSequential="{sequential}" camunda:collection="${unterlagen}"
                                        camunda:elementVariable="unterlage"/>
      <startEvent id="pStart"/>
      <sequenceFlow sourceRef="pStart" targetRef="teilen"/>
      <parallelGateway id="teilen"/>
      <sequenceFlow sourceRef="teilen" targetRef="sichten"/>
      <userTask id="sichten"/>
      <sequenceFlow sourceRef="sichten" targetRef="pEnde"/>
      <endEvent id="pEnde"/>
      <sequenceFlow sourceRef="teilen" targetRef="vorhanden"/>
      <exclusiveGateway id="vorhanden" default="ok"/>
      <sequenceFlow id="fehlend" sourceRef="vorhanden" targetRef="melden">
        <conditionExpression xsi:type="tFormalExpression">${unterlage == 'fehlt'}</conditionExpression>
      </sequenceFlow>
      <sequenceFlow id="ok" sourceRef="vorhanden" targetRef="pEnde2"/>
      <endEvent id="pEnde2"/>
      <endEvent id="melden"><errorEventDefinition errorRef="fehlt"/></endEvent>
    </subProcess>
    <sequenceFlow sourceRef="pruefen" targetRef="bescheiden"/>
    <userTask id="bescheiden"/>
    <sequenceFlow sourceRef="bescheiden" targetRef="ende"/>
    <endEvent id="ende"/>
    <boundaryEvent id="unvollstaendig" attachedToRef="pruefen">
      <errorEventDefinition camunda:errorCodeVariable="fehlercode"/>
    </boundaryEvent>
    <sequenceFlow sourceRef="unvollstaendig" targetRef="nachfordern"/>
    <userTask id="nachfordern"/>
    <sequenceFlow sourceRef="nachfordern" targetRef="ende3"/>
    <endEvent id="ende3"/>
  </process>
</definitions>"""


def _deploy(scenario: Scenario, sequential: bool) -> None:
    xml = MODEL.replace("{sequential}", str(sequential).lower())
    deploy(scenario.engine, [SourceFile("antrag.bpmn", xml.encode())], actor="scenario")


@pytest.mark.parametrize("sequential", [False, True])
def test_error_in_every_instance_interrupts_the_loop_once(scenario: Scenario, sequential: bool) -> None:
    _deploy(scenario, sequential)
    case = scenario.start("antrag", {"unterlagen": ["fehlt", "fehlt", "fehlt"]})
    assert scenario.status(case) == "waiting"
    assert scenario.case(case)["incidents"] == []
    assert scenario.waits_at(case) == ["nachfordern"]
    data = scenario.data(case)
    assert data["fehlercode"] == "UNTERLAGE_FEHLT"
    assert "unterlage" not in data and "loopCounter" not in data   # instance variables stay in the instances
    scenario.complete(case, "nachfordern")
    assert scenario.status(case) == "completed"


def test_error_in_the_last_instance_interrupts_the_others(scenario: Scenario) -> None:
    _deploy(scenario, False)
    case = scenario.start("antrag", {"unterlagen": ["da", "da", "fehlt"]})
    assert scenario.case(case)["incidents"] == []
    assert scenario.waits_at(case) == ["nachfordern"]   # the first two instances' tasks are gone too


def test_without_error_every_instance_waits(scenario: Scenario) -> None:
    _deploy(scenario, False)
    case = scenario.start("antrag", {"unterlagen": ["da", "da"]})
    assert scenario.waits_at(case) == ["sichten", "sichten"]


def test_BoundaryErrorEventTest_testCatchErrorThrownByMultiInstanceSubProcessSetsErrorVariables(
        scenario: Scenario) -> None:
    """Five parallel instances each throw 'error' at once: the boundary event catches it, sets
    errorVariable, and the process waits in the task after it and in the parallel user task."""
    scenario.deploy_camunda(
        "event/error/BoundaryErrorEventTest.testCatchErrorThrownByMultiInstanceSubProcessSetsErrorCodeVariable.bpmn")
    case = scenario.start("Process_1")
    assert scenario.case(case)["incidents"] == []
    assert scenario.data(case)["errorVariable"] == "error"
    assert scenario.waits_at(case) == ["UserTask_1", "UserTask_3"]
