"""Bounded operations of the safe expression language: every helper here refuses a
result before it grows beyond the limits of :mod:`._safe_policy`.

Measuring nested values (:func:`weight`), ``str()``/``repr()`` of plain data
(:func:`to_text`), f-string format specs, integer size, arithmetic operators
(:func:`binop`), whitelisted method calls (:func:`check_method`) and the built-in
functions every model may call (:func:`make_builtins`).
"""

from __future__ import annotations

import ast
import base64
import logging
import math
import operator
import re
from collections.abc import Callable, Collection
from decimal import Decimal
from typing import Any, cast

from engine.runtime import budget, dmn_types, feel_temporal
from engine.runtime._safe_java import java_method
from engine.runtime._safe_policy import (
    BINOPS, ATOMIC, CONTAINERS, MAX_DEPTH, MAX_INT_BITS, MAX_SPEC_LENGTH, MAX_SPEC_NUMBER, METHOD_KWARGS,
    SEQUENCES, Refused, too_big)


def weight(value: Any, limit: int) -> int:
    """Deep element count of a container, shared parts counted each time they are reached
    (that is what comparing, hashing or printing costs); refuses beyond ``limit``."""
    total, stack = 1, [(value, 1)]
    while stack:
        current, depth = stack.pop()
        parts: Collection[Any]
        if type(current) is dict:
            total += 2 * len(current)
            parts = [*current.keys(), *current.values()] if total <= limit else ()
        elif type(current) in CONTAINERS:
            total += len(current)
            parts = current
        else:
            continue
        if total > limit:
            raise too_big("comparing, hashing or converting this nested value", limit)
        if not set(map(type, parts)) <= ATOMIC:
            if depth >= MAX_DEPTH:
                raise Refused(f"value is nested more than {MAX_DEPTH} levels deep")
            stack.extend((p, depth + 1) for p in parts if type(p) in CONTAINERS)
    return total


_BRACKETS: dict[type[Any], str] = {list: "[]", tuple: "()", set: "{}", frozenset: "{}"}


def to_text(value: Any, as_repr: bool, limit: int) -> str:
    """``str()``/``repr()`` of plain data, refusing other objects and oversized results."""
    kind = type(value)
    if kind is str and not as_repr:
        return cast(str, value)
    if kind in ATOMIC and kind is not str:
        return repr(value) if as_repr or kind is bytes else str(value)
    parts: list[str] = []
    size = 0

    def emit(text: str) -> None:
        nonlocal size
        size += len(text)
        if size > limit:
            raise too_big("the text", limit)
        parts.append(text)

    def walk(item: Any, rep: bool) -> None:
        kind = type(item)
        if kind is str:
            if len(item) > limit:
                raise too_big("the text", limit)
            emit(repr(item) if rep else item)
        elif kind in ATOMIC:
            emit(repr(item) if rep or kind is bytes else str(item))
        elif kind is dict:
            emit("{")
            for i, (key, val) in enumerate(item.items()):
                emit(", " if i else "")
                walk(key, True)
                emit(": ")
                walk(val, True)
            emit("}")
        elif kind in (list, tuple, set, frozenset):
            if kind in (set, frozenset) and not item:
                emit(f"{kind.__name__}()")
                return
            brackets = _BRACKETS[kind]
            emit("frozenset(" + brackets[0] if kind is frozenset else brackets[0])
            for i, element in enumerate(item):
                emit(", " if i else "")
                walk(element, True)
            emit("," if kind is tuple and len(item) == 1 else "")
            emit(brackets[1] + (")" if kind is frozenset else ""))
        else:
            raise Refused(f"a value of type {kind.__name__} cannot be converted to text")

    walk(value, as_repr)
    return "".join(parts)


def check_spec(spec: str) -> None:
    if len(spec) > MAX_SPEC_LENGTH or any(int(n) > MAX_SPEC_NUMBER for n in re.findall(r"\d+", spec)):
        raise Refused(f"format spec {spec[:40]!r} is too long or uses a width/precision "
                      f"above {MAX_SPEC_NUMBER}")


def check_int(value: int) -> None:
    if value.bit_length() > MAX_INT_BITS:
        raise Refused(f"integer result would exceed {MAX_INT_BITS} bits")


