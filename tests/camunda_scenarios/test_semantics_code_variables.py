"""Ported Camunda 7 engine tests: error and escalation code variables on catching events
(EscalationEventTest, BoundaryErrorEventTest, ErrorEventSubProcessTest)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("java", [
    "EscalationEventTest.testRetrieveEscalationCodeVariableOnBoundaryEvent",
    "EscalationEventTest.testRetrieveEscalationCodeVariableOnBoundaryEventWithoutEscalationCode",
])
def test_escalation_code_variable_on_boundary_event(scenario, java):
    scenario.deploy_camunda(f"event/escalation/{java}.bpmn20.xml")
    case = scenario.start("escalationProcess")
    assert "taskAfterCatchedEscalation" in scenario.waits_at(case)
    assert scenario.data(case)["escalationCodeVar"] == "escalationCode"


def test_BoundaryErrorEventTest_testCatchErrorOnSubprocessSetsErrorVariables(scenario):
    scenario.deploy_camunda("event/error/BoundaryErrorEventTest.testCatchErrorOnSubprocessSetsErrorVariables.bpmn")
    case = scenario.start("Process_1")
    data = scenario.data(case)
    assert data["errorVariable"] == "error1" and data["errorMessageVariable"] is None


def test_ErrorEventSubProcessTest_testCatchErrorEventSubprocessSetErrorVariables(scenario):
    scenario.deploy_camunda("event/error/ErrorEventSubProcessTest.testCatchErrorEventSubprocessSetErrorVariables.bpmn")
    case = scenario.start("Process_1")
    assert scenario.waits_at(case) == ["UserTask_1"]
    assert scenario.data(case)["errorCode"] == "error"


def test_ErrorEndEventTest_testErrorMessage(scenario):
    scenario.deploy_camunda("event/error/ErrorEndEventTest.testErrorMessage.bpmn20.xml")
    case = scenario.start("testErrorMessage")
    data = scenario.data(case)
    assert data["errorCode"] == "123"
    assert data["errorMessage"] == "This is the error message indicating what went wrong."


def test_ErrorEndEventTest_testErrorMessageExpression(scenario):
    """camunda:errorMessage="${errorMessageExpression}": evaluated with the thrower's variables when
    the error is thrown; the catcher's errorMessageVariable gets the text."""
    message = "This is the error message indicating what went wrong."
    scenario.deploy_camunda("event/error/ErrorEndEventTest.testErrorMessageExpression.bpmn20.xml")
    case = scenario.start("testErrorMessageExpression", {"errorMessageExpression": message})
    data = scenario.data(case)
    assert data["errorCode"] == "123" and data["errorMessage"] == message


_OWN_ERROR = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             targetNamespace="t">
  <error id="unvollstaendig" errorCode="UNVOLLSTAENDIG" camunda:errorMessage="Es fehlt: ${fehlt}"/>
  <process id="pruefung" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="teil"/>
    <subProcess id="teil">
      <startEvent id="ts"/>
      <sequenceFlow id="t1" sourceRef="ts" targetRef="te"/>
      <endEvent id="te"><errorEventDefinition errorRef="unvollstaendig"/></endEvent>
    </subProcess>
    <boundaryEvent id="gefangen" attachedToRef="teil">
      <errorEventDefinition errorRef="unvollstaendig" camunda:errorCodeVariable="code"
                            camunda:errorMessageVariable="grund"/>
    </boundaryEvent>
    <sequenceFlow id="f2" sourceRef="teil" targetRef="ende"/>
    <sequenceFlow id="f3" sourceRef="gefangen" targetRef="nachfordern"/>
    <userTask id="nachfordern" camunda:candidateGroups="sb"/>
    <sequenceFlow id="f4" sourceRef="nachfordern" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""


def test_an_error_message_expression_of_our_own_model_reaches_the_catcher(scenario):
    from engine.runtime.parsing import SourceFile
    from engine.services.deploy import deploy

    deploy(scenario.engine, [SourceFile("pruefung.bpmn", _OWN_ERROR.encode())], actor="scenario")
    case = scenario.start("pruefung", {"fehlt": "Meldebescheinigung"})
    assert scenario.waits_at(case) == ["nachfordern"]
    data = scenario.data(case)
    assert data["code"] == "UNVOLLSTAENDIG" and data["grund"] == "Es fehlt: Meldebescheinigung"
