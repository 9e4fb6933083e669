"""A conditional event after an event-based gateway fires when its condition holds: when the
gateway is reached, or when a variable changes later (Camunda 7,
InputOutputEventTest.testConditionalCatchAfterEventGateway). SpiffWorkflow's multiple-event
definition of the gateway looked at its timers only: the condition was never evaluated and
the case waited at the gateway forever."""

from __future__ import annotations

from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
             targetNamespace="t">
  <message id="eingang" name="UnterlagenEingegangen"/>
  <process id="nachforderung" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow sourceRef="start" targetRef="warten"/>
    <eventBasedGateway id="warten"/>
    <sequenceFlow sourceRef="warten" targetRef="unterlagen"/>
    <sequenceFlow sourceRef="warten" targetRef="verzicht"/>
    <intermediateCatchEvent id="unterlagen"><messageEventDefinition messageRef="eingang"/></intermediateCatchEvent>
    <intermediateCatchEvent id="verzicht">
      <conditionalEventDefinition>
        <condition xsi:type="tFormalExpression">${verzichtet == true}</condition>
      </conditionalEventDefinition>
    </intermediateCatchEvent>
    <sequenceFlow sourceRef="unterlagen" targetRef="pruefen"/>
    <userTask id="pruefen"/>
    <sequenceFlow sourceRef="pruefen" targetRef="ende"/>
    <endEvent id="ende"/>
    <sequenceFlow sourceRef="verzicht" targetRef="ablegen"/>
    <userTask id="ablegen"/>
    <sequenceFlow sourceRef="ablegen" targetRef="ende2"/>
    <endEvent id="ende2"/>
  </process>
</definitions>"""


def _deploy(scenario: Scenario) -> None:
    deploy(scenario.engine, [SourceFile("nachforderung.bpmn", MODEL.encode())], actor="scenario")


def test_the_condition_fires_when_a_variable_changes(scenario: Scenario) -> None:
    _deploy(scenario)
    case = scenario.start("nachforderung", business_key="N-1")
    assert scenario.waits_at(case) == []
    scenario.set_variables(case, {"verzichtet": False})
    assert scenario.waits_at(case) == []
    scenario.set_variables(case, {"verzichtet": True})
    assert scenario.waits_at(case) == ["ablegen"]
    assert scenario.message("UnterlagenEingegangen", key="N-1").status != "delivered"   # the other path is gone


def test_the_condition_fires_when_the_gateway_is_reached(scenario: Scenario) -> None:
    _deploy(scenario)
    case = scenario.start("nachforderung", {"verzichtet": True})
    assert scenario.waits_at(case) == ["ablegen"]


def test_the_message_first_takes_its_path(scenario: Scenario) -> None:
    _deploy(scenario)
    case = scenario.start("nachforderung", business_key="N-2")
    scenario.message("UnterlagenEingegangen", key="N-2")
    assert scenario.waits_at(case) == ["pruefen"]
    scenario.set_variables(case, {"verzichtet": True})
    assert scenario.waits_at(case) == ["pruefen"]


def test_InputOutputEventTest_testConditionalCatchAfterEventGateway(scenario: Scenario) -> None:
    """Setting var = 1 fires the conditional event after the gateway; its output mapping sets foo."""
    scenario.deploy_camunda("iomapping/InputOutputEventTest.testConditionalCatchAfterEventGateway.bpmn20.xml")
    case = scenario.start("process")
    scenario.set_variables(case, {"var": 1})
    assert scenario.data(case)["foo"] == "bar"
    assert scenario.waits_at(case) == ["Task_140hnfz"]
