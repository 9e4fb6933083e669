"""Translate Camunda 7 JUEL expressions into the engine's safe expression language.

Camunda models write conditions, assignees and timer values as ``${...}`` (or the
deferred ``#{...}``) Unified Expression Language.  The engine evaluates a Python
subset instead, in which ``a.b`` on a dict means ``a["b"]`` and ``is_empty(x)`` is a
builtin.  This module converts the subset of JUEL that appears in practice with a
small tokenizer and a recursive-descent parser; everything else (method and bean
calls, the ``execution``/``task`` context objects, lambdas, assignments, collection
literals) is refused with a :class:`JuelError` instead of being guessed at.

Arithmetic (``+ - * / %``) becomes ``juel_arith(op, a, b)``: beside a number or null, null
counts as 0 and a text as the number it spells, as in JUEL (``${count + 1}`` with count unset
is 1, with count "3" is 4). Comparisons become ``juel_compare(op, a, b)``: a numeric text
beside a number compares as that number (``${x == 5}`` with the text "5" is true), "true" and
"false" beside a boolean as booleans, an ordering with null is false. Known semantic differences, which the translation does not paper
over: text + text concatenates where a text is no number or empty (JUEL fails there; two
texts that spell numbers are added as numbers, as in JUEL); ``%`` follows Python's sign rules for negative operands; ``and``/``or``
return an operand rather than a boolean. In a composite text (``'Antrag ${nr}'``) each value is
rendered as EL coerces it to a String (``juel_text``: null as the empty text, booleans as
``true``/``false``).

Flowable's variable functions (``${variables:equals(decision, 'goUp')}``, also ``vars:`` and
``var:``; get, getOrDefault, exists, isEmpty, isNotEmpty, equals, notEquals, contains,
containsAny, lowerThan, lowerThanOrEquals, greaterThan, greaterThanOrEquals, base64 and their
aliases) become ``flowable_var(function, 'name', ...)``, which the evaluator gives the variable
itself (engine.runtime._safe_eval): a variable that does not exist is null there, not an error,
as in Flowable.

A bean's answer stands in for the Java object a Camunda bean returns: ``getX()``/``isX()`` without
arguments on what a bean call answered (``${user.get(id).getSurname()}``) becomes
``juel_getter(answer, 'getSurname')``, which reads the property of a map (null when absent), as
the JavaScript side does (engine.runtime.javascript); on a process variable that is a map it stays
refused, as java.util.Map has no such method.

The tokenizer and parser (JUEL text -> tuple trees) are in :mod:`engine.runtime.juel_parser`;
this module renders the trees as Python and translates timer values.
"""

from __future__ import annotations

import ast
import keyword
import re
from datetime import datetime
from typing import Any, cast

from engine.runtime import cron
from engine.runtime.beans import BEAN_FUNCTION
from engine.runtime.juel_parser import JuelError, Node, Parser, tokenize

__all__ = ["JuelError", "is_juel", "strip_expressions", "translate", "translate_timer", "rewrite_beans"]

_JUEL_RE = re.compile(r"(?<!\\)[$#]\{.*?\}", re.S)
# Python precedence levels used by the emitter (higher binds tighter).
_PREC = {"||": 2, "&&": 3, "!": 4, "==": 5, "!=": 5, "<": 5, ">": 5, "<=": 5, ">=": 5,
         "+": 6, "-": 6, "*": 7, "/": 7, "%": 7}
_PY_OP = {"||": "or", "&&": "and", "!": "not"}
_ARITHMETIC = ("+", "-", "*", "/", "%")
_ATOM = 10


def is_juel(text: str) -> bool:
    """True when ``text`` contains an unescaped ``${...}`` or ``#{...}`` expression."""
    return isinstance(text, str) and _JUEL_RE.search(text) is not None


def strip_expressions(text: str) -> str:
    """``text`` without its ``${...}``/``#{...}`` expressions (what is left is literal text)."""
    return _JUEL_RE.sub("", text)


def translate(text: str) -> str:
    """Translate a JUEL expression or composite text into a safe-evaluator expression.

    ``'${a == "x" && !b}'`` becomes ``"juel_compare('==', a, 'x') and not b"``; ``'Antrag ${nr} eingegangen'``
    becomes ``"'Antrag ' + juel_text(nr) + ' eingegangen'"``; text without an expression becomes
    its Python string literal.
    """
    if not isinstance(text, str):
        raise JuelError(f"expected a string, got {type(text).__name__}")
    parts = _split(text)
    exprs = [p for p in parts if not isinstance(p, str)]
    if not exprs:
        out = repr("".join(cast(list[str], parts)))  # no expression: only literal strings
    elif len(parts) == 1:
        out = _emit(exprs[0], 0)  # the only part is the expression
    else:
        out = " + ".join(repr(p) if isinstance(p, str) else f"juel_text({_emit(p, 0)})" for p in parts)
    try:
        ast.parse(out, mode="eval")
    except SyntaxError as exc:  # pragma: no cover - a translator bug, never user input
        raise JuelError(f"internal error: translation of {text!r} is not valid Python: {out!r}") from exc
    return out


