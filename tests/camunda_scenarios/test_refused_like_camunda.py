"""Models Camunda 7 refuses at parse that deployed here and then ran differently (found by
bench/compat.py among the camunda-engine-tests models that the Java tests expect to be refused):

* an error end event whose error has no errorCode: it deployed and every case failed when it
  threw an error with the empty code (BoundaryErrorEventTest.testThrowErrorWith{out,Empty}ErrorCode);
* a catch event after an event-based gateway that another flow also leads to: that flow made a
  second token wait at the event beside the gateway's (EventBasedGatewayTest.testInvalidSequenceFlow).
"""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError
from tests.camunda_scenarios.conftest import Scenario


@pytest.mark.corpus
@pytest.mark.parametrize("java_test", ["testThrowErrorWithoutErrorCode", "testThrowErrorWithEmptyErrorCode"])
def test_BoundaryErrorEventTest_throwing_an_error_without_code_is_refused(scenario: Scenario, java_test: str) -> None:
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_camunda(f"event/error/BoundaryErrorEventTest.{java_test}.bpmn20.xml")
    [problem] = [p for p in caught.value.problems
                 if "'errorCode' is mandatory on errors referenced by throwing error event definitions" in p.message]
    assert problem.element_id == "theEnd" and problem.line > 0


@pytest.mark.corpus
def test_EventBasedGatewayTest_testInvalidSequenceFlow(scenario: Scenario) -> None:
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_camunda("gateway/EventBasedGatewayTest.testEventInvalidSequenceFlow.bpmn20.xml")
    [problem] = [p for p in caught.value.problems
                 if "Invalid incoming sequenceflow for intermediateCatchEvent" in p.message]
    assert problem.element_id == "invalidFlow" and problem.line > 0
