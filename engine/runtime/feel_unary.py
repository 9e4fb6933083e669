"""FEEL simple unary tests in decision-table input entries, read as the decision engine's
match expressions (``?`` standing for the input value, SpiffWorkflow's DMN convention).

Camunda 7 evaluates an input entry as FEEL simple unary tests unless it says otherwise
(DecisionTableEvaluationHandler.evaluateInputEntry; the default input entry language is FEEL).
SpiffWorkflow compares the input with a cell's Python value or appends the cell to the input
(``amount`` + ``< 5``), so FEEL's lists, ranges and ``not(...)`` were misread (a list compared as a
tuple, ``not("a")`` as Python's ``not``) or failed (``[1..10]``). :func:`to_python` rewrites them:

* a list ``"a", "b", < 5``: any of its tests matches;
* ``not(tests)``: none of the tests matches;
* a range ``[1..10]`` (``[``/``]`` inclusive; ``]``/``(`` at the start, ``[``/``)`` at the end
  exclusive) and a comparison ``< 5``, ``<= 5``, ``> 5``, ``>= 5``: a null input matches none
  (FEEL compares null with nothing);
* an endpoint (``"a"``, ``5``, a variable): equal to the input; ``true``, ``false``, ``null``
  are the boolean and null.

A cell that is one endpoint stays as it is (SpiffWorkflow compares it already), as does a cell
that uses ``?`` (written for SpiffWorkflow's Python cells) or that is no FEEL (an unbalanced
bracket or quote).

Endpoints that are FEEL temporal literals (``date("2024-01-01")``, ``time("10:00:00")``,
``date and time("2024-01-01T10:00:00")``, ``duration("P1D")``) are compared by the evaluator's
``feel_test``/``feel_range`` (engine.runtime.feel_temporal: an ISO text input is read as the
literal's type; what cannot be compared is FEEL's null). A cell with such a literal keeps FEEL's
three-valued logic (``feel_any``, ``feel_not``: ``not(< date(...))`` with a text that is no date
is null, not true) and matches only when its value is true (``dmn_true``); a single literal is
such a cell too.
A temporal function applied to anything but one string literal, a literal that is no such value,
or a range with one temporal and one other endpoint raises :class:`Unsupported` (refused at
deploy: engine.runtime.camunda_decisions).
"""

from __future__ import annotations

import re

from engine.runtime import feel_temporal

__all__ = ["Unsupported", "to_python"]


class Unsupported(ValueError):
    """A FEEL cell that cannot be read here (message in German, for the deploy problem)."""

_LITERALS = {"true": "True", "false": "False", "null": "None"}
_COMPARISON = re.compile(r"(<=|>=|<|>)\s*(\S.*)", re.S)
_OPEN = {"[": "<=", "]": "<", "(": "<"}
_CLOSE = {"]": "<=", "[": "<", ")": "<"}


def _split(text: str, separator: str) -> list[str] | None:
    """``text`` split at ``separator`` outside strings and brackets; None when unbalanced.
    (A FEEL range's own brackets may be unbalanced pairs, ``]1..10[``: they are not counted.)"""
    parts: list[str] = []
    depth, start, i, quoted = 0, 0, 0, False
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "(" or (ch in "[]" and _range_bracket(text, i) == "open"):
            depth += 1
        elif ch == ")" or (ch in "[]" and _range_bracket(text, i) == "close"):
            depth -= 1
            if depth < 0:
                return None
        elif depth == 0 and text.startswith(separator, i):
            parts.append(text[start:i])
            start = i + len(separator)
            i += len(separator) - 1
        i += 1
    if quoted or depth != 0:
        return None
    parts.append(text[start:])
    return parts


def _range_bracket(text: str, i: int) -> str:
    """Whether the bracket at ``i`` opens or closes: a bracket followed (after blanks) by
    nothing, a comma or a closing parenthesis closes; any other opens."""
    rest = text[i + 1:].lstrip()
    return "close" if rest == "" or rest[0] in ",)" else "open"


def _value(endpoint: str) -> str:
    endpoint = endpoint.strip()
    return _LITERALS.get(endpoint, f"({endpoint})")