def _guard_decimal(value: Any) -> None:
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() > MAX_INT_BITS // 3:
        raise Refused(f"integer result would exceed {MAX_INT_BITS} bits")


JUEL_OPERATORS: dict[str, type] = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "%": ast.Mod}
_JUEL_INTEGER = re.compile(r"[+-]?\d{1,300}")
_JUEL_DECIMAL = re.compile(r"[+-]?(?:\d{1,300}(?:\.\d{0,300})?|\.\d{1,300})(?:[eE][+-]?\d{1,3})?")


# Flowable's ordering variable functions (variables:lowerThan, ...) and the comparison each is
FLOWABLE_ORDER = {"lowerThan": "<", "lowerThanOrEquals": "<=", "greaterThan": ">", "greaterThanOrEquals": ">="}
JUEL_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}


def _juel_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    return "text" if isinstance(value, str) else "other"


def _juel_number(value: Any) -> Any:
    """EL's coercion to a number: null and empty text are 0; a text is a Long, or a Double when
    it has a point or an exponent; other text cannot be coerced."""
    if value is None:
        return 0
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return 0
    if _JUEL_INTEGER.fullmatch(text):
        return int(text)
    if _JUEL_DECIMAL.fullmatch(text):
        return float(text)
    raise TypeError(f"cannot coerce {value[:40]!r} to a number (JUEL arithmetic)")


def binop(op: type, left: Any, right: Any, max_size: int) -> Any:
    """Apply an arithmetic operator after checking that the result stays small."""
    if op is ast.Add and isinstance(left, SEQUENCES) and isinstance(right, SEQUENCES):
        if len(left) + len(right) > max_size:
            raise too_big("concatenation", max_size)
    elif op is ast.Mult:
        if isinstance(left, int) and isinstance(right, SEQUENCES):
            left, right = right, left
        if isinstance(left, SEQUENCES) and isinstance(right, int):
            if len(left) * max(right, 0) > max_size:
                raise too_big("repetition", max_size)
        elif isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
                raise Refused(f"integer result would exceed {MAX_INT_BITS} bits")
    elif op is ast.Pow and isinstance(left, int) and isinstance(right, int) and right > 0:
        if abs(left) > 1 and right * math.log2(abs(left)) > MAX_INT_BITS:
            raise Refused(f"integer result would exceed {MAX_INT_BITS} bits")
    elif op is ast.LShift and isinstance(left, int) and isinstance(right, int) and left and right > 0:
        if left.bit_length() + right > MAX_INT_BITS:
            raise Refused(f"integer result would exceed {MAX_INT_BITS} bits")
    elif op is ast.Mod and isinstance(left, (str, bytes)):
        raise Refused("'%' string formatting is not supported; use an f-string")
    function = BINOPS.get(op)
    if function is None:
        raise Refused(f"operator {op.__name__} is not supported")
    return function(left, right)


def check_method(obj: Any, name: str, args: list[Any], kwargs: dict[str, Any], max_size: int) -> None:
    """Refuse keyword arguments a method must not get and calls whose result would be
    too big; materialises a one-shot iterable argument in ``args`` where needed."""
    allowed = METHOD_KWARGS.get(name, frozenset())
    if not kwargs.keys() <= allowed:
        raise Refused(f"method {name!r} does not accept keyword(s) {sorted(kwargs.keys() - allowed)}")
    if name in ("join", "extend", "update") and args and not isinstance(args[0], (list, tuple, dict, str)):
        args[0] = list(args[0])
    if isinstance(obj, str):
        if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
            count = obj.count(args[0]) if args[0] else len(obj) + 1
            if len(obj) + count * (len(args[1]) - len(args[0])) > max_size:
                raise too_big("str.replace()", max_size)
        elif name == "zfill" and args and isinstance(args[0], int) and args[0] > max_size:
            raise too_big("str.zfill()", max_size)
        elif name == "join" and args:
            try:
                total = sum(map(len, args[0])) + len(obj) * max(len(args[0]) - 1, 0)
            except TypeError:
                total = 0  # join() itself reports the wrong item type
            if total > max_size:
                raise too_big("str.join()", max_size)
    elif isinstance(obj, (list, dict)):
        grow = len(args[0]) if name in ("extend", "update") and args else 1
        if name in ("append", "insert", "extend", "update", "setdefault") and len(obj) + grow > max_size:
            raise too_big(f"{type(obj).__name__}.{name}()", max_size)


