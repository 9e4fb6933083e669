"""Static (deploy-time) check of the safe expression language: :func:`parse` parses
a model's expression or script and lists every forbidden construct in it, one English
message each, without running anything. Also :func:`where`, the location suffix of
error messages.

Nothing in here calls eval/exec/compile; syntax trees are only inspected.
"""

from __future__ import annotations

import ast
import textwrap
import threading
import warnings
from collections.abc import Callable, Collection, Mapping

from engine.runtime._safe_context import CONTEXT_ATTRS, CONTEXT_METHODS, ExecutionContext
from engine.runtime._safe_policy import BINOPS, ALL_METHODS, FORBIDDEN_CALLS, MAX_SOURCE

_PARSE_LOCK = threading.Lock()  # warnings.catch_warnings() is not thread-safe


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
    ast.In, ast.NotIn, ast.Is, ast.IsNot, *BINOPS})
_STATEMENT_NODES = frozenset({ast.Module, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.If,
                              ast.For, ast.While, ast.Break, ast.Continue, ast.Pass, ast.Expr,
                              ast.Delete})


# What ``execution.<name>`` may read or call (Camunda's DelegateExecution as far as it exists here)
_EXECUTION_NAMES = CONTEXT_ATTRS[ExecutionContext] | CONTEXT_METHODS[ExecutionContext]


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
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            # '_x' is an ordinary variable name in models (Camunda allows it); it only indexes
            # the variables, never an object, so only dunder-like names stay refused
            say(node, f"name {node.id!r} is not allowed (names starting with '__' are refused)")
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                say(node, f"attribute {node.attr!r} is not allowed (names starting with '_' are refused)")
            elif node.attr in ("format", "format_map"):
                say(node, "str.format() is not allowed (it can reach attributes); use an f-string")
            elif isinstance(node.value, ast.Name) and node.value.id == "execution" \
                    and node.attr not in _EXECUTION_NAMES \
                    and not (isinstance(parent, ast.Call) and parent.func is node and node.attr not in ALL_METHODS):
                # known at deploy: the case would fail when it gets here
                say(node, f"execution.{node.attr} is not available here (execution offers "
                          f"{', '.join(sorted(CONTEXT_ATTRS[ExecutionContext]))} and the methods getVariable, "
                          "setVariable and their kin)")
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
        if func.id.startswith("__"):
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
