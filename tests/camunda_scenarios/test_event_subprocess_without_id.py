"""An event sub-process without an id (BPMN allows it; Camunda's own
BpmnParseTest.testParseEscalationStartEvent has one): its spec has no name, and starting a case
crashed (TypeError in bound_definitions reading the late-bound called processes) since call
activities bind when the call starts. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.camunda_scenarios.conftest import Scenario


@pytest.mark.corpus
def test_BpmnParseTest_testParseEscalationStartEvent_runs(scenario: Scenario) -> None:
    scenario.deploy_camunda("parse/BpmnParseTest.testParseEscalationStartEvent.bpmn20.xml")
    case = scenario.start("escalationProcess")
    assert scenario.status(case) == "completed"
