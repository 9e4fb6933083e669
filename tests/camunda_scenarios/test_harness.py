"""The harness itself: a corpus model deploys, runs on both databases, reloads at every wait."""

from __future__ import annotations

from tests.camunda_scenarios.conftest import CAMUNDA_TESTS, Scenario


def test_start_to_end(scenario: Scenario) -> None:
    """StartToEndTest.testStartToEnd: a process with only a start and an end event completes."""
    scenario.deploy_camunda("StartToEndTest.testStartToEnd.bpmn20.xml")
    case = scenario.start("startToEnd")
    assert scenario.status(case) == "completed"


def test_cache_is_off_so_every_command_reloads(scenario: Scenario) -> None:
    assert scenario.engine.settings.case_cache_size == 0
    assert CAMUNDA_TESTS.name == "bpmn"
