"""FEEL simple unary tests in decision-table input entries (Camunda 7's default language for
them) and empty output entries, as Camunda's DMN engine reads them:

* a list ``"Hund","Katze"`` matches when any of its tests matches (was compared with a tuple);
* ``not(...)`` matches when none of its tests matches (was Python's ``not``);
* ranges ``[1..10]``, ``]1..10[``, ``(10..20]`` with inclusive and exclusive ends (failed);
* comparisons ``< 5`` alone or in a list; a null input matches no comparison and no range;
* an empty output entry leaves its output out of the rule's result (was the empty text ""),
  as DecisionTableEvaluationHandler.evaluateOutputEntries skips empty expressions.

Model: tests/models/camunda/dmn_feel_tests/ (hit policy COLLECT, result list)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.camunda_scenarios.conftest import Scenario

FOLDER = Path(__file__).resolve().parents[1] / "models" / "camunda" / "dmn_feel_tests"
FILES = [FOLDER / "tarif_pruefen.bpmn", FOLDER / "tarif.dmn"]


@pytest.mark.parametrize(("data", "expected"), [
    ({"art": "Hund", "alter": 1}, [{"regel": "liste", "hinweis": "Tier, Haustier"}, {"regel": "geschlossen"},
                                   {"regel": "kleiner"}]),
    ({"art": "Maus", "alter": 10}, [{"regel": "nicht"}, {"regel": "geschlossen"}]),
    ({"art": "Maus", "alter": 20}, [{"regel": "nicht"}, {"regel": "halboffen"}, {"regel": "rand"}]),
    ({"art": "Hund,Katze", "alter": 5}, [{"regel": "nicht"}, {"regel": "geschlossen"}, {"regel": "offen"}]),
    ({"art": "Katze", "alter": 15}, [{"regel": "liste", "hinweis": "Tier, Haustier"}, {"regel": "halboffen"},
                                     {"hinweis": "ausserhalb"}]),
    ({"art": "Katze", "alter": None}, [{"regel": "liste", "hinweis": "Tier, Haustier"}]),
], ids=["liste", "nicht", "halboffen", "komma-im-text", "leere-ausgabe", "null"])
def test_feel_unary_tests_and_empty_outputs(scenario: Scenario, data: dict[str, object],
                                            expected: list[dict[str, object]]) -> None:
    scenario.deploy_files(FILES)
    case = scenario.start("tarif_pruefen")
    scenario.complete(case, "antrag", data)
    assert scenario.status(case) == "completed", scenario.case(case).get("error")
    assert scenario.data(case)["ergebnis"] == expected