# print() in a model's script writes one line of the engine log per call (logger amtsflow.script, the
# case named as in every log line of its command), as SpiffWorkflow's own script engine prints to
# standard output: at most this many lines per command and characters per line, control characters
# escaped (a value from a citizen's form cannot forge log lines).
MAX_PRINTED_LINES = 100
MAX_PRINTED_CHARS = 2000
SCRIPT_LOG = logging.getLogger("amtsflow.script")
_ESCAPED = {**{code: f"\\x{code:02x}" for code in (*range(32), 0x7F)}, 0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r",
            0x2028: "\\u2028", 0x2029: "\\u2029"}


def print_line(values: tuple[Any, ...], sep: Any, end: Any, max_size: int) -> None:
    """print(): the values as str() gives them, joined by ``sep``, as one log line (``end`` ends
    the line as it ends Python's output; a line is logged per call)."""
    for name, given in (("sep", sep), ("end", end)):
        if given is not None and not isinstance(given, str):
            raise Refused(f"print(): {name} must be a text or None, not a {type(given).__name__}")
    separator = " " if sep is None else sep
    parts: list[str] = []
    size = 0
    for value in values:   # converted until the line is full (many large values cost no more)
        part = to_text(value, False, max_size)
        parts.append(separator + part if parts else part)
        size += len(parts[-1])
        if size > MAX_PRINTED_CHARS:
            break
    text = "".join(parts)
    command = budget.current()
    if command is not None:
        command.printed += 1
        if command.printed > MAX_PRINTED_LINES:
            if command.printed == MAX_PRINTED_LINES + 1:
                SCRIPT_LOG.info("script output: more than %d lines in one command; the rest is not logged",
                                MAX_PRINTED_LINES)
            return
    if len(text) > MAX_PRINTED_CHARS:
        text = text[:MAX_PRINTED_CHARS] + " ... (cut)"
    SCRIPT_LOG.info("script output: %s", text.translate(_ESCAPED))


