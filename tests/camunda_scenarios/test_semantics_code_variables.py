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


def test_ErrorEndEventTest_testErrorMessageExpression_is_refused(scenario):
    """camunda:errorMessage="${...}" is refused at deploy time (only fixed messages here)."""
    from engine.domain.errors import DeploymentError

    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_camunda("event/error/ErrorEndEventTest.testErrorMessageExpression.bpmn20.xml")
    assert "is an expression" in caught.value.problems[0].message
