"""JUEL arithmetic coerces as Camunda 7's EL does (EL 1.7): beside a number or null, null is 0
and a text is the number it spells. Before, ``${count + 1}`` failed the case when count was
unset (Camunda: 1) or the text "0" a JUEL script task had stored (Camunda: 1); found by
bench/compat.py on AsyncAfterTest, CallActivity.testSubProcessLocalOutputSingleVariable and
ExclusiveGatewayTest.testLoopWithManyIterations. Text + text concatenates where a text is no number (the engine's
documented extension), and what worked before gives the same value."""

from __future__ import annotations

import pytest

from engine.domain.errors import ExpressionError
from engine.runtime.expressions import SafeEvaluator
from engine.runtime.juel import translate

EVALUATOR = SafeEvaluator()


def juel(text: str, **names: object) -> object:
    return EVALUATOR.evaluate(translate(text), names)


@pytest.mark.parametrize(("text", "names", "value"), [
    ("${count + 1}", {"count": None}, 1),
    ("${count + 1}", {"count": "0"}, 1),
    ("${1 + count}", {"count": " 41 "}, 42),
    ("${a - b}", {"a": None, "b": None}, 0),
    ("${a * 2}", {"a": "2.5"}, 5.0),
    ("${a / 4}", {"a": "10"}, 2.5),
    ("${a % 3}", {"a": "10"}, 1),
    ("${a + b}", {"a": "7", "b": None}, 7),
    ("${a + 1}", {"a": ""}, 1),
])
def test_null_and_numeric_text_beside_a_number_are_numbers(text: str, names: dict[str, object], value: object) -> None:
    assert juel(text, **names) == value


@pytest.mark.parametrize(("text", "names", "value"), [
    ("${a + b}", {"a": 2, "b": 3}, 5),
    ("${a + b * c - d / e % f}", {"a": 1, "b": 2, "c": 3, "d": 8, "e": 2, "f": 3}, 6.0),
    ("${'nachricht_' + nr}", {"nr": "A-1"}, "nachricht_A-1"),   # the engine's text concatenation stays
    ("${a + b}", {"a": [1], "b": [2]}, [1, 2]),
    ("${-(a + b)}", {"a": 1, "b": 2}, -3),
])
def test_what_worked_before_gives_the_same_value(text: str, names: dict[str, object], value: object) -> None:
    assert juel(text, **names) == value


@pytest.mark.parametrize("names", [{"a": "zwei"}, {"a": "1,5"}])
def test_text_that_is_no_number_still_fails(names: dict[str, object]) -> None:
    with pytest.raises(ExpressionError):
        juel("${a - 1}", **names)


@pytest.mark.parametrize(("text", "names", "value"), [
    ("${a + b}", {"a": "5", "b": "3"}, 8),              # Camunda: 8; before, silently "53"
    ("${a + b}", {"a": "1.5", "b": "2"}, 3.5),
    ("${a - b}", {"a": "10", "b": "4"}, 6),             # before: the case failed
    ("${a * b}", {"a": "3", "b": "4"}, 12),
    ("${a + b}", {"a": "80331", "b": " München"}, "80331 München"),   # no number: the engine's concatenation
    ("${a + b}", {"a": "", "b": "7"}, "7"),             # an empty text concatenates
])
def test_two_texts_that_spell_numbers_are_numbers_as_in_camunda(text: str, names: dict[str, object],
                                                                   value: object) -> None:
    assert juel(text, **names) == value


def test_two_texts_of_which_one_is_no_number_fail_other_operators() -> None:
    with pytest.raises(ExpressionError):
        juel("${a - b}", a="zehn", b="4")
