"""camunda:mapDecisionResult shapes a decision's result as Camunda 7 does
(DmnBusinessRuleTaskTest / DmnDecisionResultMapper semantics)."""

from __future__ import annotations

import pytest
from lxml import etree

from engine.runtime.camunda_decisions import decision_problems, for_the_library, map_result

ONE = [{"stufe": "klein"}]
TWO_RULES = [{"stufe": "klein"}, {"stufe": "gross"}]
TWO_OUTPUTS = [{"stufe": "klein", "gebuehr": 10}]


def test_result_list_is_every_matched_rule():
    assert map_result(TWO_RULES, "resultList") == TWO_RULES
    assert map_result([], "resultList") == []


def test_single_result_is_the_one_rule_or_none():
    assert map_result(TWO_OUTPUTS, "singleResult") == {"stufe": "klein", "gebuehr": 10}
    assert map_result([], "singleResult") is None
    with pytest.raises(ValueError, match="2 rules matched"):
        map_result(TWO_RULES, "singleResult")


def test_single_entry_is_the_one_value_or_none():
    assert map_result(ONE, "singleEntry") == "klein"
    assert map_result([], "singleEntry") is None
    with pytest.raises(ValueError, match="one output"):
        map_result(TWO_OUTPUTS, "singleEntry")
    with pytest.raises(ValueError, match="2 rules matched"):
        map_result(TWO_RULES, "singleEntry")


def test_collect_entries_is_the_one_output_of_every_rule():
    assert map_result(TWO_RULES, "collectEntries") == ["klein", "gross"]
    with pytest.raises(ValueError, match="one output"):
        map_result(TWO_OUTPUTS, "collectEntries")


def _dmn(cells: str, *, language: str = "", input_variable: str = "") -> etree._Element:
    definitions_language = f' expressionLanguage="{language}"' if language else ""
    variable = f' camunda:inputVariable="{input_variable}"' if input_variable else ""
    return etree.fromstring(f"""<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
        xmlns:camunda="http://camunda.org/schema/1.0/dmn" id="d" namespace="n"{definitions_language}>
      <decision id="gebuehr"><decisionTable id="t">
        <input id="i"{variable}>{cells.split("|")[0]}</input>
        <output id="o" name="gebuehr"/>
        <rule id="r">{cells.split("|")[1]}</rule>
      </decisionTable></decision></definitions>""".encode())


def _texts(root: etree._Element) -> list[str | None]:
    return [t.text for t in root.iter("{*}text")]


def test_juel_input_expressions_read_the_variable_they_name() -> None:
    legacy = _dmn('<inputExpression id="e"><text>${antrag.datum}</text></inputExpression>|'
                  '<inputEntry id="a"><text>"x"</text></inputEntry><outputEntry id="b"><text>1</text></outputEntry>')
    assert _texts(for_the_library(legacy))[0] == "antrag.datum"
    declared = _dmn('<inputExpression id="e" expressionLanguage="juel"><text>betrag &gt; 100</text></inputExpression>|'
                    '<inputEntry id="a"><text>true</text></inputEntry><outputEntry id="b"><text>1</text></outputEntry>')
    assert _texts(for_the_library(declared))[0] == "juel_compare('>', betrag, 100)"
    on_definitions = _dmn('<inputExpression id="e"><text>antrag.art</text></inputExpression>|'
                          '<inputEntry id="a"><text>${cellInput == "Hund"}</text></inputEntry>'
                          '<outputEntry id="b"><text>gebuehr * 2</text></outputEntry>', language="juel")
    assert _texts(for_the_library(on_definitions)) == [
        "antrag.art", "dmn_true(juel_compare('==', ?, 'Hund'), ?)", "juel_arith('*', gebuehr, 2)"]


def test_juel_input_entries_read_the_input_variable() -> None:
    root = _dmn('<inputExpression id="e"><text>wert</text></inputExpression>|'
                '<inputEntry id="a" expressionLanguage="juel"><text>${betrag &gt;= 10 &amp;&amp; b.betrag}</text>'
                '</inputEntry><outputEntry id="b"><text>1</text></outputEntry>', input_variable="betrag")
    assert _texts(for_the_library(root))[1] == "dmn_true(juel_compare('>=', ?, 10) and b.betrag, ?)"


def test_temporal_output_entries_are_iso_texts() -> None:
    root = _dmn('<inputExpression id="e"><text>x</text></inputExpression>|'
                '<inputEntry id="a"><text>&lt; date("2024-01-01")</text></inputEntry>'
                '<outputEntry id="b"><text>date and time("2025-01-01T08:00:00")</text></outputEntry>')
    texts = _texts(for_the_library(root))
    assert texts[2] == "'2025-01-01T08:00:00'"
    assert texts[1] == "dmn_true(feel_any(feel_test('<', ?, 'date', '2024-01-01')), ?)"
    assert decision_problems(root, "gebuehr.dmn") == []


def test_cells_that_cannot_be_read_are_deploy_problems() -> None:
    root = _dmn('<inputExpression id="e"><text>date(antragsdatum)</text></inputExpression>|'
                '<inputEntry id="a"><text>&lt; date(stichtag)</text></inputEntry>'
                '<outputEntry id="b"><text>date("2025-01-01") + duration("P1D")</text></outputEntry>')
    problems = decision_problems(root, "gebuehr.dmn")
    assert [(p.file, p.element_id) for p in problems] == [("gebuehr.dmn", "e"), ("gebuehr.dmn", "a"),
                                                          ("gebuehr.dmn", "b")]
    assert all(p.line > 0 for p in problems)
    assert "Eingabeausdrücken" in problems[0].message and "festen Text" in problems[1].message
    assert "Ausgabezellen" in problems[2].message
    assert _texts(for_the_library(root)) == _texts(root)    # a stored model's refused cells stay as they are
    juel = _dmn('<inputExpression id="e" expressionLanguage="juel"><text>${a = 1}</text></inputExpression>|'
                '<inputEntry id="a"><text>1</text></inputEntry><outputEntry id="b"><text>1</text></outputEntry>')
    assert [p.element_id for p in decision_problems(juel, "x.dmn")] == ["e"]


def test_feel_input_expressions_the_evaluator_cannot_parse_are_refused() -> None:
    root = _dmn('<inputExpression id="e"><text>if antrag.eilig then 1 else 2</text></inputExpression>|'
                '<inputEntry id="a"><text>1</text></inputEntry><outputEntry id="b"><text>1</text></outputEntry>')
    problems = decision_problems(root, "gebuehr.dmn")
    assert [p.element_id for p in problems] == ["e"] and "FEEL-Eingabeausdruck" in problems[0].message
    paths = _dmn('<inputExpression id="e"><text>antrag.betrag * 2</text></inputExpression>|'
                 '<inputEntry id="a"><text>1</text></inputEntry><outputEntry id="b"><text>1</text></outputEntry>')
    assert decision_problems(paths, "gebuehr.dmn") == []
