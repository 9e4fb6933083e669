"""camunda:mapDecisionResult shapes a decision's result as Camunda 7 does
(DmnBusinessRuleTaskTest / DmnDecisionResultMapper semantics)."""

from __future__ import annotations

import pytest

from engine.runtime.camunda_decisions import map_result

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
