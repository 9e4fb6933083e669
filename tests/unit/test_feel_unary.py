"""FEEL simple unary tests read as SpiffWorkflow match expressions (engine.runtime.feel_unary)."""

from __future__ import annotations

import pytest

from engine.runtime.feel_unary import to_python


@pytest.mark.parametrize(("cell", "python"), [
    ('"a","b"', '(? == ("a")) or (? == ("b"))'),
    ('"a, b", "c"', '(? == ("a, b")) or (? == ("c"))'),
    ('not("a")', 'not ((? == ("a")))'),
    ("[1..10]", "(? is not None and (1) <= ? <= (10))"),
    ("]1..10[", "(? is not None and (1) < ? < (10))"),
    ("(1.5..2.5]", "(? is not None and (1.5) < ? <= (2.5))"),
    ("[1..10)", "(? is not None and (1) <= ? < (10))"),
    ("<= 8", "(? is not None and ? <= (8))"),
    (">=18, <2", "(? is not None and ? >= (18)) or (? is not None and ? < (2))"),
    ("not([1..10], null)", "not ((? is not None and (1) <= ? <= (10)) or (? is None))"),
    ("true, null", "(? is True) or (? is None)"),
])
def test_feel_unary_tests_become_match_expressions(cell: str, python: str) -> None:
    assert to_python(cell) == python


@pytest.mark.parametrize("cell", ["", "-", '"a"', "5", "true", "null", "x", 'in ["a", "b"]', "100 < ? < 110",
                                  '"? ", "b" in ?', '"unclosed, x', "f(1, 2)"])
def test_cells_that_stay_as_they_are(cell: str) -> None:
    assert to_python(cell) is None
