"""FEEL's literals ``true``, ``false`` and ``null`` in decision-table cells (Camunda 7's DMN
default language for input and output entries): a boolean column tests ``true``/``false``, an
output entry ``true``/``false``/``null`` gives the boolean or null. The cells were read as Python
names ("name 'true' is not defined" when the rule was tested). Model:
tests/models/camunda/dmn_feel_literals/."""

from __future__ import annotations

from pathlib import Path

from tests.camunda_scenarios.conftest import Scenario

FOLDER = Path(__file__).resolve().parents[1] / "models" / "camunda" / "dmn_feel_literals"
FILES = [FOLDER / "freigabe_pruefen.bpmn", FOLDER / "freigabe.dmn"]


def _decide(scenario: Scenario, data: dict[str, object]) -> str:
    scenario.deploy_files(FILES)
    case = scenario.start("freigabe_pruefen")
    assert scenario.waits_at(case) == ["antrag"]
    scenario.complete(case, "antrag", data)
    return case


def test_boolean_cells_in_a_decision_table(scenario: Scenario) -> None:
    case = _decide(scenario, {"betrag": 500, "eilig": True})
    assert scenario.status(case) == "completed", scenario.case(case).get("error")
    assert scenario.data(case)["ergebnis"] == {"freigabe_noetig": False, "stufe": "Eil"}


def test_false_and_null_cells(scenario: Scenario) -> None:
    case = _decide(scenario, {"betrag": 500, "eilig": False})
    assert scenario.status(case) == "completed", scenario.case(case).get("error")
    assert scenario.data(case)["ergebnis"] == {"freigabe_noetig": False, "stufe": None}


def test_a_true_output_takes_the_conditioned_path(scenario: Scenario) -> None:
    case = _decide(scenario, {"betrag": 5000, "eilig": False})
    assert scenario.waits_at(case) == ["freigeben"], scenario.case(case).get("error")
    assert scenario.data(case)["ergebnis"] == {"freigabe_noetig": True, "stufe": "Leitung"}
    scenario.complete(case, "freigeben")
    assert scenario.status(case) == "completed"
