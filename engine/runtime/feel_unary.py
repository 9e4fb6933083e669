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
"""

from __future__ import annotations

import re

__all__ = ["to_python"]

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


def _test(item: str) -> str | None:
    """One positive unary test as a Python condition on ``?``; None when it is none."""
    item = item.strip()
    if not item:
        return None
    comparison = _COMPARISON.fullmatch(item)
    if comparison is not None:
        return f"(? is not None and ? {comparison[1]} {_value(comparison[2])})"
    if len(item) > 4 and item[0] in _OPEN and item[-1] in _CLOSE:
        ends = _split(item[1:-1], "..")
        if ends is not None and len(ends) == 2 and all(e.strip() for e in ends):
            low, high = _value(ends[0]), _value(ends[1])
            return f"(? is not None and {low} {_OPEN[item[0]]} ? {_CLOSE[item[-1]]} {high})"
    if item in _LITERALS:
        return f"(? is {_LITERALS[item]})"
    return f"(? == {_value(item)})"


def _any(text: str) -> str | None:
    items = _split(text, ",")
    if items is None:
        return None
    tests = [_test(item) for item in items]
    if any(t is None for t in tests):
        return None
    return " or ".join(t for t in tests if t is not None)


def _uses_placeholder(text: str) -> bool:
    return "?" in re.sub(r'"(?:\\.|[^"\\])*"', "", text)


def to_python(text: str) -> str | None:
    """The FEEL simple unary tests ``text`` as a Python match expression on ``?``, or None when
    the cell is to stay as it is (see the module)."""
    text = text.strip()
    if not text or text == "-" or text in _LITERALS or _uses_placeholder(text):
        return None
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
