"""FEEL simple unary tests read as SpiffWorkflow match expressions (engine.runtime.feel_unary)."""

from __future__ import annotations

import pytest

from engine.runtime.feel_unary import Unsupported, to_python


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


@pytest.mark.parametrize(("cell", "python"), [
    ('< date("2024-01-01")', "dmn_true(feel_any(feel_test('<', ?, 'date', '2024-01-01')), ?)"),
    ('date("2024-12-24")', "dmn_true(feel_any(feel_test('==', ?, 'date', '2024-12-24')), ?)"),
    ('[date("2024-01-01")..date("2024-12-31")]',
     "dmn_true(feel_any(feel_range(?, '>=', 'date', '2024-01-01', '<=', 'date', '2024-12-31')), ?)"),
    (']time("08:00:00")..time("18:00:00")[',
     "dmn_true(feel_any(feel_range(?, '>', 'time', '08:00:00', '<', 'time', '18:00:00')), ?)"),
    ('>= date and time("2024-01-01T10:00:00"), null',
     "dmn_true(feel_any(feel_test('>=', ?, 'date and time', '2024-01-01T10:00:00'), (? is None)), ?)"),
    ('not(duration("P1D"), > duration("P14D"))',
     "dmn_true(feel_not(feel_any(feel_test('==', ?, 'duration', 'P1D'), feel_test('>', ?, 'duration', 'P14D'))), ?)"),
])
def test_temporal_cells_keep_feels_null(cell: str, python: str) -> None:
    assert to_python(cell) == python


@pytest.mark.parametrize(("cell", "reason"), [
    ("< date(stichtag)", "festen Text"),
    ('date("2024-01-01") + duration("P1D")', "festen Text"),
    ('date(2024, 1, 1)', "festen Text"),
    ('< date("01.01.2024")', "ISO-Schreibweise"),
    ('[date("2024-01-01")..stichtag]', "zwei Grenzen derselben Art"),
])
def test_temporal_functions_that_cannot_be_read_are_refused(cell: str, reason: str) -> None:
    with pytest.raises(Unsupported, match=reason):
        to_python(cell)
