"""Decision tables with FEEL dates, times and durations and with JUEL cells, as Camunda 7 reads
them (engine.runtime.feel_temporal, feel_unary, camunda_decisions):

* input entries compare with ``date("...")``, ``time("...")``, ``duration("...")`` in
  comparisons, ranges, lists, ``not(...)`` and alone (equality); the input, an ISO text as forms
  deliver it, is read as the literal's type; an input that is no such text matches no rule (FEEL
  null, also inside ``not(...)``), never an incident, unless the column's ``typeRef="date"``
  cannot take it (Camunda converts first: an incident, engine.runtime.dmn_types);
* ``${...}`` input expressions (the legacy default) and ``expressionLanguage="juel"`` input
  expressions, input entries (the input bound to ``cellInput`` or camunda:inputVariable) and
  output entries are read as JUEL;
* an output entry ``date("2020-01-01")`` gives the ISO text;
* a temporal function the engine cannot read (``date(variable)``) is refused at deploy.

Model: tests/models/camunda/dmn_dates/ (a fee table by Antragsdatum; COLLECT, result list)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.domain.errors import DeploymentError
from tests.camunda_scenarios.conftest import Scenario

FOLDER = Path(__file__).resolve().parents[1] / "models" / "camunda" / "dmn_dates"
FILES = [FOLDER / "gebuehr_pruefen.bpmn", FOLDER / "gebuehr_nach_antragsdatum.dmn"]

ALT = {"tarif": "Satzung 2020", "gueltig_ab": "2020-01-01", "gebuehr": 25}
NEU_2024 = {"tarif": "Satzung 2024", "gueltig_ab": "2024-01-01", "gebuehr": 30}
NEU_2025 = {"tarif": "Satzung 2025", "gueltig_ab": "2025-01-01T00:00:00", "gebuehr": 35}
ABEND = {"tarif": "Abendzuschlag", "gebuehr": 10}
VERZUG = {"tarif": "Verzögerung", "gebuehr": -5}


def _antrag(datum: object, uhrzeit: object = "09:00:00", dauer: object = "P3D",
            streitwert: object = 500) -> dict[str, object]:
    return {"antrag": {"datum": datum, "uhrzeit": uhrzeit}, "dauer": dauer, "streitwert": streitwert,
            "grundgebuehr": 30}


@pytest.mark.parametrize(("data", "expected"), [
    (_antrag("2023-06-30"), [ALT]),
    (_antrag("2024-05-03", "19:30:00", "P20D"), [NEU_2024, ABEND, VERZUG]),
    (_antrag("2024-12-31", "18:00:00", "PT400H"), [NEU_2024, VERZUG]),
    (_antrag("2025-02-01", streitwert=20000), [NEU_2025, {"tarif": "Großverfahren", "gebuehr": 60}]),
    (_antrag("2024-12-24", "20:00:00"), [NEU_2024, {"tarif": "Feiertag", "gebuehr": 0}]),
    (_antrag("2023-06-30", "19 Uhr", "drei Wochen"), [ALT]),
    (_antrag("2024-05-03T10:00:00", "19:00:00"), []),
    (_antrag(None, None, None, None), []),
    (_antrag("2023-06-30", 1900, 14), [ALT]),
], ids=["vor-2024", "bereich-abend-verzug", "bereichsende", "juel-ausgabe", "gleich-und-nicht", "keine-iso-texte",
        "datum-mit-zeit", "null", "zahlen"])
def test_fee_by_application_date(scenario: Scenario, data: dict[str, object],
                                 expected: list[dict[str, object]]) -> None:
    scenario.deploy_files(FILES)
    case = scenario.start("gebuehr_pruefen")
    scenario.complete(case, "antrag", data)
    assert scenario.status(case) == "completed", scenario.case(case).get("error")
    assert scenario.data(case)["gebuehren"] == expected


@pytest.mark.parametrize(("datum", "shown"), [("03.05.2024", '"03.05.2024"'), (20240503, "20240503"),
                                              ("2024-02-30", '"2024-02-30"')])
def test_an_application_date_the_date_type_cannot_take_is_an_incident(scenario: Scenario, datum: object,
                                                                      shown: str) -> None:
    """The Antragsdatum column has typeRef="date": Camunda converts its value to a date first and
    fails the decision for a value that is none (a German date, a number, a day that does not exist)."""
    scenario.deploy_files(FILES)
    case = scenario.start("gebuehr_pruefen")
    scenario.complete(case, "antrag", _antrag(datum))
    assert scenario.status(case) == "failed"
    assert (f"Der Wert {shown} der Spalte 'Antragsdatum' lässt sich nicht in den Typ 'date' umwandeln"
            in scenario.case(case)["error"])


def test_a_date_of_a_variable_is_refused_at_deploy(scenario: Scenario) -> None:
    dmn = FILES[1].read_bytes().replace(b'&lt; date("2024-01-01")', b"&lt; date(stichtag)")
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_files([FILES[0]], extra={"gebuehr_nach_antragsdatum.dmn": dmn})
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 1, problems
    assert problems[0].startswith("gebuehr_nach_antragsdatum.dmn:")
    assert "alt_datum" in problems[0] and "date(stichtag)" in problems[0] and "festen Text" in problems[0]
