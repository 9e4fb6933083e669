"""Safe evaluation of the expressions and scripts in uploaded (untrusted) BPMN models.

Gateway conditions, script tasks and parameter expressions are written in a small
Python subset. They never reach ``eval``/``exec``/``compile``: the source is parsed with
``ast.parse`` and the tree is interpreted here, node type by node type, from a whitelist.
Ready-made libraries did not fit: simpleeval has no statements (script tasks need
assignments, ``if`` and ``for``), and asteval's default symbol table exposes ``open()``
and has no time limit.

Safety rules, enforced both statically (:meth:`SafeEvaluator.check`, at deploy time) and
while running:

* names and attributes starting with ``_`` are refused; so are import, def, class,
  lambda, with, try, raise, global, nonlocal, yield, await, return, assert, ``:=``;
* only the built-ins of :func:`_safe_ast.make_builtins` and the functions the engine
  passes in can be called, plus whitelisted methods of str/list/tuple/dict/float and
  date/datetime/timedelta; a callable found in the data is never called and
  ``str.format`` is refused (it can reach attributes);
* ``x.y`` on a dict reads ``x["y"]`` (JUEL/Jinja-like property access);
* every visited node costs one step (``max_steps``), large results cost extra steps,
  and a wall-clock deadline (``max_seconds``) is checked every 1024 steps;
* integers are limited to 4096 bits (exponents and shifts are checked before
  computing), strings/lists/ranges to ``max_size`` elements, and nested values are
  measured before they are compared, hashed or turned into text.

Every failure raises :class:`ExpressionError` naming the element and the problem.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable, Iterator, Mapping, Sized
from time import monotonic
from typing import Any, TypeVar, cast

from engine.domain.errors import ExpressionError
from engine.runtime._safe_ast import (
    ATOMIC, BUILTIN_KWARGS, COMPARE, DATA_ATTRS, DEEP_BUILTINS, DEEP_METHODS, METHODS, UNARY,
    Compound, Refused, binop, check_int, check_method, describe_error, error_cause, make_builtins,
    parse, too_big, type_table, weight, where)

__all__ = ["SafeEvaluator"]

_CACHE_SIZE = 2048
_TICK = 1024
_HASHING = frozenset({ast.BitOr, ast.BitAnd, ast.BitXor, ast.Sub})
_RETURNS_EXISTING = frozenset({"get", "pop", "setdefault"})  # no new allocation to charge
_SIZED: frozenset[type[Any]] = frozenset({str, bytes, list, tuple, dict, set, frozenset})
_T = TypeVar("_T")


class SafeEvaluator:
    """Evaluates model expressions and runs model scripts without eval/exec."""

    def __init__(self, *, max_steps: int = 200_000, max_seconds: float = 2.0,
                 max_size: int = 1_000_000, functions: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.max_size = max_size
        self.callables: dict[str, Callable[..., Any]] = make_builtins(max_size)
        for name, function in (functions or {}).items():
            if not name.isidentifier() or name.startswith("_") or not callable(function):
                raise ValueError(f"invalid function for expressions: {name!r}")
            self.callables[name] = function
        builtins = set(self.callables) - set(functions or {})
        self.kwargs_allowed = {name: BUILTIN_KWARGS.get(name, frozenset()) for name in builtins}
        self._cache: dict[tuple[str, str], tuple[ast.AST | None, list[str]]] = {}
        self._cache_lock = threading.Lock()

    # ------------------------------------------------------------------------------- public API
    def evaluate(self, expression: str, names: Mapping[str, Any], *, element_id: str = "") -> Any:
        """Value of one expression over ``names`` (which is never modified)."""
        tree = self._prepared(expression, "eval", element_id)
        run = _Run(self, names)
        try:
            return run.visit(tree.body)  # type: ignore[attr-defined]
        except Exception as exc:
            raise self._failure(exc, run, expression, "eval", element_id) from error_cause(exc)

    def execute(self, script: str, names: dict[str, Any], *, element_id: str = "") -> None:
        """Run statements; assignments to top-level names write into `names` (in place).
        A script that fails half-way leaves the changes it made up to that point."""
        tree = self._prepared(script, "exec", element_id)
        run = _Run(self, names)
        try:
            run.block(tree.body)  # type: ignore[attr-defined]
        except Exception as exc:
            raise self._failure(exc, run, script, "exec", element_id) from error_cause(exc)

    def check(self, source: str, *, mode: str = "eval", element_id: str = "") -> list[str]:
        """Static check at deploy time without running anything: syntax errors and forbidden constructs, one English message per problem (empty list = fine).

        Messages are not prefixed with ``element_id``; callers put it into their Problem."""
        if mode not in ("eval", "exec"):
            raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
        return list(self._parsed(source, mode)[1])

    # ------------------------------------------------------------------------------- internals
    def _prepared(self, source: str, mode: str, element_id: str) -> ast.AST:
        tree, problems = self._parsed(source, mode)
        if problems or tree is None:
            suffix = where(source, mode, 0) if isinstance(source, str) else ""
            raise ExpressionError("refused: " + "; ".join(problems) + suffix, expression=str(source),
                                  element_id=element_id)
        return tree

    def _parsed(self, source: str, mode: str) -> tuple[ast.AST | None, list[str]]:
        key = (source, mode)
        entry = self._cache.get(key)
        if entry is None:
            entry = parse(source, mode, self.callables, self.kwargs_allowed)
            with self._cache_lock:
                self._cache[key] = entry
                while len(self._cache) > _CACHE_SIZE:
                    del self._cache[next(iter(self._cache))]
        return entry

    def _failure(self, exc: Exception, run: _Run, source: str, mode: str, element_id: str) -> ExpressionError:
        message = describe_error(exc) + where(source, mode, run.line)
        return ExpressionError(message, expression=source, element_id=element_id)


class _Run(Compound):
    """State of one evaluate()/execute() call: scopes, step counter, deadline."""

    __slots__ = ("ev", "scopes", "steps", "mark", "deadline", "line")

    def __init__(self, ev: SafeEvaluator, names: Mapping[str, Any]) -> None:
        self.ev = ev
        self.scopes: list[Any] = [names]
        self.steps = 0
        self.mark = min(_TICK, ev.max_steps + 1)
        self.deadline = monotonic() + ev.max_seconds
        self.line = 0

    def visit(self, node: ast.AST) -> Any:
        self.steps += 1
        if self.steps >= self.mark:
            self.tick()
        handler = _DISPATCH.get(type(node))
        if handler is None:
            raise Refused(f"{type(node).__name__} is not supported")
        return handler(self, node)

    def tick(self) -> None:
        ev = self.ev
        if self.steps > ev.max_steps:
            raise Refused(f"step limit of {ev.max_steps} steps exceeded (endless loop?)")
        if monotonic() > self.deadline:
            raise Refused(f"time limit of {ev.max_seconds} s exceeded")
        self.mark = min(self.steps + _TICK, ev.max_steps + 1)

    def charge(self, steps: int) -> None:
        self.steps += steps
        if self.steps >= self.mark:
            self.tick()

    def deep(self, value: Any) -> None:
        """Measure a nested value before it is compared or hashed (costly when shared)."""
        if type(value) not in ATOMIC:
            self.charge(weight(value, self.ev.max_size) >> 8)

    def measured(self, value: Any) -> Any:
        """Like deep(), but first turns a one-shot iterator into a list so it can be measured."""
        if isinstance(value, Iterator):
            value = self.sized(list(value))
        self.deep(value)
        return value

    def sized(self, value: _T) -> _T:
        """``value`` itself, once its size (an int's magnitude) is found within the limits."""
        kind = type(value)
        if kind in _SIZED:
            size = len(cast(Sized, value))
            if size > self.ev.max_size:
                raise too_big("the result", self.ev.max_size)
            self.charge(size >> 4)
        elif kind is int:
            check_int(cast(int, value))
        return value

    # ---------------------------------------------------------------------------- expressions
    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        name = node.id
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.ev.callables:
            raise Refused(f"function {name!r} can only be called, not used as a value")
        raise Refused(f"name {name!r} is not defined")

    def elements(self, nodes: list[ast.expr]) -> list[Any]:
        out: list[Any] = []
        for node in nodes:
            if isinstance(node, ast.Starred):
                items = list(self.visit(node.value))
                if len(out) + len(items) > self.ev.max_size:
                    raise too_big("unpacking", self.ev.max_size)
                out.extend(items)
            else:
                out.append(self.visit(node))
        return out

    def _List(self, node: ast.List) -> list[Any]:
        return self.sized(self.elements(node.elts))

    def _Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self.sized(self.elements(node.elts)))

    def _Set(self, node: ast.Set) -> set[Any]:
        items = self.sized(self.elements(node.elts))
        for item in items:
            self.deep(item)
        return set(items)

    def _Dict(self, node: ast.Dict) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:  # {**other}
                other = self.visit(value_node)
                if not isinstance(other, dict):
                    raise Refused(f"'**' needs a dict, not {type(other).__name__}")
                if len(out) + len(other) > self.ev.max_size:
                    raise too_big("the dict", self.ev.max_size)
                out.update(other)
            else:
                key = self.visit(key_node)
                self.deep(key)
                out[key] = self.visit(value_node)
        return out

    def _BinOp(self, node: ast.BinOp) -> Any:
        op, left, right = type(node.op), self.visit(node.left), self.visit(node.right)
        if op in _HASHING:  # set and dict-view operators hash their operands' items
            left, right = self.measured(left), self.measured(right)
        return self.sized(binop(op, left, right, self.ev.max_size))

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        return UNARY[type(node.op)](self.visit(node.operand))

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        value: Any = is_and
        for operand in node.values:
            value = self.visit(operand)
            if bool(value) != is_and:
                return value
        return value

    def _Compare(self, node: ast.Compare) -> bool:
        left = self.visit(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.visit(comparator)
            kind = type(op)
            if kind is not ast.Is and kind is not ast.IsNot:
                self.deep(left)
                right = self.measured(right)
            if not COMPARE[kind](left, right):
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.visit(node.body if self.visit(node.test) else node.orelse)

    def index(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Slice):
            return slice(*(None if part is None else self.visit(part)
                           for part in (node.lower, node.upper, node.step)))
        return self.visit(node)

    def getitem(self, container: Any, key: Any) -> Any:
        if not isinstance(container, (dict, list, tuple, str, bytes, range)):
            raise Refused(f"a {type(container).__name__} value cannot be subscripted")
        if type(key) is not slice:
            self.deep(key)
            return container[key]
        return self.sized(container[key])

    def _Subscript(self, node: ast.Subscript) -> Any:
        container = self.visit(node.value)
        return self.getitem(container, self.index(node.slice))

    def attribute(self, obj: Any, name: str) -> Any:
        if name.startswith("_"):
            raise Refused(f"attribute {name!r} is not allowed")
        if isinstance(obj, dict):
            if name not in obj:
                raise Refused(f"key {name!r} not found (a.{name} on a dict reads a[{name!r}])")
            return obj[name]
        if name in (type_table(DATA_ATTRS, obj) or ()):
            return getattr(obj, name)
        if name in (type_table(METHODS, obj) or ()):
            raise Refused(f"method {name!r} can only be called")
        raise Refused(f"attribute {name!r} of a {type(obj).__name__} value is not accessible")

    def _Attribute(self, node: ast.Attribute) -> Any:
        return self.attribute(self.visit(node.value), node.attr)

    def _Call(self, node: ast.Call) -> Any:
        func = node.func
        if isinstance(func, ast.Name):
            target = self.ev.callables.get(func.id)
            if target is None:
                raise Refused(f"{func.id!r} is not a function that models may call")
            args, kwargs = self.arguments(node)
            allowed = self.ev.kwargs_allowed.get(func.id)
            if kwargs and func.id in self.ev.kwargs_allowed and allowed is not None \
                    and not kwargs.keys() <= allowed:
                raise Refused(f"{func.id}() does not accept keyword(s) {sorted(kwargs.keys() - allowed)}")
            if func.id in DEEP_BUILTINS and func.id in self.ev.kwargs_allowed:
                args = [self.measured(value) for value in args]
                for value in kwargs.values():
                    self.deep(value)
            return self.sized(target(*args, **kwargs))
        if not isinstance(func, ast.Attribute):
            raise Refused("only named functions and allowed methods can be called")
        obj, name = self.visit(func.value), func.attr
        args, kwargs = self.arguments(node)
        if name.startswith("_") or name not in (type_table(METHODS, obj) or ()):
            if isinstance(obj, dict) and name in obj:
                raise Refused(f"{name!r} is a value in the data; calling data is not allowed")
            raise Refused(f"method {name!r} is not allowed on a {type(obj).__name__} value")
        check_method(obj, name, args, kwargs, self.ev.max_size)
        if name in DEEP_METHODS:  # these compare or hash their arguments (and list items)
            for value in args:
                self.deep(value)
            if isinstance(obj, (list, tuple)):
                self.deep(obj)
        result = getattr(obj, name)(*args, **kwargs)
        return result if name in _RETURNS_EXISTING else self.sized(result)

    def arguments(self, node: ast.Call) -> tuple[list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {}
        args = self.elements(node.args)
        for keyword in node.keywords:
            if keyword.arg is None:
                raise Refused("'**' arguments are not supported")
            kwargs[keyword.arg] = self.visit(keyword.value)
        return args, kwargs


_DISPATCH: dict[type, Callable[[_Run, Any], Any]] = {
    getattr(ast, name[1:]): getattr(_Run, name) for name in dir(_Run)
    if name.startswith("_") and name[1:2].isupper() and hasattr(ast, name[1:])}
