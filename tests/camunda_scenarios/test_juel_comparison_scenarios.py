"""A camunda:outputParameter given as text stores a text ("2"); Camunda 7 compares it with a
number as that number, so ``${stufe == 2}`` takes its flow. Before, the comparison was Python's
(the text "2" is not 2) and the case silently took the other flow. SQLite and PostgreSQL, a
save/restore at every wait."""

from __future__ import annotations

from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" targetNamespace="t">
  <process id="einstufung" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="erfassen"/>
    <userTask id="erfassen">
      <extensionElements>
        <camunda:inputOutput><camunda:outputParameter name="stufe">2</camunda:outputParameter></camunda:inputOutput>
      </extensionElements>
    </userTask>
    <sequenceFlow id="f2" sourceRef="erfassen" targetRef="weiche"/>
    <exclusiveGateway id="weiche"/>
    <sequenceFlow id="zwei" sourceRef="weiche" targetRef="stufeZwei">
      <conditionExpression xsi:type="tFormalExpression">${stufe == 2}</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="andere" sourceRef="weiche" targetRef="andereStufe">
      <conditionExpression xsi:type="tFormalExpression">${stufe != 2}</conditionExpression>
    </sequenceFlow>
    <userTask id="stufeZwei"/>
    <userTask id="andereStufe"/>
    <sequenceFlow id="f3" sourceRef="stufeZwei" targetRef="ende"/>
    <sequenceFlow id="f4" sourceRef="andereStufe" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""


def test_a_numeric_text_compares_with_a_number_as_that_number(scenario: Scenario) -> None:
    deploy(scenario.engine, [SourceFile("einstufung.bpmn", MODEL.encode())], actor="scenario")
    case = scenario.start("einstufung")
    scenario.complete(case, "erfassen")
    assert scenario.data(case)["stufe"] == "2"          # Camunda keeps the text too
    assert scenario.waits_at(case) == ["stufeZwei"]