def make_builtins(max_size: int) -> dict[str, Callable[..., Any]]:
    """The functions every model may call, with results bounded by ``max_size``."""

    def print_(*values: Any, sep: Any = " ", end: Any = "\n") -> None:
        print_line(values, sep, end, max_size)

    def range_(*args: int) -> range:
        result = range(*args)
        try:
            length = len(result)
        except OverflowError:
            length = max_size + 1
        if length > max_size:
            raise too_big(f"range() of {length} elements", max_size)
        return result

    def sorted_(iterable: Any, *, reverse: bool = False) -> list[Any]:
        return sorted(iterable, reverse=reverse)

    def sum_(iterable: Any, start: Any = 0) -> Any:
        if isinstance(start, (str, bytes, list, tuple)):
            raise Refused("sum() only adds numbers")
        return sum(iterable, start)

    def int_(value: Any = 0, *base: int) -> int:
        _guard_decimal(value)
        return int(value, *base)

    def round_(value: Any, ndigits: int | None = None) -> Any:
        _guard_decimal(value)
        if isinstance(ndigits, int) and abs(ndigits) > MAX_SPEC_NUMBER:
            raise Refused(f"round() accepts at most {MAX_SPEC_NUMBER} digits")
        return round(value) if ndigits is None else round(value, ndigits)

    def str_(value: Any = "") -> str:
        return to_text(value, False, max_size)

    def juel_text(value: Any) -> str:
        """A value inside a JUEL composite text (``'Antrag ${nr}'``, what
        :func:`engine.runtime.juel.translate` emits) as EL coerces it to a String: null is the
        empty text, a boolean ``true``/``false``; anything else as ``str()``."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str_(value)

    def juel_arith(op: str, left: Any, right: Any) -> Any:
        """JUEL's ``+ - * / %`` (EL 1.7, what :func:`engine.runtime.juel.translate` emits): beside
        a number or null, null counts as 0 and a text as the number it spells, as Camunda 7
        computes ``${count + 1}`` for an unset count or the text "3"; two texts that spell
        numbers are numbers too ("5" + "3" is 8). Otherwise as the operator is in the engine's
        expressions (text + text concatenates where a text is no number or empty: the engine's
        extension; JUEL would fail)."""
        kind = JUEL_OPERATORS.get(op)
        if kind is None:
            raise Refused(f"operator {op!r} is not a JUEL arithmetic operator")
        kinds = {_juel_kind(left), _juel_kind(right)}
        if kinds <= {"null", "number", "text"} and kinds != {"text"} and kinds != {"number"}:
            left, right = _juel_number(left), _juel_number(right)
        elif kinds == {"text"}:
            try:   # two texts that spell numbers are numbers, as in Camunda ("5" + "3" is 8)
                if left.strip() and right.strip():
                    left, right = _juel_number(left), _juel_number(right)
                elif op != "+":
                    left, right = _juel_number(left), _juel_number(right)
            except TypeError:
                if op != "+":
                    raise
        return binop(kind, left, right, max_size)

    def juel_compare(op: str, left: Any, right: Any) -> bool:
        """JUEL's ``== != < > <= >=`` (EL 1.8, 1.9, what :func:`engine.runtime.juel.translate`
        emits) where Python answers otherwise: a numeric text beside a number compares as that
        number, "true"/"false" beside a boolean as that boolean, and an ordering with null is
        false. Everything else compares as in the engine's expressions."""
        compare = JUEL_COMPARISONS.get(op)
        if compare is None:
            raise Refused(f"operator {op!r} is not a JUEL comparison")
        kinds = {_juel_kind(left), _juel_kind(right)}
        if op not in ("==", "!=") and "null" in kinds:
            return False
        if kinds == {"number", "text"}:
            try:
                left, right = _juel_number(left), _juel_number(right)
            except TypeError:
                pass   # text that is no number: equality is false, an ordering fails, as before
        elif kinds == {"boolean", "text"} and op in ("==", "!="):
            text = left if isinstance(left, str) else right
            if text.strip().lower() in ("true", "false"):
                flag = text.strip().lower() == "true"
                left, right = (flag, right) if isinstance(left, str) else (left, flag)
        return bool(compare(left, right))

    def juel_getter(value: Any, name: str) -> Any:
        """A Java getter (``getSurname()``, ``isActive()``) on what a bean answered (translated
        JUEL, engine.runtime.juel_parser): on a map it reads the property (``surname``; ``getURL()``
        reads ``URL``, as java.beans names it), null when the answer lacks it (an unset field), as
        a Camunda bean's Java object is read; on other values the Java method of that name."""
        if isinstance(value, dict):
            rest = name[3:] if name.startswith("get") else name[2:]
            field = rest if rest[1:2].isupper() else rest[:1].lower() + rest[1:]
            return value.get(field)
        method = java_method(value, name)
        if method is None:
            raise Refused(f"method {name!r} is not allowed on a {type(value).__name__} value")
        return method(value)

    def flowable_skip_enabled(activiti: Any, flowable: Any) -> bool:
        """Flowable's switch for skip expressions (engine.runtime.skip_expressions): the variable
        _ACTIVITI_SKIP_EXPRESSION_ENABLED when it is a boolean, else _FLOWABLE_SKIP_EXPRESSION_ENABLED
        (unset: off; not a boolean: an error, as in Flowable)."""
        if isinstance(activiti, bool):
            return activiti
        if flowable is None or isinstance(flowable, bool):
            return bool(flowable)
        raise Refused("the variable _FLOWABLE_SKIP_EXPRESSION_ENABLED must be true or false, not a "
                      f"{type(flowable).__name__}")

    def flowable_skip(value: Any) -> bool:
        """A skip expression's value: a boolean, else an error (as in Flowable)."""
        if isinstance(value, bool):
            return value
        raise Refused(f"a skip expression must give true or false, not a {type(value).__name__}")

    def feel_test(op: str, value: Any, kind: str, text: str) -> bool | None:
        """FEEL's comparison of a decision-table input with a temporal literal (what
        engine.runtime.feel_unary emits): True, False or None (FEEL null: not comparable)."""
        return feel_temporal.compare(op, value, kind, text)

    def feel_range(value: Any, low_op: str, low_kind: str, low: str, high_op: str, high_kind: str,
                   high: str) -> bool | None:
        """FEEL's range test with two temporal endpoints: null unless both ends compare."""
        above = feel_temporal.compare(low_op, value, low_kind, low)
        below = feel_temporal.compare(high_op, value, high_kind, high)
        return None if above is None or below is None else above and below

    def feel_any(*tests: bool | None) -> bool | None:
        """FEEL's list of unary tests: true when one is true, else null when one is null."""
        if any(t is True for t in tests):
            return True
        return None if any(t is None for t in tests) else False

    def feel_not(test: bool | None) -> bool | None:
        """FEEL's not(...): null stays null."""
        return None if test is None else not test

    def dmn_true(value: Any, _input: Any) -> bool:
        """An input entry written as an expression (JUEL): it matches when its value is true, as
        Camunda's isConditionApplicable reads it; ``_input`` binds the decision's input (``?``)."""
        return value is True

    def dmn_type(value: Any, type_ref: str, where: str, output: bool = False) -> Any:
        """A decision-table input's or output's value converted to its typeRef, as Camunda's
        DmnDataTypeTransformer converts it (engine.runtime.dmn_types; what
        engine.runtime.camunda_decisions wraps input expressions and output entries in)."""
        try:
            return dmn_types.convert(value, type_ref, where, output)
        except dmn_types.Unconvertible as exc:
            raise Refused(str(exc)) from None

    def is_empty(value: Any) -> bool:
        """JUEL ``empty``: None, empty text and empty collections."""
        return value is None or (isinstance(value, (str, list, tuple, dict, set, frozenset)) and not value)

    def flowable_var(function: str, value: Any, exists: bool, *args: Any) -> Any:
        """Flowable's variable functions (``variables:equals(name, v)``, what
        engine.runtime.juel emits as ``flowable_var('equals', 'name', v)``): the evaluator passes
        the variable's value (None when it does not exist) and whether it exists in place of its
        name (engine.runtime._safe_eval, Run.variable_of)."""
        if function == "get":
            return value
        if function == "getOrDefault":
            return args[0] if value is None else value
        if function == "exists":
            return bool(exists)
        if function in ("isEmpty", "isNotEmpty"):
            return is_empty(value) == (function == "isEmpty")
        if function in ("equals", "notEquals"):
            return juel_compare("==", value, args[0]) == (function == "equals")
        if function in FLOWABLE_ORDER:
            return juel_compare(FLOWABLE_ORDER[function], value, args[0])
        if function in ("contains", "containsAny"):
            if value is None:
                return False
            if isinstance(value, str):
                found = [isinstance(arg, str) and arg in value for arg in args]
            elif isinstance(value, (list, tuple, set, frozenset, dict)):
                found = [any(juel_compare("==", item, arg) for item in value) for arg in args]
            else:
                raise Refused(f"variables:{function} needs a text or a collection, not a {type(value).__name__}")
            return all(found) if function == "contains" else any(found)
        if function == "base64":
            if value is None:
                return None
            if not isinstance(value, str):
                raise Refused(f"variables:base64 needs a text, not a {type(value).__name__}")
            return str_(base64.b64encode(value.encode()).decode("ascii"))
        raise Refused(f"{function!r} is not one of Flowable's variable functions")

    return {"print": print_, "len": len, "str": str_, "int": int_, "float": float, "bool": bool, "round": round_,
            "min": min, "max": max, "sum": sum_, "abs": abs, "sorted": sorted_, "reversed": reversed,
            "any": any, "all": all, "list": list, "dict": dict, "set": set, "tuple": tuple,
            "range": range_, "enumerate": enumerate, "zip": zip, "is_empty": is_empty, "juel_arith": juel_arith,
            "juel_text": juel_text, "juel_getter": juel_getter, "flowable_var": flowable_var,
            "juel_compare": juel_compare, "flowable_skip_enabled": flowable_skip_enabled,
            "flowable_skip": flowable_skip, "feel_test": feel_test, "feel_range": feel_range, "feel_any": feel_any,
            "feel_not": feel_not, "dmn_true": dmn_true, "dmn_type": dmn_type}
