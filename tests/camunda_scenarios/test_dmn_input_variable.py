"""A decision-table input without an input expression, named by ``camunda:inputVariable``
(Camunda 7's DMN engine; DigiWF's DV-MoHo decision is written so).

Camunda reads an empty ``<inputExpression><text></text>`` as no expression: the input's value is
null and its input entries are tested against the variable of the context that
``camunda:inputVariable`` names (DmnExpressionTransformHelper.getExpression: empty text is no
expression; DecisionTableEvaluationHandler.getLocalVariableContext: no cell-input binding for an
empty expression; the FEEL unary tests read ``inputVariable`` from the context). So the column
tests the process variable of that name, null when the case has none.
Model: tests/models/camunda/dmn_input_variable/."""

from __future__ import annotations

from pathlib import Path

from tests.camunda_scenarios.conftest import Scenario

FOLDER = Path(__file__).resolve().parents[1] / "models" / "camunda" / "dmn_input_variable"
FILES = [FOLDER / "leitung_finden.bpmn", FOLDER / "referate.dmn"]


def _decide(scenario: Scenario, data: dict[str, object]) -> str:
    scenario.deploy_files(FILES)
    case = scenario.start("leitung_finden")
    assert scenario.waits_at(case) == ["antrag"]
    scenario.complete(case, "antrag", data)
    return case


def test_an_empty_input_expression_tests_the_variable_named_by_input_variable(scenario: Scenario) -> None:
    case = _decide(scenario, {"FormField_referat": "Value_referat_rit", "anzahl": 2})
    assert scenario.waits_at(case) == ["pruefen"], scenario.case(case).get("error")
    data = scenario.data(case)
    assert data["dmn_result"] == {"GL_Gruppe": "RIT-GL", "GL_Mail": "gl.rit"}
    assert data["gl_gruppe"] == "RIT-GL"
    scenario.complete(case, "pruefen")
    assert scenario.status(case) == "completed"


def test_the_other_columns_still_narrow_the_rules(scenario: Scenario) -> None:
    case = _decide(scenario, {"FormField_referat": "Value_referat_rit", "anzahl": 9})
    assert scenario.data(case)["gl_gruppe"] == "RIT-GL-Eil", scenario.case(case).get("error")
    case = _decide(scenario, {"FormField_referat": "Value_referat_por", "anzahl": 9})
    assert scenario.data(case)["gl_gruppe"] == "POR-GL1"


def test_without_the_variable_the_column_reads_null_and_no_rule_matches(scenario: Scenario) -> None:
    case = _decide(scenario, {"anzahl": 2})
    assert scenario.waits_at(case) == ["pruefen"], scenario.case(case).get("error")
    data = scenario.data(case)
    assert data["dmn_result"] is None and data["gl_gruppe"] is None
