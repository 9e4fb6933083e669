"""Ported Camunda 7 engine tests: intermediate message catch events, non-interrupting message
boundary events and message start events (MessageIntermediateEventTest,
MessageNonInterruptingBoundaryEventTest, MessageStartEventTest)."""

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


def cases_of(scenario, key: str) -> list[str]:
    with scenario.engine.db.connect() as conn:
        return list(conn.execute(select(t.cases.c.id).where(t.cases.c.process_key == key)).scalars())


def test_MessageIntermediateEventTest_testSingleIntermediateMessageEvent(scenario):
    scenario.deploy_camunda(MSG + "MessageIntermediateEventTest.testSingleIntermediateMessageEvent.bpmn20.xml")
    case = scenario.start("process")
    assert waiting_names(scenario) == ["newInvoiceMessage"] and scenario.tasks(case) == []
    correlate(scenario, "newInvoiceMessage")
    [task] = scenario.tasks(case)
    scenario.complete(case, task["element_id"])
    assert scenario.status(case) == "completed"


def test_MessageIntermediateEventTest_testIntermediateMessageEventRedeployment(scenario):
    """Redeploying the model leaves the waiting case where it is (here the unchanged file
    gives no new version at all; Camunda makes version 2)."""
    model = MSG + "MessageIntermediateEventTest.testSingleIntermediateMessageEvent.bpmn20.xml"
    scenario.deploy_camunda(model)
    case = scenario.start("process")
    scenario.deploy_camunda(model)
    assert waiting_names(scenario) == ["newInvoiceMessage"] and scenario.status(case) == "waiting"
    correlate(scenario, "newInvoiceMessage")
    assert len(scenario.tasks(case)) == 1


def test_MessageIntermediateEventTest_testEmptyMessageNameFails(scenario):
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_camunda(MSG + "MessageIntermediateEventTest.testEmptyMessageNameFails.bpmn20.xml")
    [problem] = caught.value.problems
    assert problem.element_id == "messageCatch"
    assert "Cannot have a message event subscription with an empty or missing name" in problem.message


def test_MessageNonInterruptingBoundaryEventTest_testSingleNonInterruptingBoundaryMessageEvent(scenario):
    scenario.deploy_camunda(MSG + "MessageNonInterruptingBoundaryEventTest.testSingleNonInterruptingBoundaryMessage"
                                  "Event.bpmn20.xml")
    case = scenario.start("process")
    assert scenario.waits_at(case) == ["task"]
    correlate(scenario, "messageName")
    assert waiting_names(scenario) == ["messageName"]              # still subscribed
    assert scenario.waits_at(case) == ["task", "taskAfterMessage"]
    scenario.complete(case, "taskAfterMessage")
    correlate(scenario, "messageName")                              # fires again
    assert scenario.waits_at(case) == ["task", "taskAfterMessage"]
    scenario.complete(case, "taskAfterMessage")
    scenario.complete(case, "task")
    assert waiting_names(scenario) == []
    assert scenario.waits_at(case) == ["taskAfterTask"]
    scenario.complete(case, "taskAfterTask")
    assert scenario.status(case) == "completed"
    second = scenario.start("process")
    scenario.complete(second, "task")
    assert waiting_names(scenario) == [] and scenario.waits_at(second) == ["taskAfterTask"]
    scenario.complete(second, "taskAfterTask")
    assert scenario.status(second) == "completed"
