"""JUEL comparisons coerce as Camunda 7's EL does (EL 1.8, 1.9) where Python would answer
differently: a numeric text beside a number compares as that number (``${x == 5}`` with the
text "5" that a camunda:inputParameter stores is true in Camunda; here it was silently false and
the gateway took the other flow), "true"/"false" beside a boolean as that boolean, and an
ordering with null is false (Camunda) where Python failed the case. What compared before
compares the same."""

from __future__ import annotations

import pytest

from engine.domain.errors import ExpressionError
from engine.runtime.expressions import SafeEvaluator
from engine.runtime.juel import translate

EVALUATOR = SafeEvaluator()


def juel(text: str, **names: object) -> object:
    return EVALUATOR.evaluate(translate(text), names)


@pytest.mark.parametrize(("text", "names", "value"), [
    ("${x == 5}", {"x": "5"}, True),
    ("${5 == x}", {"x": " 5 "}, True),
    ("${x != 5}", {"x": "5"}, False),
    ("${x == 2.5}", {"x": "2.5"}, True),
    ("${x > 100}", {"x": "150"}, True),
    ("${x <= 3}", {"x": "4"}, False),
    ("${x == true}", {"x": "true"}, True),
    ("${x != false}", {"x": "false"}, False),
    ("${x > 1}", {"x": None}, False),
    ("${x <= 1}", {"x": None}, False),
])
def test_comparisons_coerce_like_el(text: str, names: dict[str, object], value: bool) -> None:
    assert juel(text, **names) is value


@pytest.mark.parametrize(("text", "names", "value"), [
    ("${x == 5}", {"x": 5}, True),
    ("${x == 'a'}", {"x": "a"}, True),
    ("${x == 'a'}", {"x": "b"}, False),
    ("${x < 'b'}", {"x": "a"}, True),
    ("${x == null}", {"x": None}, True),
    ("${x != null}", {"x": 0}, True),
    ("${x == 5}", {"x": "fünf"}, False),
    ("${a < b && b <= c}", {"a": 1, "b": 2, "c": 2}, True),
    ("${x == y}", {"x": [1], "y": [1]}, True),
])
def test_what_compared_before_compares_the_same(text: str, names: dict[str, object], value: bool) -> None:
    assert juel(text, **names) is value


def test_ordering_text_that_is_no_number_against_a_number_still_fails() -> None:
    with pytest.raises(ExpressionError):
        juel("${x > 5}", x="fünf")
