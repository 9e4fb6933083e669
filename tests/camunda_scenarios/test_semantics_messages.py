"""Ported Camunda 7 engine tests: message boundary events, intermediate message catch events,
message start events (MessageBoundaryEventTest, MessageIntermediateEventTest,
MessageStartEventTest). Camunda's messageEventReceived(name, execution) is a correlation by
name here (each case has one execution waiting for that name in these models)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.domain.errors import DeploymentError
from engine.persistence import tables as t
from tests.camunda_scenarios.semantics_helpers import correlate

MSG = "event/message/"


def waiting_names(scenario) -> list[str]:
    s = t.subscriptions
    with scenario.engine.db.connect() as conn:
        return sorted(conn.execute(select(s.c.name).where(s.c.kind == "message")).scalars())


def test_MessageBoundaryEventTest_testSingleBoundaryMessageEvent(scenario):
    scenario.deploy_camunda(MSG + "MessageBoundaryEventTest.testSingleBoundaryMessageEvent.bpmn20.xml")
    case = scenario.start("process")
    assert scenario.waits_at(case) == ["task"] and waiting_names(scenario) == ["messageName"]
    correlate(scenario, "messageName")
    assert scenario.waits_at(case) == ["taskAfterMessage"]
    scenario.complete(case, "taskAfterMessage")
    assert scenario.status(case) == "completed"
    second = scenario.start("process")
    scenario.complete(second, "task")
    assert waiting_names(scenario) == []
    assert scenario.waits_at(second) == ["taskAfterTask"]
    scenario.complete(second, "taskAfterTask")
    assert scenario.status(second) == "completed"


def test_MessageBoundaryEventTest_testDoubleBoundaryMessageEvent(scenario):
    scenario.deploy_camunda(MSG + "MessageBoundaryEventTest.testDoubleBoundaryMessageEvent.bpmn20.xml")
    case = scenario.start("process")
    assert waiting_names(scenario) == ["messageName_1", "messageName_2"]
    correlate(scenario, "messageName_1")
    # the other boundary event is gone with its activity (Camunda refuses the message; here a
    # message for nobody is dropped when asked to, else it would wait in the buffer)
    assert correlate(scenario, "messageName_2", only_if_waiting=True).status == "ignored"
    assert scenario.waits_at(case) == ["taskAfterMessage_1"]
    scenario.complete(case, "taskAfterMessage_1")
    assert scenario.status(case) == "completed"
    second = scenario.start("process")
    scenario.complete(second, "task")
    assert waiting_names(scenario) == []
    assert scenario.waits_at(second) == ["taskAfterTask"]


def test_MessageBoundaryEventTest_testDoubleBoundaryMessageEventSameMessageId(scenario):
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_camunda(MSG + "MessageBoundaryEventTest.testDoubleBoundaryMessageEventSameMessageId.bpmn20.xml")
    assert [p.element_id for p in caught.value.problems] == ["messageBoundary_2"]


def test_MessageBoundaryEventTest_testBoundaryMessageEventInsideSubprocess(scenario):
    scenario.deploy_camunda(MSG + "MessageBoundaryEventTest.testBoundaryMessageEventInsideSubprocess.bpmn20.xml")
    case = scenario.start("process")
    correlate(scenario, "messageName")
    assert scenario.waits_at(case) == ["taskAfterMessage"]
    scenario.complete(case, "taskAfterMessage")
    assert scenario.status(case) == "completed"
    second = scenario.start("process")
    scenario.complete(second, "task")
    assert waiting_names(scenario) == []
    assert scenario.waits_at(second) == ["taskAfterTask"]
    scenario.complete(second, "taskAfterTask")
    assert scenario.status(second) == "completed"


def test_MessageBoundaryEventTest_testBoundaryMessageEventOnSubprocessAndInsideSubprocess(scenario):
    scenario.deploy_camunda(MSG + "MessageBoundaryEventTest.testBoundaryMessageEventOnSubprocessAndInsideSubprocess"
                                  ".bpmn20.xml")
    case = scenario.start("process")
    assert waiting_names(scenario) == ["messageName", "messageName2"]
    scenario.complete(case, "task")
    assert scenario.waits_at(case) == ["taskAfterTask"] and waiting_names(scenario) == ["messageName2"]
    scenario.complete(case, "taskAfterTask")
    assert waiting_names(scenario) == []
    assert scenario.waits_at(case) == ["taskAfterSubprocess"]
    scenario.complete(case, "taskAfterSubprocess")
    second = scenario.start("process")
    correlate(scenario, "messageName")
    assert scenario.waits_at(second) == ["taskAfterMessage"] and waiting_names(scenario) == ["messageName2"]
    scenario.complete(second, "taskAfterMessage")
    assert waiting_names(scenario) == [] and scenario.waits_at(second) == ["taskAfterSubprocess"]
    third = scenario.start("process")
    correlate(scenario, "messageName2")
    assert scenario.waits_at(third) == ["taskAfterOuterMessageBoundary"] and waiting_names(scenario) == []
    scenario.complete(third, "taskAfterOuterMessageBoundary")
    assert scenario.status(third) == "completed"


def test_MessageBoundaryEventTest_testBoundaryMessageEventOnSubprocess(scenario):
    scenario.deploy_camunda(MSG + "MessageBoundaryEventTest.testBoundaryMessageEventOnSubprocess.bpmn20.xml")
    first = scenario.start("process")
    correlate(scenario, "messageName_one")
    assert scenario.waits_at(first) == ["taskAfterMessage_one"]
    scenario.complete(first, "taskAfterMessage_one")
    assert scenario.status(first) == "completed"
    second = scenario.start("process")
    correlate(scenario, "messageName_two")
    assert scenario.waits_at(second) == ["taskAfterMessage_two"]
    scenario.complete(second, "taskAfterMessage_two")
    assert scenario.status(second) == "completed"
    third = scenario.start("process")
    scenario.complete(third, scenario.waits_at(third)[0])
    assert waiting_names(scenario) == []
    assert scenario.waits_at(third) == ["taskAfterSubProcess"]
    scenario.complete(third, "taskAfterSubProcess")
    assert scenario.status(third) == "completed"


def test_MessageBoundaryEventTest_testBoundaryMessageEventOnSubprocessAndInsideSubprocessMultiInstance(scenario):
    scenario.deploy_camunda(MSG + "MessageBoundaryEventTest.testBoundaryMessageEventOnSubprocessAndInsideSubprocess"
                                  "MultiInstance.bpmn20.xml")
    case = scenario.start("process")
    assert len(scenario.tasks(case)) == 5
    assert waiting_names(scenario) == ["messageName"] * 5 + ["messageName2"]
    correlate(scenario, "messageName2")
    assert waiting_names(scenario) == []
    assert scenario.waits_at(case) == ["taskAfterOuterMessageBoundary"]
    scenario.complete(case, "taskAfterOuterMessageBoundary")
    assert scenario.status(case) == "completed"


def test_MessageBoundaryEventTest_testBoundaryMessageEventConcurrent(scenario):
    scenario.deploy_camunda(MSG + "MessageBoundaryEventTest.testBoundaryMessageEventConcurrent.bpmn20.xml")
    scenario.start("boundaryEvent")
    assert len(waiting_names(scenario)) == 2
    correlate(scenario, "task1Message")
    assert len(waiting_names(scenario)) == 1            # the concurrent task's boundary still waits


def test_MessageBoundaryEventTest_testBoundaryMessageEventOnSubprocessWithIntermediateMessageCatch(scenario):
    scenario.deploy_camunda(MSG + "MessageBoundaryEventTest.testBoundaryMessageEventOnSubprocessWithIntermediate"
                                  "MessageCatch.bpmn")
    case = scenario.start("testProcess")
    correlate(scenario, "cancelMessage")
    assert scenario.status(case) == "completed"
