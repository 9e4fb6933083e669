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
  and a CPU-time deadline (``max_seconds``, the thread's clock, as the command budget
  counts) is checked every 1024 steps;
* integers are limited to 4096 bits (exponents and shifts are checked before
  computing), strings/lists/ranges to ``max_size`` elements, and nested values are
  measured before they are compared, hashed or turned into text.

Every failure raises :class:`ExpressionError` naming the element and the problem.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable, Mapping
from typing import Any

from engine.domain.errors import ExpressionError
from engine.runtime._safe_ast import BUILTIN_KWARGS, describe_error, error_cause, make_builtins, parse, where
from engine.runtime._safe_errors import BpmnErrorThrown
from engine.runtime._safe_eval import Run

__all__ = ["SafeEvaluator"]

_CACHE_SIZE = 2048


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
        run = Run(self, names)
        try:
            return run.visit(tree.body)  # type: ignore[attr-defined]
        except BpmnErrorThrown:
            raise   # not a failure: a script task's error path takes over (engine.runtime.script_errors)
        except Exception as exc:
            raise self._failure(exc, run, expression, "eval", element_id) from error_cause(exc)

    def execute(self, script: str, names: dict[str, Any], *, element_id: str = "") -> None:
        """Run statements; assignments to top-level names write into `names` (in place).
        A script that fails half-way leaves the changes it made up to that point."""
        tree = self._prepared(script, "exec", element_id)
        run = Run(self, names)
        try:
            run.block(tree.body)  # type: ignore[attr-defined]
        except BpmnErrorThrown:
            raise   # not a failure: a script task's error path takes over (engine.runtime.script_errors)
        except Exception as exc:
            raise self._failure(exc, run, script, "exec", element_id) from error_cause(exc)

    def script_value(self, script: str, names: Mapping[str, Any], *, element_id: str = "") -> Any:
        """The value of a script used as a value (Camunda script input/output parameters): the
        value of its last statement when that is an expression, else None. Assignments stay in
        a scratch scope; ``names`` is never modified."""
        tree = self._prepared(script, "exec", element_id)
        body = list(tree.body)  # type: ignore[attr-defined]
        run = Run(self, dict(names))
        try:
            last = body.pop() if body and isinstance(body[-1], ast.Expr) else None
            run.block(body)
            return run.visit(last.value) if last is not None else None
        except BpmnErrorThrown:
            raise   # not a failure: a script task's error path takes over (engine.runtime.script_errors)
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

    def _failure(self, exc: Exception, run: Run, source: str, mode: str, element_id: str) -> ExpressionError:
        message = describe_error(exc) + where(source, mode, run.line)
        return ExpressionError(message, expression=source, element_id=element_id)
