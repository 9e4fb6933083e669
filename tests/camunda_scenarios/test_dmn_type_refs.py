"""Decision tables whose inputs and outputs have a ``typeRef``, converted as Camunda 7's DMN engine
converts them (engine.runtime.dmn_types, engine.runtime.camunda_decisions):

* the input expression's value is converted before the input entries test it: the form's text
  ``"2"`` is the integer 2 for ``typeRef="integer"``, ``"false"`` the boolean for ``boolean``,
  ``"12500.50"`` the number for ``double``;
* an output entry's value is converted to the output's typeRef (``"96"`` gives 96 for ``integer``,
  ``2025`` gives ``"2025"`` for ``string``, ``"TRUE"`` gives true for ``boolean``); a typeRef
  Camunda 7 does not know (``number``) converts nothing and is not refused;
* a value that cannot be converted (``"zwei"``, ``"2.5"``, ``"12,5"``: Java reads no decimal
  comma) is an incident of the business rule task naming the value, the column and the type.

Model: tests/models/camunda/dmn_types/ (Hundesteuer by number of dogs; singleResult)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.camunda_scenarios.conftest import Scenario

FOLDER = Path(__file__).resolve().parents[1] / "models" / "camunda" / "dmn_types"
FILES = [FOLDER / "hundesteuer_festsetzen.bpmn", FOLDER / "hundesteuer.dmn"]


def _anmeldung(anzahl: object, gefaehrlich: object = "false", einkommen: object = "32000") -> dict[str, object]:
    return {"anzahl_hunde": anzahl, "gefaehrlicher_hund": gefaehrlich, "jahreseinkommen": einkommen}


@pytest.mark.parametrize(("data", "expected"), [
    (_anmeldung("1"), {"jahressteuer": 96, "satzung": "2025", "ermaessigt": False, "hinweis": "96"}),
    (_anmeldung("2"), {"jahressteuer": 240, "satzung": "2025", "ermaessigt": False}),
    (_anmeldung("+3", "FALSE", "15000"), {"jahressteuer": 360, "satzung": "2025", "ermaessigt": False}),
    (_anmeldung("2", "false", "12500.50"), {"jahressteuer": 48, "satzung": "2025", "ermaessigt": True}),
    (_anmeldung(1, False, 12500.5), {"jahressteuer": 48, "satzung": "2025", "ermaessigt": True}),
    (_anmeldung(2.0, "False", " 1.5e4 "), {"jahressteuer": 240, "satzung": "2025", "ermaessigt": False}),
    (_anmeldung("1", "true", None), {"jahressteuer": 600, "satzung": "2025", "ermaessigt": False}),
], ids=["ein-hund-text", "zwei-hunde-text", "drei-hunde-vorzeichen", "ermaessigung-text", "json-zahlen",
        "zahl-mit-null-nachkomma", "gefaehrlich"])
def test_form_texts_are_converted_to_the_columns_types(scenario: Scenario, data: dict[str, object],
                                                       expected: dict[str, object]) -> None:
    scenario.deploy_files(FILES)
    case = scenario.start("hundesteuer_festsetzen")
    scenario.complete(case, "anmeldung", data)
    assert scenario.status(case) == "completed", scenario.case(case).get("error")
    steuer = scenario.data(case)["steuer"]
    assert steuer == expected
    assert [type(steuer[k]) for k in expected] == [type(v) for v in expected.values()]


@pytest.mark.parametrize(("data", "shown", "column", "type_ref"), [
    (_anmeldung("zwei"), '"zwei"', "Anzahl Hunde", "integer"),
    (_anmeldung("2.5"), '"2.5"', "Anzahl Hunde", "integer"),
    (_anmeldung(2.5), "2.5", "Anzahl Hunde", "integer"),
    (_anmeldung("2", "ja"), '"ja"', "Gefährlicher Hund", "boolean"),
    (_anmeldung("2", "false", "12500,50"), '"12500,50"', "Jahreseinkommen", "double"),
], ids=["wort", "text-mit-nachkomma", "zahl-mit-nachkomma", "ja-statt-true", "dezimalkomma"])
def test_a_value_the_type_cannot_take_is_an_incident(scenario: Scenario, data: dict[str, object], shown: str,
                                                     column: str, type_ref: str) -> None:
    scenario.deploy_files(FILES)
    case = scenario.start("hundesteuer_festsetzen")
    scenario.complete(case, "anmeldung", data)
    assert scenario.status(case) == "failed"
    error = scenario.case(case)["error"]
    assert f"Der Wert {shown} der Spalte '{column}' lässt sich nicht in den Typ '{type_ref}' umwandeln" in error
    assert "TypeError" not in error
