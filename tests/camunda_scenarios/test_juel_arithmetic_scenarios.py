"""JUEL arithmetic with null and numeric text in Camunda models (see tests/unit/test_juel_arithmetic.py):
ported Camunda engine tests that count with ``${x + 1}`` from an unset variable or from the text
a JUEL script task stored. SQLite and PostgreSQL, a save/restore at every wait."""

from __future__ import annotations

import pytest

from tests.camunda_scenarios.conftest import Scenario


@pytest.mark.corpus
def test_AsyncAfterTest_testAsyncAfterServiceWrappedInSequentialMultiInstance(scenario: Scenario) -> None:
    """behaviorInvoked starts unset: ``execution.getVariable('behaviorInvoked') + 1`` is 1 (null
    counts as 0), then each of the five instances adds one. (camunda:asyncAfter is not a
    transaction boundary here: the jobs between the instances are not observable.)"""
    scenario.deploy_camunda("async/AsyncAfterTest.testAsyncAfterServiceWrappedInSequentialMultiInstance.bpmn20.xml")
    case = scenario.start("testProcess")
    data = scenario.data(case)
    assert data["listenerStartInvoked"] is True and data["listenerEndInvoked"] is True
    assert data["behaviorInvoked"] == 5
    [task] = scenario.tasks(case)
    scenario.complete_task(task["id"])
    assert scenario.status(case) == "completed"


@pytest.mark.corpus
def test_ExclusiveGatewayTest_testLoopWithManyIterations(scenario: Scenario) -> None:
    """The JUEL script task ``0`` stores the text "0"; ``${i+1}`` counts on from it as a number."""
    scenario.deploy_camunda("gateway/ExclusiveGatewayTest.testLoopWithManyIterations.bpmn")
    case = scenario.start("testProcess", {"numOfIterations": 1000})
    assert scenario.status(case) == "completed"