def _temporal(endpoint: str) -> tuple[str, str] | None:
    """(kind, text) of an endpoint that is a temporal literal; None for any other endpoint;
    raises Unsupported for a temporal function used otherwise or a literal of no value."""
    endpoint = endpoint.strip()
    if not feel_temporal.mentions_temporal(endpoint):
        return None
    literal = feel_temporal.LITERAL.fullmatch(endpoint)
    if literal is None:
        raise Unsupported(f"'{endpoint}': FEEL-Datums- und Zeitfunktionen werden hier nur mit einem festen Text "
                          'gelesen (date("2024-01-01"), date and time("2024-01-01T10:00:00"), time("10:00:00"), '
                          'duration("P1D")), nicht mit Variablen, Rechnungen oder mehreren Argumenten.')
    kind, text = " ".join(literal[1].split()), literal[2]
    if feel_temporal.literal_value(kind, text) is None:
        raise Unsupported(f"'{endpoint}': \"{text}\" ist kein Wert für {kind}(...) in ISO-Schreibweise "
                          "(Datum 2024-01-01, Zeit 10:00:00, Datum und Zeit 2024-01-01T10:00:00, Dauer P1D oder "
                          "P1Y2M).")
    return kind, text


def _test(item: str) -> str | None:
    """One positive unary test as a Python condition on ``?``; None when it is none."""
    item = item.strip()
    if not item:
        return None
    comparison = _COMPARISON.fullmatch(item)
    if comparison is not None:
        temporal = _temporal(comparison[2])
        if temporal is not None:
            return f"feel_test({comparison[1]!r}, ?, {temporal[0]!r}, {temporal[1]!r})"
        return f"(? is not None and ? {comparison[1]} {_value(comparison[2])})"
    if len(item) > 4 and item[0] in _OPEN and item[-1] in _CLOSE:
        ends = _split(item[1:-1], "..")
        if ends is not None and len(ends) == 2 and all(e.strip() for e in ends):
            low_t, high_t = _temporal(ends[0]), _temporal(ends[1])
            low_op = {"<": ">", "<=": ">="}[_OPEN[item[0]]]
            if low_t is not None and high_t is not None:
                return (f"feel_range(?, {low_op!r}, {low_t[0]!r}, {low_t[1]!r}, {_CLOSE[item[-1]]!r}, "
                        f"{high_t[0]!r}, {high_t[1]!r})")
            if low_t is not None or high_t is not None:
                raise Unsupported(f"'{item}': ein Bereich braucht zwei Grenzen derselben Art; hier ist nur eine "
                                  "ein Datum, eine Zeit oder eine Dauer.")
            low, high = _value(ends[0]), _value(ends[1])
            return f"(? is not None and {low} {_OPEN[item[0]]} ? {_CLOSE[item[-1]]} {high})"
    if item in _LITERALS:
        return f"(? is {_LITERALS[item]})"
    temporal = _temporal(item)
    if temporal is not None:
        return f"feel_test('==', ?, {temporal[0]!r}, {temporal[1]!r})"
    return f"(? == {_value(item)})"


def _tests(text: str) -> list[str] | None:
    items = _split(text, ",")
    if items is None:
        return None
    tests = [_test(item) for item in items]
    if any(t is None for t in tests):
        return None
    return [t for t in tests if t is not None]


def _any(text: str) -> str | None:
    tests = _tests(text)
    return None if tests is None else " or ".join(tests)


def _three_valued(text: str) -> str | None:
    """A cell with temporal literals, in FEEL's three-valued logic: true only when it is true."""
    if text.startswith("not(") and text.endswith(")") and _split(text[4:-1], ",") is not None:
        inner = _tests(text[4:-1])
        return None if inner is None else f"dmn_true(feel_not(feel_any({', '.join(inner)})), ?)"
    tests = _tests(text)
    return None if tests is None else f"dmn_true(feel_any({', '.join(tests)}), ?)"


def _uses_placeholder(text: str) -> bool:
    return "?" in re.sub(r'"(?:\\.|[^"\\])*"', "", text)


def to_python(text: str) -> str | None:
    """The FEEL simple unary tests ``text`` as a Python match expression on ``?``, or None when
    the cell is to stay as it is (see the module); raises :class:`Unsupported` for temporal
    functions it cannot read."""
    text = text.strip()
    if not text or text == "-" or text in _LITERALS or _uses_placeholder(text):
        return None
    if feel_temporal.mentions_temporal(text):
        return _three_valued(text)
    if text.startswith("not(") and text.endswith(")") and _split(text[4:-1], ",") is not None:
        inner = _any(text[4:-1])
        return None if inner is None else f"not ({inner})"
    items = _split(text, ",")
    if items is None:
        return None
    if len(items) == 1:
        single = _test(items[0])
        return single if single is not None and not single.startswith("(? == ") else None
    return _any(text)
