"""Statements, comprehensions and f-strings of the safe interpreter.

:class:`Compound` is the half of the tree-walking interpreter in
:mod:`engine.runtime.expressions` that runs statements (assignment, ``del``, ``if``,
``for``, ``while``, ``break``/``continue``), comprehensions and f-strings; the
expression half (names, operators, calls, attributes) and the step and size accounting
are in ``_safe_eval.Run``, which derives from it. Nothing here calls eval/exec/compile.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from engine.runtime._safe_limits import binop, check_spec, to_text
from engine.runtime._safe_policy import ATOMIC, Refused, too_big


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
