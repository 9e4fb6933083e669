"""The expression half of the safe interpreter behind :mod:`engine.runtime.expressions`.

:class:`Run` holds the state of one ``evaluate()``/``execute()`` call (scopes, step
counter, deadline, current line) and evaluates expression nodes: names, literals,
operators, comparisons, subscripts, attribute access and calls of the whitelisted
functions and methods, with the step and size accounting every node goes through.
Statements, comprehensions and f-strings come from :class:`_safe_compound.Compound`,
which it derives from. :class:`expressions.SafeEvaluator` (parsing, caching, error
reports) creates one :class:`Run` per call. Nothing here calls eval/exec/compile.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping, Sized
from time import monotonic, thread_time
from typing import Any, Protocol, TypeVar, cast

from engine.runtime import budget
from engine.runtime._safe_ast import (
    ATOMIC, COMPARE, DATA_ATTRS, DEEP_BUILTINS, DEEP_METHODS, METHODS, UNARY,
    Compound, Refused, binop, check_int, check_method, too_big, type_table, weight)
from engine.runtime._safe_java import java_method

__all__ = ["Evaluator", "Run"]

_TICK = 1024
_HASHING = frozenset({ast.BitOr, ast.BitAnd, ast.BitXor, ast.Sub})
_RETURNS_EXISTING = frozenset({"get", "pop", "setdefault"})  # no new allocation to charge
_SIZED: frozenset[type[Any]] = frozenset({str, bytes, list, tuple, dict, set, frozenset})
_T = TypeVar("_T")


SCOPED_LOOKUP = "flowable_var"   # the built-in that is given a variable by its name (see Run.variable_of)


class Evaluator(Protocol):
    """What a :class:`Run` reads from its evaluator (a :class:`expressions.SafeEvaluator`)."""

    @property
    def max_steps(self) -> int: ...
    @property
    def max_seconds(self) -> float: ...
    @property
    def max_size(self) -> int: ...
    @property
    def callables(self) -> dict[str, Callable[..., Any]]: ...
    @property
    def kwargs_allowed(self) -> dict[str, frozenset[str] | None]: ...


class Run(Compound):
    """State of one evaluate()/execute() call: scopes, step counter, deadline."""

    __slots__ = ("ev", "scopes", "steps", "mark", "deadline", "capped", "wall", "line")

    def __init__(self, ev: Evaluator, names: Mapping[str, Any]) -> None:
        self.ev = ev
        self.scopes: list[Any] = [names]
        self.steps = 0
        self.mark = min(_TICK, ev.max_steps + 1)
        # CPU time of this thread, as the command's budget counts it (engine.runtime.budget)
        self.deadline = thread_time() + ev.max_seconds
        command = budget.current()  # a script never outlives the command that runs it
        ends = command.cpu_deadline_here() if command is not None else None
        self.capped = ends is not None and ends < self.deadline
        if ends is not None and self.capped:
            self.deadline = ends
        self.wall = command.deadline if command is not None else None
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
        if thread_time() > self.deadline or (self.wall is not None and monotonic() > self.wall):
            if self.capped or self.wall is not None and monotonic() > self.wall:
                raise Refused(f"the command's time budget of {budget.current_limits().seconds:g} s is used up "
                              "(limit AMTSFLOW_MAX_COMMAND_SECONDS)")
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

    def variable_of(self, args: list[Any]) -> list[Any]:
        """The arguments of :data:`SCOPED_LOOKUP` (function, variable name, ...) with the name
        replaced by the variable's value and whether it exists: a variable that does not exist
        is null, not an error (Flowable's variable functions)."""
        if len(args) < 2 or not isinstance(args[1], str) or not args[1] or args[1].startswith("__"):
            raise Refused(f"{SCOPED_LOOKUP}() needs a function and a variable name")
        function, name, *rest = args
        for scope in reversed(self.scopes):
            if name in scope:
                return [function, scope[name], True, *rest]
        return [function, None, False, *rest]

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
            if func.id == SCOPED_LOOKUP:   # Flowable's variables:fn('name', ...): the variable, or null
                args = self.variable_of(args)
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
            java = None if name.startswith("_") else java_method(obj, name)
            if java is not None and not kwargs:  # a Java method of translated JUEL: s.toUpperCase()
                self.deep(obj)
                for value in args:
                    self.deep(value)
                return self.sized(java(obj, *args))
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


_DISPATCH: dict[type, Callable[[Run, Any], Any]] = {
    getattr(ast, name[1:]): getattr(Run, name) for name in dir(Run)
    if name.startswith("_") and name[1:2].isupper() and hasattr(ast, name[1:])}
