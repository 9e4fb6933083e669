"""Ported Camunda 7 engine tests: compensation (CompensateEventTest, CompensationEventParseInvalidProcessTest)."""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError

COMP = "event/compensate/CompensateEventTest."
HELPER = "org.camunda.bpm.engine.test.bpmn.event.compensate.helper."
UNDO = {"delegates": {HELPER + "UndoService": "test.undo"}}


def _undo_calls(scenario) -> list:
    return [c for c in scenario.connector.calls if c.operation.endswith("undo")]


@pytest.fixture
def undo(scenario):
    scenario.connector.behaviour["undo"] = lambda r: __import__("engine.ports", fromlist=["ServiceResult"]).ServiceResult({})
    return scenario


def test_CompensateEventTest_testCompensateSubprocess(undo):
    scenario = undo
    scenario.deploy_camunda(f"{COMP}testCompensateSubprocess.bpmn20.xml", mapping=UNDO)
    case = scenario.start("compensateProcess")
    print(scenario.case(case))
    assert len(_undo_calls(scenario)) == 5
