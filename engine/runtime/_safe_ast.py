"""Internal helpers of :mod:`engine.runtime.expressions`: whitelists, size limits,
checked operators, bounded text conversion, parsing with the static (deploy-time)
checker, and :class:`Compound`, the statement/comprehension/f-string half of the
tree-walking interpreter.

Nothing in here calls eval/exec/compile; syntax trees are only inspected and walked.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import textwrap
import threading
import warnings
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, cast

from engine.domain.errors import ExpressionError

MAX_INT_BITS = 4096        # integers beyond this are refused (e.g. 9**9**9, 1 << 10**6)
MAX_SPEC_NUMBER = 1000     # largest width/precision in an f-string format spec
MAX_SPEC_LENGTH = 100
MAX_SOURCE = 100_000
_PARSE_LOCK = threading.Lock()  # warnings.catch_warnings() is not thread-safe


class Refused(Exception):
    """Internal: an expression was refused or failed; ``str(exc)`` is the English reason."""


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
    "issubclass", "callable", "id", "hash", "iter", "next", "format", "print", "exit", "quit",
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
    datetime: _DATE | {"date"}, date: _DATE, timedelta: frozenset({"total_seconds"})}
ALL_METHODS = frozenset().union(*METHODS.values())
DATA_ATTRS: dict[type, frozenset[str]] = {
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
    "int": frozenset({"base"}), "dict": None}
DEEP_BUILTINS = frozenset({"sorted", "min", "max", "set", "dict"})  # compare or hash items


def type_table(table: Mapping[type, frozenset[str]], value: Any) -> frozenset[str] | None:
    found = table.get(type(value))
    if found is None:
        for kind, names in table.items():
            if isinstance(value, kind):
                return names
    return found


def too_big(what: str, limit: int) -> Refused:
    return Refused(f"{what} would exceed the size limit of {limit} elements/characters")


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


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
    ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.BitXor: operator.xor}


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
    function = _BINOPS.get(op)
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


def make_builtins(max_size: int) -> dict[str, Callable[..., Any]]:
    """The functions every model may call, with results bounded by ``max_size``."""

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

    def is_empty(value: Any) -> bool:
        """JUEL ``empty``: None, empty text and empty collections."""
        return value is None or (isinstance(value, (str, list, tuple, dict, set, frozenset)) and not value)

    return {"len": len, "str": str_, "int": int_, "float": float, "bool": bool, "round": round_,
            "min": min, "max": max, "sum": sum_, "abs": abs, "sorted": sorted_, "reversed": reversed,
            "any": any, "all": all, "list": list, "dict": dict, "set": set, "tuple": tuple,
            "range": range_, "enumerate": enumerate, "zip": zip, "is_empty": is_empty}


COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}
UNARY: dict[type, Callable[[Any], Any]] = {
    ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.inv}


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


# ---------------------------------------------------------------------------------- static check

_FORBIDDEN_NODES: dict[type, str] = {
    ast.Import: "import is not allowed", ast.ImportFrom: "import is not allowed",
    ast.FunctionDef: "function definitions (def) are not allowed",
    ast.AsyncFunctionDef: "function definitions (def) are not allowed",
    ast.ClassDef: "class definitions are not allowed", ast.Lambda: "lambda is not allowed",
    ast.With: "'with' is not allowed", ast.AsyncWith: "'with' is not allowed",
    ast.Try: "try/except is not allowed", ast.Raise: "raise is not allowed",
    ast.Global: "global is not allowed", ast.Nonlocal: "nonlocal is not allowed",
    ast.Yield: "yield is not allowed", ast.YieldFrom: "yield is not allowed",
    ast.Await: "await is not allowed", ast.Return: "return is not allowed",
    ast.NamedExpr: "assignment expressions (:=) are not allowed", ast.Assert: "assert is not allowed",
    ast.AsyncFor: "async for is not allowed", ast.Match: "match is not allowed",
    ast.MatMult: "operator @ is not supported"}
if hasattr(ast, "TryStar"):
    _FORBIDDEN_NODES[ast.TryStar] = "try/except is not allowed"

_EXPRESSION_NODES = frozenset({
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Store, ast.Del, ast.List, ast.Tuple,
    ast.Dict, ast.Set, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Subscript,
    ast.Slice, ast.Attribute, ast.Call, ast.keyword, ast.Starred, ast.JoinedStr, ast.FormattedValue,
    ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension, ast.And, ast.Or,
    ast.Not, ast.USub, ast.UAdd, ast.Invert, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
    ast.In, ast.NotIn, ast.Is, ast.IsNot, *_BINOPS})
_STATEMENT_NODES = frozenset({ast.Module, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.If,
                              ast.For, ast.While, ast.Break, ast.Continue, ast.Pass, ast.Expr,
                              ast.Delete})


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def static_problems(tree: ast.AST, callables: Collection[str],
                    kwargs_allowed: Mapping[str, frozenset[str] | None]) -> list[str]:
    """Every forbidden construct in ``tree``, one English message each (nothing is run).
    ``kwargs_allowed`` maps the built-ins (not overridden by engine functions) to the
    keywords they accept."""
    problems: list[str] = []
    allowed = _EXPRESSION_NODES | _STATEMENT_NODES if isinstance(tree, ast.Module) else _EXPRESSION_NODES

    def say(node: ast.AST, message: str) -> None:
        script = isinstance(tree, ast.Module)
        problems.append(f"{message} (line {getattr(node, 'lineno', 1)})" if script else message)

    def visit(node: ast.AST, parent: ast.AST | None, in_loop: bool) -> None:
        kind = type(node)
        if kind in _FORBIDDEN_NODES or kind not in allowed:
            say(node, _FORBIDDEN_NODES.get(kind) or f"{kind.__name__} is not supported")
            return
        # ``kind`` is one of the exact node classes in ``allowed`` here, so isinstance() matches
        # the same nodes as ``kind is ...`` (and tells the type checker which attributes exist)
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            say(node, f"name {node.id!r} is not allowed (names starting with '_' are refused)")
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                say(node, f"attribute {node.attr!r} is not allowed (names starting with '_' are refused)")
            elif node.attr in ("format", "format_map"):
                say(node, "str.format() is not allowed (it can reach attributes); use an f-string")
        elif isinstance(node, ast.Call):
            _check_call(node, callables, kwargs_allowed, lambda message: say(node, message))
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for i, op in enumerate(node.ops):
                if type(op) in (ast.Is, ast.IsNot) and not (_is_none(sides[i]) or _is_none(sides[i + 1])):
                    say(node, "'is' and 'is not' are only allowed with None; use == or !=")
        elif isinstance(node, ast.comprehension) and node.is_async:
            say(node, "async comprehensions are not allowed")
        elif kind is ast.Starred and not isinstance(parent, (ast.Call, ast.List, ast.Tuple, ast.Set)):
            say(node, "'*' is only allowed in calls, literals and assignment targets")
        elif kind in (ast.Break, ast.Continue) and not in_loop:
            say(node, f"'{kind.__name__.lower()}' outside a loop")
        inner = in_loop or kind in (ast.For, ast.While)
        for child in ast.iter_child_nodes(node):
            visit(child, node, inner)

    visit(tree, None, False)
    return problems


def _check_call(node: ast.Call, callables: Collection[str],
                kwargs_allowed: Mapping[str, frozenset[str] | None], say: Callable[[str], None]) -> None:
    func = node.func
    if isinstance(func, ast.Name):
        if func.id.startswith("_"):
            pass  # reported for the Name itself
        elif func.id not in callables:
            say(f"{func.id}() is not allowed" if func.id in FORBIDDEN_CALLS
                else f"unknown function {func.id!r} (only built-in and engine-provided functions "
                     "can be called)")
        elif (accepted := kwargs_allowed.get(func.id)) is not None:
            extra = [k.arg for k in node.keywords if k.arg and k.arg not in accepted]
            if extra:
                say(f"{func.id}() does not accept the keyword(s) {extra}")
    elif isinstance(func, ast.Attribute):
        if not func.attr.startswith("_") and func.attr not in ("format", "format_map") \
                and func.attr not in ALL_METHODS:
            say(f"method {func.attr!r} is not allowed")
    else:
        say("only named functions and allowed methods can be called")
    for keyword in node.keywords:
        if keyword.arg is None:
            say("'**' arguments are not supported")


def parse(source: str, mode: str, callables: Collection[str],
          kwargs_allowed: Mapping[str, frozenset[str] | None]) -> tuple[ast.AST | None, list[str]]:
    """Parse and statically check ``source``: (tree or None, problems)."""
    if not isinstance(source, str):
        return None, [f"expected text, got {type(source).__name__}"]
    if len(source) > MAX_SOURCE:
        return None, [f"source is longer than {MAX_SOURCE} characters"]
    text = source.strip() if mode == "eval" else textwrap.dedent(source)
    if not text and mode == "eval":
        return None, ["empty expression"]
    try:
        with _PARSE_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text, mode=mode)
        return tree, static_problems(tree, callables, kwargs_allowed)
    except SyntaxError as exc:
        return None, [f"syntax error: {exc.msg} (line {exc.lineno or 1})"]
    except (RecursionError, MemoryError):
        return None, ["expression is nested too deeply"]
    except ValueError as exc:  # e.g. NUL bytes in the source
        return None, [f"cannot parse: {exc}"]


def where(source: str, mode: str, line: int) -> str:
    if mode == "exec":
        return f" (script line {line})" if line else ""
    short = " ".join(source.split())
    return f" (in {short[:77] + '...' if len(short) > 80 else short!r})"


# ----------------------------------------------------------- statements, comprehensions, f-strings

class BreakLoop(Exception):
    """Internal: ``break`` unwinding to the innermost loop."""


class ContinueLoop(Exception):
    """Internal: ``continue`` unwinding to the innermost loop."""


_T = TypeVar("_T")


class Compound:
    """Statements, comprehensions and f-strings of the interpreter in
    :mod:`engine.runtime.expressions`; that class provides visit(), charge(), sized(),
    deep(), index(), getitem(), attribute(), ``scopes``, ``line`` and ``ev``."""

    visit: Callable[[ast.AST], Any]
    charge: Callable[[int], None]
    deep: Callable[[Any], None]
    measured: Callable[[Any], Any]
    index: Callable[[ast.expr], Any]
    getitem: Callable[[Any, Any], Any]
    attribute: Callable[[Any, str], Any]
    scopes: list[Any]
    line: int
    ev: Any
    _Name: Callable[[ast.Name], Any]

    if TYPE_CHECKING:
        def sized(self, value: _T) -> _T: ...

    # ----------------------------------------------------------------------------- statements
    def block(self, body: list[ast.stmt]) -> None:
        for statement in body:
            self.line = statement.lineno
            self.visit(statement)

    def _Expr(self, node: ast.Expr) -> None:
        self.visit(node.value)

    def _Pass(self, node: ast.Pass) -> None:
        pass

    def _Break(self, node: ast.Break) -> None:
        raise BreakLoop

    def _Continue(self, node: ast.Continue) -> None:
        raise ContinueLoop

    def _Assign(self, node: ast.Assign) -> None:
        value = self.visit(node.value)
        for target in node.targets:
            self.assign(target, value)

    def _AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:  # the annotation is never evaluated
            self.assign(node.target, self.visit(node.value))

    def _AugAssign(self, node: ast.AugAssign) -> None:
        target, op = node.target, type(node.op)
        if isinstance(target, ast.Name):
            current = self._Name(target)
            self.scopes[-1][target.id] = self.inplace(op, current, self.visit(node.value))
            return
        container = self.visit(target.value)
        if isinstance(target, ast.Subscript):
            key = self.index(target.slice)
            current = self.getitem(container, key)
            self.setitem(container, key, self.inplace(op, current, self.visit(node.value)))
        else:
            name = target.attr
            current = self.attribute(container, name)
            self.setitem(container, name, self.inplace(op, current, self.visit(node.value)))

    def inplace(self, op: type, current: Any, value: Any) -> Any:
        if type(current) is list and op is ast.Add:  # list += iterable extends in place
            items = list(value)
            if len(current) + len(items) > self.ev.max_size:
                raise too_big("concatenation", self.ev.max_size)
            current.extend(items)
            return self.sized(current)
        if op in (ast.BitOr, ast.BitAnd, ast.BitXor, ast.Sub):
            value = self.measured(value)
        result = self.sized(binop(op, current, value, self.ev.max_size))
        if type(current) in (list, set, dict) and type(result) is type(current):
            current.clear()  # keep in-place semantics for aliases (l *= 2, s |= t, d |= e)
            current.extend(result) if type(current) is list else current.update(result)
            return current
        return result

    def _Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                if target.id not in self.scopes[-1]:
                    raise Refused(f"name {target.id!r} is not defined")
                del self.scopes[-1][target.id]
            elif isinstance(target, (ast.Subscript, ast.Attribute)):
                container = self.visit(target.value)
                if isinstance(container, dict):
                    del container[target.attr if isinstance(target, ast.Attribute) else self.index(target.slice)]
                elif isinstance(container, list) and isinstance(target, ast.Subscript):
                    del container[self.index(target.slice)]
                else:
                    raise Refused(f"cannot delete items of a {type(container).__name__} value")
            else:
                raise Refused("only names, items and dict keys can be deleted")

    def _If(self, node: ast.If) -> None:
        self.block(node.body if self.visit(node.test) else node.orelse)

    def _For(self, node: ast.For) -> None:
        for item in self.visit(node.iter):
            self.charge(1)
            self.assign(node.target, item)
            try:
                self.block(node.body)
            except BreakLoop:
                break
            except ContinueLoop:
                continue
        else:
            self.block(node.orelse)

    def _While(self, node: ast.While) -> None:
        while self.visit(node.test):
            try:
                self.block(node.body)
            except BreakLoop:
                break
            except ContinueLoop:
                continue
        else:
            self.block(node.orelse)

    def assign(self, target: ast.AST, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.scopes[-1][target.id] = value
        elif isinstance(target, ast.Subscript):
            container = self.visit(target.value)
            self.setitem(container, self.index(target.slice), value)
        elif isinstance(target, ast.Attribute):
            container = self.visit(target.value)
            if not isinstance(container, dict):
                raise Refused(f"cannot set attribute {target.attr!r}: only dict keys can be set this way")
            self.setitem(container, target.attr, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.unpack(target.elts, value)
        else:
            raise Refused(f"cannot assign to {type(target).__name__}")

    def unpack(self, targets: list[ast.expr], value: Any) -> None:
        items = list(value)
        stars = [i for i, t in enumerate(targets) if isinstance(t, ast.Starred)]
        if len(stars) > 1 or (not stars and len(items) != len(targets)) or len(items) < len(targets) - 1:
            raise Refused(f"cannot unpack {len(items)} values into {len(targets)} targets")
        if not stars:
            for target, item in zip(targets, items):
                self.assign(target, item)
            return
        star, after = stars[0], len(targets) - stars[0] - 1
        tail = len(items) - after
        for target, item in zip(targets[:star] + targets[star + 1:], items[:star] + items[tail:]):
            self.assign(target, item)
        self.assign(targets[star].value, items[star:tail])  # type: ignore[attr-defined]

    def setitem(self, container: Any, key: Any, value: Any) -> None:
        if isinstance(container, dict):
            self.deep(key)
            if key not in container and len(container) >= self.ev.max_size:
                raise too_big("the dict", self.ev.max_size)
        elif isinstance(container, list):
            if isinstance(key, slice):
                value = list(value)
                if len(container) + len(value) > self.ev.max_size:
                    raise too_big("the list", self.ev.max_size)
        else:
            raise Refused(f"cannot assign items of a {type(container).__name__} value")
        container[key] = value

    # -------------------------------------------------------------------------- comprehensions
    def comprehend(self, generators: list[ast.comprehension], emit: Callable[[], None]) -> None:
        self.scopes.append({})
        try:
            self.loop(generators, 0, emit)
        finally:
            self.scopes.pop()

    def loop(self, generators: list[ast.comprehension], i: int, emit: Callable[[], None]) -> None:
        generator, last = generators[i], i + 1 == len(generators)
        for item in self.visit(generator.iter):
            self.charge(1)
            self.assign(generator.target, item)
            if all(self.visit(condition) for condition in generator.ifs):
                emit() if last else self.loop(generators, i + 1, emit)

    def _ListComp(self, node: ast.ListComp) -> list[Any]:
        out: list[Any] = []
        self.comprehend(node.generators, lambda: out.append(self.visit(node.elt)))
        return self.sized(out)

    def _GeneratorExp(self, node: ast.GeneratorExp) -> Any:
        return iter(self._ListComp(node))  # type: ignore[arg-type]  # eager, bounded by steps

    def _SetComp(self, node: ast.SetComp) -> set[Any]:
        out: set[Any] = set()

        def emit() -> None:
            value = self.visit(node.elt)
            self.deep(value)
            out.add(value)
        self.comprehend(node.generators, emit)
        return self.sized(out)

    def _DictComp(self, node: ast.DictComp) -> dict[Any, Any]:
        out: dict[Any, Any] = {}

        def emit() -> None:
            key = self.visit(node.key)
            self.deep(key)
            out[key] = self.visit(node.value)
        self.comprehend(node.generators, emit)
        return self.sized(out)

    def _JoinedStr(self, node: ast.JoinedStr) -> str:
        parts: list[str] = []
        size = 0
        for part in node.values:
            # an f-string's literal pieces are str constants, the rest FormattedValues (-> str)
            text: str = cast(str, part.value) if isinstance(part, ast.Constant) else self.visit(part)
            size += len(text)
            if size > self.ev.max_size:
                raise too_big("the f-string", self.ev.max_size)
            parts.append(text)
        return self.sized("".join(parts))

    def _FormattedValue(self, node: ast.FormattedValue) -> str:
        value = self.visit(node.value)
        limit = self.ev.max_size
        if node.conversion in (ord("s"), ord("r"), ord("a")):
            value = to_text(value, node.conversion != ord("s"), limit)
            if node.conversion == ord("a"):
                value = value.encode("ascii", "backslashreplace").decode("ascii")
        spec = self.visit(node.format_spec) if node.format_spec is not None else ""
        if not spec:
            return to_text(value, False, limit)
        check_spec(spec)
        if type(value) not in ATOMIC:
            raise Refused(f"a format spec cannot be applied to a {type(value).__name__} value")
        return format(value, spec)
