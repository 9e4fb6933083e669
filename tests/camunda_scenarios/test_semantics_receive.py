"""Ported Camunda 7 engine tests: receive tasks (ReceiveTaskTest). Camunda correlates by
message name (and business key); so does amtsflow. Subscriptions are counted in the
subscription projection, as the Java tests count event subscriptions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.domain.errors import AmbiguousCorrelation
from engine.persistence import tables as t
from tests.camunda_scenarios.semantics_helpers import correlate

RT = "receivetask/ReceiveTaskTest."


def subscriptions(scenario) -> int:
    s = t.subscriptions
    with scenario.engine.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(s).where(s.c.kind == "message")).scalar_one())


def test_ReceiveTaskTest_testSupportsCorrelateMessageOnSingleReceiveTask(scenario):
    scenario.deploy_camunda(RT + "singleReceiveTask.bpmn20.xml")
    case = scenario.start("testProcess")
    assert subscriptions(scenario) == 1
    assert correlate(scenario, "newInvoiceMessage").status == "delivered"
    assert subscriptions(scenario) == 0
    assert scenario.status(case) == "completed"


def test_ReceiveTaskTest_testSupportsCorrelateMessageByBusinessKeyOnSingleReceiveTask(scenario):
    scenario.deploy_camunda(RT + "singleReceiveTask.bpmn20.xml")
    case23 = scenario.start("testProcess", business_key="23")
    case42 = scenario.start("testProcess", business_key="42")
    assert subscriptions(scenario) == 2
    scenario.message("newInvoiceMessage", key="23")
    assert subscriptions(scenario) == 1
    assert scenario.status(case23) == "completed" and scenario.status(case42) == "waiting"
    scenario.message("newInvoiceMessage", key="42")
    assert subscriptions(scenario) == 0
    assert scenario.status(case42) == "completed"


def test_ReceiveTaskTest_testSupportsCorrelateMessageOnSequentialMultiReceiveTask(scenario):
    scenario.deploy_camunda(RT + "multiSequentialReceiveTask.bpmn20.xml")
    case = scenario.start("testProcess")
    assert subscriptions(scenario) == 1
    correlate(scenario, "newInvoiceMessage")
    assert subscriptions(scenario) == 1          # the second instance waits now
    correlate(scenario, "newInvoiceMessage")
    assert subscriptions(scenario) == 0
    scenario.complete(case, "interaction")
    assert scenario.status(case) == "completed"


def test_ReceiveTaskTest_testSupportsCorrelateMessageOnReceiveTaskBehindParallelGateway(scenario):
    scenario.deploy_camunda(RT + "parallelGatewayReceiveTask.bpmn20.xml")
    case = scenario.start("testProcess")
    assert subscriptions(scenario) == 2
    correlate(scenario, "Message 1")
    correlate(scenario, "Message 2")
    assert subscriptions(scenario) == 0
    assert scenario.status(case) == "completed"


def test_ReceiveTaskTest_testSupportsMessageEventReceivedOnSubProcessReceiveTask(scenario):
    scenario.deploy_camunda(RT + "subProcessReceiveTask.bpmn20.xml")
    case = scenario.start("testProcess")
    assert subscriptions(scenario) == 1
    correlate(scenario, "newInvoiceMessage")
    assert subscriptions(scenario) == 0
    assert scenario.status(case) == "completed"


def test_ReceiveTaskTest_testNotSupportsCorrelateMessageOnParallelMultiReceiveTask(scenario):
    """Two instances of one case wait for the same message: correlating by name alone is
    refused (Camunda: MismatchingMessageCorrelationException), nothing is delivered."""
    scenario.deploy_camunda(RT + "multiParallelReceiveTask.bpmn20.xml")
    case = scenario.start("testProcess")
    assert subscriptions(scenario) == 2
    with pytest.raises(AmbiguousCorrelation):
        correlate(scenario, "newInvoiceMessage")
    assert subscriptions(scenario) == 2
    assert scenario.status(case) == "waiting"


def test_ReceiveTaskTest_testSupportsMessageEventReceivedOnParallelMultiInstanceWithBoundaryEventReceived(scenario):
    scenario.deploy_camunda(RT + "multiParallelReceiveTaskBoundary.bpmn20.xml")
    case = scenario.start("testProcess")
    assert subscriptions(scenario) == 3
    correlate(scenario, "cancelInvoiceMessage")
    assert subscriptions(scenario) == 0
    assert scenario.status(case) == "completed"


@pytest.mark.parametrize("java, model, key", [
    ("ReceiveTaskTest.testReceiveTaskWithoutMessageReference", "simpleReceiveTask.bpmn20.xml", "testProcess"),
    ("ReceiveTaskTest.testWaitStateBehavior", "testWaitStateBehavior.bpmn20.xml", "receiveTask"),
])
def test_receive_task_without_message_waits(scenario, java, model, key):
    """Camunda waits at a receive task without messageRef until an API call signals that
    execution (SpiffWorkflow passed straight through). Here it waits too, for a message named
    like the task's id (the engine's stand-in for runtimeService.signal)."""
    scenario.deploy_camunda(RT + model)
    case = scenario.start(key)
    assert scenario.status(case) == "waiting"
    correlate(scenario, "waitState")
    assert scenario.status(case) == "completed"
