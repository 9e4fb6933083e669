"""Ported Camunda 7 engine tests: link events (LinkEventTest). Link events are rewritten into
sequence flows at deploy time (engine.runtime.links); SpiffWorkflow alone stopped at them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.domain.errors import DeploymentError
from engine.persistence import tables as t
from tests.camunda_scenarios.semantics_helpers import correlate

LINK = "event/link/LinkEventTest."


def _waiting_for(scenario, case: str) -> list[str]:
    with scenario.engine.db.connect() as conn:
        return sorted(conn.execute(select(t.subscriptions.c.name).where(t.subscriptions.c.case_id == case)).scalars())


def test_LinkEventTest_testValidEventLink(scenario):
    scenario.deploy_camunda(LINK + "testValidEventLink.bpmn20.xml")
    case = scenario.start("linkEventValid")
    assert _waiting_for(scenario, case) == ["waitAfterLink1"]     # the receive task after link A
    correlate(scenario, "waitAfterLink1")
    assert _waiting_for(scenario, case) == ["waitAfterLink2"]     # ... and after link B
    correlate(scenario, "waitAfterLink2")
    assert scenario.status(case) == "completed"


def test_LinkEventTest_testEventLinkMultipleSources(scenario):
    """Two link throw events lead to one catch event: two tokens arrive at the task after it
    (the manual task before passes through, as in Camunda)."""
    scenario.deploy_camunda(LINK + "testEventLinkMultipleSources.bpmn20.xml")
    case = scenario.start("linkEventValid")
    assert _waiting_for(scenario, case) == ["WaitAfterLink", "WaitAfterLink"]


@pytest.mark.parametrize("java, model, element, message", [
    ("LinkEventTest.testInvalidEventLinkMultipleTargets", "testInvalidEventLinkMultipleTargets.bpmn20.xml",
     "IntermediateCatchEvent_2", "Multiple Intermediate Catch Events with the same link event name ('LinkA') are "
                                 "not allowed"),
    ("LinkEventTest.testCatchLinkEventAfterEventBasedGatewayNotAllowed",
     "testCatchLinkEventAfterEventBasedGatewayNotAllowed.bpmn20.xml", "IntermediateCatchEvent_2",
     "IntermediateCatchLinkEvent is not allowed after an EventBasedGateway."),
])
def test_invalid_link_events_are_refused(scenario, java, model, element, message):
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_camunda(LINK + model)
    [problem] = caught.value.problems
    assert (problem.element_id, problem.message) == (element, message)
