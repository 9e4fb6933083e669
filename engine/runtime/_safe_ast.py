"""Internal helpers of :mod:`engine.runtime.expressions`, the safe expression and
script interpreter; this module is the one place that interpreter imports them from.

The helpers live in four modules, one responsibility each:

* :mod:`._safe_policy`: :class:`Refused`, size limits, whitelists and operator tables;
* :mod:`._safe_limits`: bounded operations (nested-value measuring, text conversion,
  checked operators and method calls, the built-in functions);
* :mod:`._safe_checks`: parsing with the static (deploy-time) checker;
* :mod:`._safe_compound`: :class:`Compound`, the statement/comprehension/f-string half
  of the tree-walking interpreter.

Defined here: how a failure is reported (:func:`error_cause`, :func:`describe_error`).
Nothing in any of these modules calls eval/exec/compile; syntax trees are only
inspected and walked.
"""

from __future__ import annotations

from engine.domain.errors import ExpressionError
from engine.runtime._safe_checks import parse, static_problems, where
from engine.runtime._safe_compound import BreakLoop, Compound, ContinueLoop
from engine.runtime._safe_limits import (
    binop, check_int, check_method, check_spec, make_builtins, to_text, weight)
from engine.runtime._safe_policy import (
    ALL_METHODS, ATOMIC, BUILTIN_KWARGS, COMPARE, CONTAINERS, DATA_ATTRS, DEEP_BUILTINS, DEEP_METHODS,
    FORBIDDEN_CALLS, MAX_DEPTH, MAX_INT_BITS, MAX_SOURCE, MAX_SPEC_LENGTH, MAX_SPEC_NUMBER, METHOD_KWARGS,
    METHODS, SEQUENCES, UNARY, Refused, too_big, type_table)

__all__ = [
    # _safe_policy
    "MAX_INT_BITS", "MAX_SPEC_NUMBER", "MAX_SPEC_LENGTH", "MAX_SOURCE", "MAX_DEPTH", "Refused", "ATOMIC",
    "SEQUENCES", "CONTAINERS", "FORBIDDEN_CALLS", "METHODS", "ALL_METHODS", "DATA_ATTRS", "METHOD_KWARGS",
    "DEEP_METHODS", "BUILTIN_KWARGS", "DEEP_BUILTINS", "COMPARE", "UNARY", "type_table", "too_big",
    # _safe_limits
    "weight", "to_text", "check_spec", "check_int", "binop", "check_method", "make_builtins",
    # _safe_checks
    "static_problems", "parse", "where",
    # _safe_compound
    "BreakLoop", "ContinueLoop", "Compound",
    # here
    "error_cause", "describe_error"]


def error_cause(exc: Exception) -> Exception | None:
    return None if isinstance(exc, (Refused, BreakLoop, ContinueLoop)) else exc


def describe_error(exc: Exception) -> str:
    if isinstance(exc, Refused):
        return str(exc)
    if isinstance(exc, (BreakLoop, ContinueLoop)):
        return "'break'/'continue' outside a loop"
    if isinstance(exc, ExpressionError):
        return exc.message
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, KeyError) and exc.args:
        return f"key {repr(exc.args[0])[:100]} not found"
    if isinstance(exc, RecursionError):
        return "value or expression is nested too deeply"
    if isinstance(exc, MemoryError):
        return "out of memory"
    return f"{type(exc).__name__}: {str(exc)[:200]}"
