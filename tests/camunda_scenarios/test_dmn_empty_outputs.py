"""An empty output entry leaves its output out of the rule's result, as Camunda's DMN engine
does (DecisionTableEvaluationHandler.evaluateOutputEntries skips empty expressions); it was the
empty text "". Model: tests/models/camunda/dmn_empty_outputs/ (singleResult)."""

from __future__ import annotations

from pathlib import Path

from tests.camunda_scenarios.conftest import Scenario

FOLDER = Path(__file__).resolve().parents[1] / "models" / "camunda" / "dmn_empty_outputs"
FILES = [FOLDER / "hinweis_pruefen.bpmn", FOLDER / "hinweis.dmn"]


def _result(scenario: Scenario, art: str) -> object:
    scenario.deploy_files(FILES)
    case = scenario.start("hinweis_pruefen")
    scenario.complete(case, "antrag", {"art": art})
    assert scenario.status(case) == "completed", scenario.case(case).get("error")
    return scenario.data(case)["ergebnis"]


def test_an_empty_output_entry_is_left_out_of_the_result(scenario: Scenario) -> None:
    assert _result(scenario, "Gewerbe") == {"stelle": "KVR"}


def test_filled_output_entries_are_all_in_the_result(scenario: Scenario) -> None:
    assert _result(scenario, "Bau") == {"stelle": "PLAN", "hinweis": "Bauantrag beilegen"}
