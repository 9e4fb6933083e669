"""Flowable's task-id variables and message/signal names given as expressions (issue 11, item 6),
ported from Flowable's own engine tests (../shared/corpus/flowable-engine-tests): the models,
unchanged, deployed through the Flowable dialect and driven on SQLite and PostgreSQL with the
case cache off (a save/restore at every wait).

``flowable:taskIdVariableName`` stores the id a task is completed by; ``flowable:messageExpression``
and ``flowable:signalExpression`` name the event per case, as the Camunda dialect's name expressions
do (engine.runtime.event_names); on a process's start event Flowable resolves the expression once,
at deployment (constants and ``variableContainer.definitionKey``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.domain.errors import DeploymentError
from tests.camunda_scenarios.conftest import Scenario
from tests.camunda_scenarios.test_event_name_expressions import subscriptions

pytestmark = pytest.mark.corpus

USERTASK = "usertask/"
MSG = "event/message/"
SIG = "event/signal/"
START = "event/StartEventExpressionWithDefinitionContainerTest."


# --- usertask/UserTaskTest ---------------------------------------------------------------------

def test_UserTaskTest_testUserTaskIdVariableName(scenario: Scenario) -> None:
    scenario.deploy_flowable(USERTASK + "UserTaskTest.userTaskIdVariableName.bpmn20.xml")
    case = scenario.start("userTaskIdVariableName")
    first, second = scenario.task(case, "task1"), scenario.task(case, "task2")
    data = scenario.data(case)
    assert data["myTaskId"] == first["id"]                  # flowable:taskIdVariableName="myTaskId"
    assert data["myExpressionTaskId"] == second["id"]       # ="${'myExpressionTaskId'}"
    scenario.complete_task(data["myTaskId"])                # the id clients complete the task by
    scenario.complete_task(scenario.data(case)["myExpressionTaskId"])
    assert scenario.status(case) == "completed"


# --- event/message/MessageIntermediateEventTest, MessageExpressionTest ---------------------------

def test_MessageIntermediateEventTest_testSingleIntermediateMessageExpressionEvent(scenario: Scenario) -> None:
    scenario.deploy_flowable(MSG + "MessageIntermediateEventTest.testSingleIntermediateMessageExpressionEvent.bpmn20.xml")
    case = scenario.start("process", {"myMessageName": "testMessage"})
    assert subscriptions(scenario, "message", case) == ["testMessage"]
    scenario.message("testMessage", to_case=case, any_key=True)     # messageEventReceived(name, executionId)
    assert scenario.waits_at(case) == ["task"]
    scenario.complete(case, "task")
    assert scenario.status(case) == "completed"


def test_MessageExpressionTest_testMessageEventsWithExpression(scenario: Scenario) -> None:
    scenario.deploy_flowable(MSG + "MessageExpressionTest.testMessageEventsWithExpression.bpmn20.xml")
    # the start event's ${'startMessage'}${1+1} was resolved at deployment
    outcome = scenario.message("startMessage2", data={"catchMessage": "actualCatchMessageValue"})
    assert outcome.status == "started"
    case = outcome.case_id
    assert case is not None and scenario.tasks(case) == []
    assert subscriptions(scenario, "message", case) == ["actualCatchMessageValue"]
    scenario.message("actualCatchMessageValue", to_case=case, any_key=True,
                     data={"boundaryMessage": "actualBoundaryMessage"})
    assert [t["name"] for t in scenario.tasks(case)] == ["T1"]
    assert subscriptions(scenario, "message", case) == ["actualBoundaryMessage"]
    scenario.message("actualBoundaryMessage", to_case=case, any_key=True)
    assert [t["name"] for t in scenario.tasks(case)] == ["T2"]


def test_MessageExpressionTest_testMessageEventSubprocess(scenario: Scenario) -> None:
    """The event sub-process's message start subscribes when the case starts, under the name its
    expression yields from the start variables."""
    scenario.deploy_flowable(MSG + "MessageExpressionTest.testMessageEventSubprocess.bpmn20.xml")
    case = scenario.start("testEventSubprocessWithMessageExpression", {"subprocessMessage": "actualMessageValue"})
    assert subscriptions(scenario, "message", case) == ["actualMessageValue"]
    assert [t["name"] for t in scenario.tasks(case)] == ["User task"]
    scenario.message("actualMessageValue", to_case=case, any_key=True)   # messageEventReceived(name, executionId)
    assert [t["name"] for t in scenario.tasks(case)] == ["T1"]


# --- event/signal/SignalEventTest ----------------------------------------------------------------

def test_SignalEventTest_testSignalCatchIntermediateExpression(scenario: Scenario) -> None:
    scenario.deploy_flowable(SIG + "SignalEventTests.catchAlertSignalExpression.bpmn20.xml",
                             SIG + "SignalEventTests.throwAlertSignalExpression.bpmn20.xml")
    catcher = scenario.start("catchSignal", {"mySignalName": "testSignal"})
    assert subscriptions(scenario, "signal") == ["testSignal"]
    thrower = scenario.start("throwSignal", {"mySignalName": "testSignal"})
    assert subscriptions(scenario, "signal") == []
    assert scenario.status(catcher) == scenario.status(thrower) == "completed"


def test_SignalEventTest_testSignalExpression(scenario: Scenario) -> None:
    scenario.deploy_flowable(SIG + "SignalEventTest.testSignalExpression.bpmn20.xml")
    # the start event's ${'start'}${'Signal'} was resolved at deployment
    assert scenario.signal("startSignal", {"catchSignal": "actualCatchSignalValue"}) == 1
    [case] = _cases(scenario)
    assert subscriptions(scenario, "signal", case) == ["actualCatchSignalValue", "eventSubprocessSignal"]
    scenario.signal("actualCatchSignalValue",
                    {"throwSignal": "eventSubprocessSignal", "boundarySignal": "actualBoundarySignalValue"})
    assert sorted(t["name"] for t in scenario.tasks(case)) == ["T1", "T3"]
    assert subscriptions(scenario, "signal", case) == ["actualBoundarySignalValue", "eventSubprocessSignal"]
    scenario.signal("actualBoundarySignalValue")
    assert sorted(t["name"] for t in scenario.tasks(case)) == ["T2", "T3"]


# --- event/StartEventExpressionWithDefinitionContainerTest -----------------------------------------

def test_StartEventExpressionWithDefinitionContainerTest_testSignalStartEventExpressionResolvesAtDeployment(
        scenario: Scenario) -> None:
    scenario.deploy_flowable(START + "testSignalStartEventExpressionResolvesAtDeployment.bpmn20.xml")
    assert scenario.signal("signalExpressionProcessSignal") == 1
    [case] = _cases(scenario)
    assert scenario.case(case)["process_key"] == "signalExpressionProcess"
    assert scenario.waits_at(case) == ["task1"]


def test_StartEventExpressionWithDefinitionContainerTest_testMessageStartEventExpressionResolvesAtDeployment(
        scenario: Scenario) -> None:
    scenario.deploy_flowable(START + "testMessageStartEventExpressionResolvesAtDeployment.bpmn20.xml")
    outcome = scenario.message("messageExpressionProcessMessage")
    assert outcome.status == "started" and outcome.case_id is not None
    assert scenario.case(outcome.case_id)["process_key"] == "messageExpressionProcess"


# --- models of our own ---------------------------------------------------------------------------

_START_READS_VARIABLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="http://amtsflow.test">
  <process id="antrag" isExecutable="true">
    <startEvent id="eingang">
      <messageEventDefinition flowable:messageExpression="eingang-${aktenzeichen}"/>
    </startEvent>
    <sequenceFlow id="f1" sourceRef="eingang" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""


def test_a_start_event_expression_that_reads_a_variable_is_refused(scenario: Scenario, tmp_path: Path) -> None:
    model = tmp_path / "antrag.bpmn20.xml"
    model.write_bytes(_START_READS_VARIABLE)
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_files([model])
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.element_id) == ("antrag.bpmn20.xml", 6, "eingang")
    assert "flowable:messageExpression" in problem.message and "deployment" in problem.message


def _cases(scenario: Scenario) -> list[str]:
    from sqlalchemy import select

    from engine.persistence import tables as t

    with scenario.engine.db.connect() as conn:
        return list(conn.execute(select(t.cases.c.id).order_by(t.cases.c.started_at)).scalars())


# --- event/EventSubProcessWithBoundaryEventsTest: boundary events on an event sub-process ------------

@pytest.mark.parametrize(("method", "boundary", "line"), [
    ("testMessageBoundaryEvent", "messageBoundary", 24), ("testSignalBoundaryEvent", "signalBoundary", 24),
    ("testTimerBoundaryEvent", "timerBoundary", 23), ("testErrorBoundaryEvent", "eventSubProcessErrorBoundary", 24)])
def test_EventSubProcessWithBoundaryEventsTest_is_refused(scenario: Scenario, method: str, boundary: str,
                                                          line: int) -> None:
    """Flowable ignores a boundary event on an event sub-process (no subscription; an error passes
    it by); the model once crashed the reader here (AttributeError). Now: refused, naming the
    boundary event (the Groovy script task mapped to an operation so that nothing else blocks)."""
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_flowable(f"event/EventSubProcessWithBoundaryEventsTest.{method}.bpmn20.xml",
                                 mapping={"scripts": {"scriptTask": "test.noop"}})
    [problem] = caught.value.problems
    assert (problem.line, problem.element_id) == (line, boundary)
    assert "boundary event attached to the event sub-process 'eventSubProcess'" in problem.message
