"""What the safe expression language allows, and how big things may get.

Shared by every part of the interpreter in :mod:`engine.runtime.expressions`: the
:class:`Refused` error, the size limits, the value types that are cheap to compare,
hash and print, the whitelists of methods, attributes and built-in keyword arguments,
and the operator tables. Only data and two tiny helpers live here, so that the static
checker (:mod:`._safe_checks`), the bounded operations (:mod:`._safe_limits`) and the
statement interpreter (:mod:`._safe_compound`) all read the same rules.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from engine.runtime._safe_context import CONTEXT_ATTRS, CONTEXT_METHODS
from engine.runtime._safe_errors import Refused as Refused  # re-exported: the interpreter's error
from engine.runtime._safe_java import JAVA_NAMES

MAX_INT_BITS = 4096        # integers beyond this are refused (e.g. 9**9**9, 1 << 10**6)
MAX_SPEC_NUMBER = 1000     # largest width/precision in an f-string format spec
MAX_SPEC_LENGTH = 100
MAX_SOURCE = 100_000


# Values whose comparison, hashing and conversion to text cost at most their own size.
ATOMIC = frozenset({int, float, bool, complex, str, bytes, type(None), Decimal,
                    date, datetime, time, timedelta})
SEQUENCES = (str, bytes, list, tuple)
_VIEWS: tuple[type[Any], ...] = (type({}.keys()), type({}.values()), type({}.items()))
CONTAINERS = frozenset({list, tuple, set, frozenset, dict, *_VIEWS})
MAX_DEPTH = 100            # deeper values are not compared/hashed (hashing nested tuples recurses in C)

FORBIDDEN_CALLS = frozenset({
    "eval", "exec", "compile", "open", "__import__", "getattr", "setattr", "delattr", "hasattr",
    "type", "vars", "dir", "globals", "locals", "input", "breakpoint", "help", "memoryview",
    "bytearray", "object", "super", "classmethod", "staticmethod", "property", "isinstance",
    "issubclass", "callable", "id", "hash", "iter", "next", "format", "exit", "quit",
    "map", "filter", "repr", "ascii"})

_STR = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "join",
    "replace", "startswith", "endswith", "title", "capitalize", "casefold", "isdigit", "isalpha",
    "isalnum", "isnumeric", "isdecimal", "isspace", "islower", "isupper", "zfill", "count",
    "find", "rfind", "removeprefix", "removesuffix"})
_LIST = frozenset({"append", "extend", "index", "count", "pop", "insert", "remove", "sort",
                   "reverse", "copy"})
_DICT = frozenset({"get", "keys", "values", "items", "copy", "update", "setdefault", "pop"})
_DATE = frozenset({"isoformat", "weekday", "isoweekday"})
# Exact type first, then isinstance in this order (datetime is a subclass of date).
METHODS: dict[type, frozenset[str]] = {
    bool: frozenset(), str: _STR, list: _LIST, tuple: frozenset({"index", "count"}), dict: _DICT,
    int: frozenset(), float: frozenset({"is_integer"}), Decimal: frozenset(),
    datetime: _DATE | {"date"}, date: _DATE, timedelta: frozenset({"total_seconds"}), **CONTEXT_METHODS}
# Names the static checker accepts after a '.': Python methods, the Java methods of translated
# JUEL (_safe_java, dispatched on the value's type at run time) and the context objects' methods.
ALL_METHODS = frozenset().union(*METHODS.values()) | JAVA_NAMES
DATA_ATTRS: dict[type, frozenset[str]] = {
    **CONTEXT_ATTRS,
    datetime: frozenset({"year", "month", "day", "hour", "minute", "second", "microsecond"}),
    date: frozenset({"year", "month", "day"}),
    timedelta: frozenset({"days", "seconds", "microseconds"})}
METHOD_KWARGS = {"sort": frozenset({"reverse"}), "split": frozenset({"sep", "maxsplit"}),
                 "rsplit": frozenset({"sep", "maxsplit"}), "splitlines": frozenset({"keepends"})}
DEEP_METHODS = frozenset({"index", "count", "remove", "sort", "get", "pop", "setdefault", "update"})

# Keyword arguments the built-ins accept (None: any). No key= anywhere: it would take a callable.
BUILTIN_KWARGS: dict[str, frozenset[str] | None] = {
    "sorted": frozenset({"reverse"}), "min": frozenset({"default"}), "max": frozenset({"default"}),
    "sum": frozenset({"start"}), "enumerate": frozenset({"start"}), "round": frozenset({"ndigits"}),
    "int": frozenset({"base"}), "dict": None, "print": frozenset({"sep", "end"})}
DEEP_BUILTINS = frozenset({"sorted", "min", "max", "set", "dict", "juel_compare", "flowable_var"})  # compare or hash items


def type_table(table: Mapping[type, frozenset[str]], value: Any) -> frozenset[str] | None:
    found = table.get(type(value))
    if found is None:
        for kind, names in table.items():
            if isinstance(value, kind):
                return names
    return found


def too_big(what: str, limit: int) -> Refused:
    return Refused(f"{what} would exceed the size limit of {limit} elements/characters")


# Operators: arithmetic (applied by _safe_limits.binop after its size checks), comparison, unary.
BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
    ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.BitXor: operator.xor}


COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}
UNARY: dict[type, Callable[[Any], Any]] = {
    ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.inv}