def as_text(value: Any) -> str:
    """A value as EL coerces it to a String: null is the empty text, a boolean ``true`` or
    ``false``, anything else ``str()`` (the evaluator's ``juel_text`` does the same, with its
    size limits, inside composite texts)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rewrite_beans(text: str, functions: dict[str, str]) -> str:
    """Replace calls of declared beans by calls of engine functions, JUEL to JUEL:
    with ``{"user.email": "user_email"}``, ``'${user.email(x)}'`` becomes ``'${user_email(x)}'``;
    a bean mapped to a connector operation (``{"user.email": "directory.email"}``) becomes a call
    of the engine function ``bean_call`` with the operation first:
    ``'${bean_call('directory.email', x)}'`` (engine.runtime.beans).

    Applied to the whole model at deploy time (camunda-mapping.json ``"beans"``), so every later
    translation of the text, at deploy or at run time, sees an ordinary function call."""
    if not functions or not is_juel(text):
        return text
    try:
        edits = _bean_edits(text, functions)
    except JuelError:
        return text  # the translation of the text reports the syntax error
    for start, end, target in reversed(edits):
        text = text[:start] + target + text[end:]
    return text


def _bean_edits(text: str, functions: dict[str, str]) -> list[tuple[int, int, str]]:
    edits: list[tuple[int, int, str]] = []
    i = 0
    while i < len(text):
        if text.startswith(("\\${", "\\#{"), i):
            i += 3
        elif text.startswith(("${", "#{"), i):
            tokens, i = tokenize(text, i + 2)
            for k in range(len(tokens) - 3):
                first, dot, method, paren = tokens[k:k + 4]
                if (first[0], dot[1], method[0], paren[1]) != ("name", ".", "name", "("):
                    continue
                if k > 0 and tokens[k - 1][1] == ".":
                    continue  # a.user.email(...): not a bean
                target = functions.get(f"{first[1]}.{method[1]}")
                if target is None:
                    continue
                if target.isidentifier():
                    edits.append((first[2], method[2] + len(str(method[1])), target))
                else:  # a connector operation, called by the engine function bean_call
                    more = k + 4 < len(tokens) and tokens[k + 4][1] != ")"
                    edits.append((first[2], paren[2] + 1, f"{BEAN_FUNCTION}('{target}'" + (", " if more else "")))
        else:
            i += 1
    return edits


def _split(text: str) -> list[str | Node]:
    """Split composite text into literal strings and parsed expression trees."""
    parts: list[str | Node] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith(("\\${", "\\#{"), i):  # JUEL escape for a literal '${'
            literal.append(text[i + 1:i + 3])
            i += 3
        elif text.startswith(("${", "#{"), i):
            if literal:
                parts.append("".join(literal))
                literal = []
            tokens, i = tokenize(text, i + 2)
            parts.append(Parser(tokens, text).parse())
        else:
            literal.append(text[i])
            i += 1
    if literal or not parts:
        parts.append("".join(literal))
    return parts


def _emit(node: Node, min_prec: int) -> str:
    """Render a tree as Python, adding parentheses wherever precedence requires them."""
    kind = node[0]
    if kind == "lit":
        return repr(node[1])
    if kind == "name":
        return str(node[1])
    if kind in ("attr", "index"):
        base = _emit(node[1], _ATOM)
        if node[1][0] == "lit":
            base = f"({base})"
        if kind == "attr":
            name = node[2]
            return f"{base}.{name}" if name.isidentifier() and not keyword.iskeyword(name) else f"{base}[{name!r}]"
        return f"{base}[{_emit(node[2], 0)}]"
    if kind == "call":
        base = _emit(node[1], _ATOM)
        base = f"({base})" if node[1][0] == "lit" else base
        return f"{base}.{node[2]}({', '.join(_emit(a, 0) for a in node[3])})"
    if kind == "getter":   # a Java getter on a bean's answer (juel_parser.Parser.call)
        return f"juel_getter({_emit(node[1], 0)}, {node[2]!r})"
    if kind == "fcall":
        return f"{node[1]}({', '.join(_emit(a, 0) for a in node[2])})"
    if kind == "fvar":   # Flowable's variables:fn(name, ...): the evaluator's flowable_var
        more = "".join(f", {_emit(a, 0)}" for a in node[3])
        return f"flowable_var({node[1]!r}, {node[2]!r}{more})"
    if kind == "empty":
        return f"is_empty({_emit(node[1], 0)})"
    if kind == "cond":
        return f"({_emit(node[2], 2)} if {_emit(node[1], 2)} else {_emit(node[3], 1)})"
    if kind == "un":
        prec = 4 if node[1] == "!" else 8
        text = f"not {_emit(node[2], prec)}" if node[1] == "!" else f"-{_emit(node[2], prec)}"
    elif node[1] in _ARITHMETIC:   # JUEL's coercions (null as 0, numeric text): the evaluator's juel_arith
        return f"juel_arith({node[1]!r}, {_emit(node[2], 0)}, {_emit(node[3], 0)})"
    else:
        op, prec = node[1], _PREC[node[1]]
        if prec == 5:  # JUEL's coercions; never chained the Python way: the evaluator's juel_compare
            return f"juel_compare({op!r}, {_emit(node[2], 0)}, {_emit(node[3], 0)})"
        else:
            left, right = _emit(node[2], prec), _emit(node[3], prec + 1)
        text = f"{left} {_PY_OP.get(op, op)} {right}"
    return f"({text})" if prec < min_prec else text


# --- timers -------------------------------------------------------------------------------

_NUM = r"\d+(?:[.,]\d+)?"
_DURATION_RE = re.compile(
    rf"P(?:(?P<W>{_NUM})W|(?:(?P<Y>{_NUM})Y)?(?:(?P<Mo>{_NUM})M)?(?:(?P<D>{_NUM})D)?"
    rf"(?:(?P<T>T)(?:(?P<H>{_NUM})H)?(?:(?P<Mi>{_NUM})M)?(?:(?P<S>{_NUM})S)?)?)")
_CYCLE_RE = re.compile(r"R(\d*)/(.+)", re.S)


def translate_timer(text: str) -> str:
    """Translate a Camunda timer value (timeDate, timeDuration or timeCycle).

    A bare ISO 8601 date, duration or repeating interval becomes its Python string
    literal; a ``${...}`` value becomes the translated expression.
    """
    if not isinstance(text, str) or not text.strip():
        raise JuelError("a timer needs a value: an ISO 8601 date, duration, cycle or ${...} expression")
    value = text.strip()
    if is_juel(value):
        return translate(value)
    if len(value) > 2 and value[0] == value[-1] and value[0] in "'\"":
        inner = value[1:-1].strip()  # already a Python string literal (spiff-style timer in a Camunda file)
        if inner and inner[0] not in "'\"" and (is_duration(inner) or _is_date(inner) or _is_cycle(inner)):
            return repr(inner)
    if is_duration(value) or _is_date(value) or _is_cycle(value):
        return repr(value)
    if cron.is_cron(value):   # a Quartz cron cycle: run at the times it describes (engine.runtime.cron)
        try:
            cron.translate(value)
        except ValueError as exc:
            raise JuelError(str(exc)) from None
        return repr(" ".join(value.split()))
    raise JuelError(f"timer value {value!r} is not an ISO 8601 date (2026-12-01T08:00:00+01:00), "
                    "duration (PT1H, P14D) or cycle (R3/PT10M), nor a ${...} expression (Camunda 7 deploys such a "
                    "value and fails with \"Invalid format\" when the timer starts; here it is refused at deploy)")


def is_iso_timer(value: str) -> bool:
    """True when ``value`` is a bare ISO 8601 date, duration or repeating interval."""
    return is_duration(value) or _is_date(value) or _is_cycle(value)


def is_duration(value: str) -> bool:
    match = _DURATION_RE.fullmatch(value)
    if not match:
        return False
    present = [v for k, v in match.groupdict().items() if k != "T" and v is not None]
    time_parts = [match["H"], match["Mi"], match["S"]]
    if not present or (match["T"] and not any(time_parts)):
        return False
    # Only the smallest given component may carry a fraction (ISO 8601, and SpiffWorkflow).
    return not any(any(c in v for c in ".,") for v in present[:-1])


def _is_date(value: str) -> bool:
    if not value[:1].isdigit():
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_cycle(value: str) -> bool:
    match = _CYCLE_RE.fullmatch(value)
    if not match:
        return False
    parts = match.group(2).split("/")
    if len(parts) == 1:
        return is_duration(parts[0])
    if len(parts) == 2:
        start, end = parts
        return (_is_date(start) and is_duration(end)) or (is_duration(start) and _is_date(end))
    return False
