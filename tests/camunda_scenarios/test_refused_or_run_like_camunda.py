"""What Camunda 7 does with a message throw event whose messageRef names no message, an invalid
timer value and an expression as a message start event's name (issue 11: implement what Camunda
runs, refuse the rest with a clear FILE:LINE: element-id: message).

* ExclusiveThrowEventTest: a message intermediate throw event without implementation whose
  messageRef names no message deploys and runs in Camunda (its messageRef is never read: a none
  event). Here it was refused ("points to no message defined in this file"); now it passes through
  with a deploy warning.
* ScriptTaskTest.testPreviousTaskShouldNotHandleException and the ServiceTask*ActivityBehaviorTest
  twins: a timeDuration "time is just a concept" deploys in Camunda and fails with "Invalid format"
  when the timer starts; here it stays refused at deploy, and the message says so.
* MessageStartEventTest.testUsingExpressionWith...InMessageStartEventNameThrowsException: Camunda
  refuses the deployment; so do we, quoting Camunda's reason.
"""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario



@pytest.mark.corpus
@pytest.mark.parametrize("model", ["testExclusiveThrowEvent", "testNonExclusiveThrowEvent",
                                   "testExclusiveThrowEventConcurrent"])
def test_ExclusiveThrowEventTest(scenario: Scenario, model: str) -> None:
    result = scenario.deploy_camunda(f"exclusive/ExclusiveThrowEventTest.{model}.bpmn")
    warnings = [w for w in result.warnings if "messageRef" in w.message]
    assert warnings and all("points to no message defined in this file" in w.message
                            and "passes through" in w.message for w in warnings)
    case = scenario.start("exclusive")
    scenario.run_jobs()
    assert scenario.status(case) == "completed"


MESSAGE_END = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="melden" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="pruefen"/>
    <bpmn:userTask id="pruefen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="pruefen" targetRef="gemeldet"/>
    <bpmn:endEvent id="gemeldet"><bpmn:messageEventDefinition messageRef="fehlt"/></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_message_end_event_naming_no_message_ends_its_path(scenario: Scenario) -> None:
    result = deploy(scenario.engine, [SourceFile("melden.bpmn", MESSAGE_END)], actor="scenario")
    [warning] = [w for w in result.warnings if "messageRef" in w.message]
    assert warning.element_id == "gemeldet" and "'fehlt'" in warning.message
    case = scenario.start("melden")
    scenario.complete(case, "pruefen")
    assert scenario.status(case) == "completed"


def test_a_message_catch_naming_no_message_stays_refused(scenario: Scenario) -> None:
    xml = MESSAGE_END.replace(b'<bpmn:userTask id="pruefen"/>',
                              b'<bpmn:intermediateCatchEvent id="pruefen"><bpmn:messageEventDefinition '
                              b'messageRef="fehlt"/></bpmn:intermediateCatchEvent>')
    with pytest.raises(DeploymentError) as refused:
        deploy(scenario.engine, [SourceFile("melden.bpmn", xml)], actor="scenario")
    assert any(p.element_id == "pruefen" and "points to no message" in p.message for p in refused.value.problems)


@pytest.mark.corpus
@pytest.mark.parametrize("model", [
    "scripttask/ScriptTaskTest.testPreviousTaskShouldNotHandleException.bpmn",
    "servicetask/ServiceTaskClassDelegateActivityBehaviorTest.testExceptionThrownBySecondScopeServiceTaskIsNotHandled.bpmn"])
def test_an_invalid_timer_value_is_refused_at_deploy_saying_what_Camunda_does(scenario: Scenario, model: str) -> None:
    with pytest.raises(DeploymentError) as refused:
        scenario.deploy_camunda(model, mapping={"delegates": {}})
    [problem] = [p for p in refused.value.problems if "timer" in p.message]
    assert problem.element_id.startswith("_TimerEventDefinition_") and problem.line > 0   # the line of the value
    assert "time is just a concept" in problem.message and "Invalid format" in problem.message


@pytest.mark.corpus
def test_MessageStartEventTest_testUsingExpressionWithHashTagInMessageStartEventNameThrowsException(
        scenario: Scenario) -> None:
    with pytest.raises(DeploymentError) as refused:
        scenario.deploy_camunda("event/message/MessageStartEventTest."
                                "testUsingExpressionWithHashTagInMessageStartEventNameThrowsException.bpmn20.xml")
    assert any("expressions in the message start event name are not allowed" in p.message
               for p in refused.value.problems)


SIGNAL_WITHOUT_NAME = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">
  <signal id="alarm"/>
  <message id="post"/>
  <process id="warten" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="signalEvent"/>
    <intermediateCatchEvent id="signalEvent"><signalEventDefinition signalRef="alarm"/></intermediateCatchEvent>
    <sequenceFlow id="f2" sourceRef="signalEvent" targetRef="postEvent"/>
    <intermediateCatchEvent id="postEvent"><messageEventDefinition messageRef="post"/></intermediateCatchEvent>
    <sequenceFlow id="f3" sourceRef="postEvent" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""


def test_a_signal_or_a_message_without_a_name_is_refused_with_its_reason(scenario: Scenario) -> None:
    """Camunda's InvalidProcessWithNoSignalName (and Flowable's SignalEventTests.noSignalName):
    the deployment is refused. SpiffWorkflow's parser failed here with a TypeError of its own;
    the problem now names the element and what to add."""
    with pytest.raises(DeploymentError) as refused:
        deploy(scenario.engine, [SourceFile("warten.bpmn", SIGNAL_WITHOUT_NAME)], actor="scenario")
    found = {p.element_id: p.message for p in refused.value.problems}
    assert found["signalEvent"].startswith("the signal 'alarm' has no name: give it one")
    assert "Cannot have a message event subscription with an empty or missing name" in found["postEvent"]
    assert not any("TypeError" in message for message in found.values())
