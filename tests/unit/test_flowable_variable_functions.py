"""Flowable's variable functions in expressions (``${variables:equals(decision, 'goUp')}``, also
written ``vars:`` and ``var:``; Flowable's VariableContainerFunctions): the first argument names
the variable, quoted or not, and a variable that does not exist is null there instead of an
error. Evaluated as the engine evaluates a model's expression: translated JUEL over the task's
variables (no ``execution`` needed: task names, due dates and job parameters have none)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.domain.errors import ExpressionError
from engine.runtime.expressions import SafeEvaluator
from engine.runtime.juel import JuelError, translate

EVALUATOR = SafeEvaluator()


def flowable(text: str, **variables: Any) -> Any:
    return EVALUATOR.evaluate(translate(text), dict(variables))


@pytest.mark.parametrize(("text", "variables", "value"), [
    ("${var:equals(input, 1)}", {"input": 1}, True),
    ("${var:equals(input,2)}", {"input": 1}, False),
    ("${vars:equals(decision, 'goUp')}", {"decision": "goUp"}, True),
    ("${variables:eq('decision', 'goUp')}", {"decision": "goDown"}, False),
    ("${var:equals(missing, 1)}", {}, False),                 # no such variable: no error
    ("${var:notEquals(input, 1)}", {"input": "2"}, True),
    ("${var:ne(input, 2)}", {"input": "2"}, False),           # "2" beside 2 compares as a number (EL)
    ("${var:gt(input, 1)}", {"input": 2}, True),              # 'gt' is no operator here
    ("${var:gte(input, 2)}", {"input": 2}, True),
    ("${var:lt(input, 2)}", {"input": 2}, False),
    ("${var:lessThanOrEquals(input, 2)}", {"input": 2}, True),
    ("${var:greaterThan(missing, 1)}", {}, False),            # an ordering with null is false
    ("${var:get(missing) == null}", {}, True),
    ("${var:get(x)}", {"x": [1, 2]}, [1, 2]),
    ("${vars:getOrDefault(x, 123) > 100}", {}, True),
    ("${vars:getOrDefault(x, 123) > 100}", {"x": 7}, False),
    ("${var:exists(x)}", {"x": None}, True),
    ("${var:exists(x)}", {}, False),
    ("${var:isEmpty(x)}", {"x": ""}, True),
    ("${var:empty(x)}", {}, True),
    ("${var:isNotEmpty(x)}", {"x": [0]}, True),
    ("${var:notEmpty(x)}", {"x": {}}, False),
    ("${var:contains(l, 1, 2)}", {"l": [1, 2, 3]}, True),
    ("${var:contains(l, 1, 4)}", {"l": [1, 2, 3]}, False),
    ("${var:containsAny(l, 4, 2)}", {"l": [1, 2, 3]}, True),
    ("${var:contains(s, 'bc')}", {"s": "abcd"}, True),
    ("${var:contains(missing, 1)}", {}, False),
    ("${var:base64(s)}", {"s": "Hallo"}, "SGFsbG8="),
    ("Währung: ${vars:getOrDefault(currency, 'EUR')}", {}, "Währung: EUR"),
    ("${c ? var : other}", {"c": True, "var": 1, "other": 2}, 1),   # a variable named var still is one
    ("${var:get('execution')}", {}, None),
])
def test_variable_functions(text: str, variables: dict[str, Any], value: Any) -> None:
    assert flowable(text, **variables) == value


@pytest.mark.parametrize(("text", "message"), [
    ("${var:shout(x)}", "is not one of Flowable's variable functions"),
    ("${var:equals(x)}", "takes the variable's name and 1 more argument"),
    ("${var:get(x, 1)}", "takes the variable's name and 0 more argument"),
    ("${var:contains(x)}", "at least 1 more"),
    ("${var:get(1)}", "must name a variable"),
])
def test_wrong_calls_are_refused_when_translated(text: str, message: str) -> None:
    with pytest.raises(JuelError) as info:
        translate(text)
    assert message in str(info.value)


def test_contains_on_a_number_fails_the_step() -> None:
    with pytest.raises(ExpressionError, match="needs a text or a collection"):
        flowable("${var:contains(n, 1)}", n=5)
