"""Tokenizer and recursive-descent parser for the JUEL subset that
:mod:`engine.runtime.juel` translates.

One ``${...}``/``#{...}`` expression becomes a tuple tree (see ``Node``); everything
outside the supported subset (calls of unknown methods, i.e. undeclared beans, the
Camunda context objects other than ``execution`` and ``task``, lambdas, assignments,
collection literals, ``instanceof``) is refused here with a :class:`JuelError` naming
the construct. Turning a tree into Python text is the
emitter's job in :mod:`engine.runtime.juel`, which also re-exports :class:`JuelError`.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from engine.runtime._safe_policy import ALL_METHODS
from engine.runtime.beans import BEAN_FUNCTION


class JuelError(ValueError):
    """A JUEL expression uses a construct that cannot be translated (message in English)."""


_NUMBER_RE = re.compile(r"\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?")
_NAME_RE = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_SYMBOLS = ("==", "!=", "<=", ">=", "&&", "||", "->", "+=", "<", ">", "!", "+", "-", "*",
            "/", "%", "?", ":", "(", ")", "[", "]", ".", ",", "{", "}", "=", ";")
_WORD_OPS = {"and": "&&", "or": "||", "not": "!", "eq": "==", "ne": "!=", "lt": "<",
             "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%"}
_REFUSED_SYMBOLS = {
    "=": "assignment ('=') is not supported: expressions must not modify variables",
    "->": "lambda expressions ('->') are not supported",
    "+=": "the string concatenation operator '+=' is not supported",
    ";": "statement sequences (';') are not supported",
    "{": "set/map literals ('{...}') are not supported",
}
# Camunda context objects the engine does not provide (``execution`` and ``task`` it does).
_CONTEXT_OBJECTS = ("externalTask", "caseExecution", "variableScope", "connector")
# A Java getter (getSurname(), isActive()), read on what a bean answers (see Parser.call).
GETTER_RE = re.compile(r"(?:get|is)[A-Z][A-Za-z0-9_$]*")
# Flowable's variable functions (its VariableContainerFunctions): ``variables:equals(name, 1)``,
# also written ``vars:`` or ``var:``; the first argument names the variable, quoted or not.
_VAR_FUNCTION_RE = re.compile(r"(?:variables|vars|var):([A-Za-z][A-Za-z0-9]*)(?=\s*\()")
# function (and its aliases) -> (canonical name, fewest further arguments, most; None: any number)
VAR_FUNCTIONS: dict[str, tuple[str, int, int | None]] = {}
for _names, _least, _most in (
        (("get",), 0, 0), (("getOrDefault",), 1, 1), (("exists",), 0, 0), (("isEmpty", "empty"), 0, 0),
        (("isNotEmpty", "notEmpty"), 0, 0), (("equals", "eq"), 1, 1), (("notEquals", "ne"), 1, 1),
        (("contains",), 1, None), (("containsAny",), 1, None), (("lowerThan", "lessThan", "lt"), 1, 1),
        (("lowerThanOrEquals", "lessThanOrEquals", "lte"), 1, 1), (("greaterThan", "gt"), 1, 1),
        (("greaterThanOrEquals", "gte"), 1, 1), (("base64",), 0, 0)):
    for _name in _names:
        VAR_FUNCTIONS[_name] = (_names[0], _least, _most)
# A parsed expression: a tuple tree whose first item is the node kind, e.g. ("name", "a"),
# ("lit", 1), ("bin", "+", left, right), ("attr", base, "b"), ("cond", test, then, else).
Node = tuple[Any, ...]


def tokenize(text: str, pos: int) -> tuple[list[tuple[str, object, int]], int]:
    """Tokens of the expression starting at ``pos`` up to its closing '}' (exclusive)."""
    tokens: list[tuple[str, object, int]] = []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            raise JuelError(f"unterminated expression (missing '}}') in {text!r}")
        ch = text[pos]
        if ch == "}":
            return tokens, pos + 1
        prev_is_operand = bool(tokens) and (tokens[-1][0] in ("num", "str", "name")
                                            or tokens[-1][1] in (")", "]"))
        number = _NUMBER_RE.match(text, pos)
        if number and not (ch == "." and prev_is_operand):
            raw = number.group()
            value: object = float(raw) if any(c in raw for c in ".eE") else int(raw)
            if value in (float("inf"), float("-inf")):
                raise JuelError(f"number literal {raw!r} is out of range in {text!r}")
            tokens.append(("num", value, pos))
            pos = number.end()
        elif function := _VAR_FUNCTION_RE.match(text, pos):   # before names: var:gt is no 'var', ':', '>'
            tokens.append(("vfn", function.group(1), pos))
            pos = function.end()
        elif ch in "'\"":
            value, end = _string_literal(text, pos)
            tokens.append(("str", value, pos))
            pos = end
        elif name := _NAME_RE.match(text, pos):
            word = name.group()
            tokens.append(("op", _WORD_OPS[word], pos) if word in _WORD_OPS else ("name", word, pos))
            pos += len(word)
        else:
            symbol = next((s for s in _SYMBOLS if text.startswith(s, pos)), None)
            if symbol is None:
                raise JuelError(f"unexpected character {ch!r} at position {pos} in {text!r}")
            if symbol in _REFUSED_SYMBOLS:
                raise JuelError(f"{_REFUSED_SYMBOLS[symbol]} (at position {pos} in {text!r})")
            tokens.append(("op", symbol, pos))
            pos += len(symbol)


def _string_literal(text: str, pos: int) -> tuple[str, int]:
    """Decode a JUEL string literal; only backslash-escaped quotes and backslashes exist."""
    quote, i = text[pos], pos + 1
    out: list[str] = []
    while i < len(text):
        ch = text[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch == "\\":
            nxt = text[i + 1:i + 2]
            if nxt not in ("\\", "'", '"'):
                raise JuelError(f"invalid escape sequence '\\{nxt}' in string literal in {text!r} "
                                "(JUEL only knows \\\\, \\' and \\\")")
            out.append(nxt)
            i += 2
        else:
            out.append(ch)
            i += 1
    raise JuelError(f"unterminated string literal at position {pos} in {text!r}")


class Parser:
    """Recursive descent over JUEL precedence levels; produces tuple-based trees."""

    def __init__(self, tokens: list[tuple[str, object, int]], source: str) -> None:
        self.tokens, self.source, self.i = tokens, source, 0

    def fail(self, message: str) -> JuelError:
        return JuelError(f"{message} in {self.source!r}")

    def peek(self, *ops: str) -> bool:
        return self.i < len(self.tokens) and self.tokens[self.i][0] == "op" and self.tokens[self.i][1] in ops

    def take(self) -> tuple[str, object, int]:
        if self.i >= len(self.tokens):
            raise self.fail("unexpected end of expression")
        self.i += 1
        return self.tokens[self.i - 1]

    def expect(self, op: str) -> None:
        if not self.peek(op):
            found = self.tokens[self.i][1] if self.i < len(self.tokens) else "end of expression"
            raise self.fail(f"expected {op!r} but found {found!r}")
        self.i += 1

    def parse(self) -> Node:
        if not self.tokens:
            raise self.fail("empty expression")
        tree = self.ternary()
        if self.i < len(self.tokens):
            raise self.fail(f"unexpected {self.tokens[self.i][1]!r} at position {self.tokens[self.i][2]}")
        return tree

    def ternary(self) -> Node:
        cond = self.binary(0)
        if not self.peek("?"):
            return cond
        self.take()
        then = self.ternary()
        self.expect(":")
        return ("cond", cond, then, self.ternary())

    _LEVELS = (("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%"))

    def binary(self, level: int) -> Node:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek(*self._LEVELS[level]) or (level == 3 and self._at_name("instanceof")):
            if self._at_name("instanceof"):
                raise self.fail("the 'instanceof' operator is not supported")
            op = self.take()[1]
            left = ("bin", op, left, self.binary(level + 1))
        return left

    def _at_name(self, word: str) -> bool:
        return self.i < len(self.tokens) and self.tokens[self.i][:2] == ("name", word)

    def unary(self) -> Node:
        if self.peek("!", "-"):
            return ("un", self.take()[1], self.unary())
        if self._at_name("empty"):
            self.take()
            return ("empty", self.unary())
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            if self.peek("."):
                self.take()
                kind, name, pos = self.take()
                word = _NAME_RE.match(self.source, pos)
                if kind == "name":
                    node = ("attr", node, name)
                elif word and word.group() in _WORD_OPS:  # a.and, a.div, ...: a word operator as property name
                    node = ("attr", node, word.group())
                else:
                    raise self.fail(f"expected a property name after '.', found {name!r}")
            elif self.peek("["):
                self.take()
                index = self.ternary()
                self.expect("]")
                node = ("index", node, index)
            elif self.peek("("):
                node = self.call(node)
            else:
                return node

    def call(self, node: Node) -> Node:
        """``a.b(...)``: a method of a value or context object; ``f(...)``: an engine function
        (beans declared in camunda-mapping.json were rewritten into those before parsing)."""
        # A bean's answer stands in for the Java object a Camunda bean returns, read through its
        # getters (DigiWF: ${user.get(id).getSurname()}): getX()/isX() without arguments on a value
        # that comes from a bean call becomes ("getter", base, name), the evaluator's juel_getter,
        # as the JavaScript side reads a bean's answer (engine.runtime.javascript).
        if node[0] == "attr" and GETTER_RE.fullmatch(node[2]) and _from_bean(node[1]) \
                and self.tokens[self.i + 1:self.i + 2] and self.tokens[self.i + 1][:2] == ("op", ")"):
            self.take()
            self.take()
            return ("getter", node[1], node[2])
        # setStatus is a method of the context object 'process' only (engine/runtime/milestones.py)
        if node[0] == "attr" and (node[2] not in ALL_METHODS
                                  or (node[2] == "setStatus" and node[1] != ("name", "process"))):
            target = _describe(node[1])
            raise self.fail(f"method call '{_describe(node)}(...)' is not supported: '{node[2]}' is no method of "
                            "text, lists, maps, numbers, execution, task or process; if '" + target + "' is a bean, "
                            f"declare \"{target}.{node[2]}\" under \"beans\" in camunda-mapping.json as an engine "
                            "function or a connector operation")
        if node[0] not in ("attr", "name"):
            raise self.fail(f"'{_describe(node)}' cannot be called")
        self.take()
        args: list[Node] = []
        while not self.peek(")"):
            if args:
                self.expect(",")
            args.append(self.ternary())
        self.take()
        return ("call", node[1], node[2], args) if node[0] == "attr" else ("fcall", node[1], args)

    def primary(self) -> Node:
        kind, value, pos = self.take()
        if kind in ("num", "str"):
            return ("lit", value)
        if kind == "vfn":
            return self.variable_function(str(value))
        if kind == "name" and isinstance(value, str):  # a name token's value is always its word
            if value in ("true", "false", "null"):
                return ("lit", {"true": True, "false": False, "null": None}[value])
            if value in _CONTEXT_OBJECTS:
                raise self.fail(f"the Camunda context object '{value}' is not available; use 'execution' "
                                "(execution.getVariable('x')) or refer to process variables by name")
            if value in ("empty", "instanceof"):
                raise self.fail(f"misplaced keyword {value!r}")
            if "$" in value or keyword.iskeyword(value):
                raise self.fail(f"variable name {value!r} cannot be used in a Python expression")
            return ("name", value)
        if value == "(":
            inner = self.ternary()
            self.expect(")")
            return inner
        if value == "[":
            raise self.fail("list literals ('[...]') are not supported")
        raise self.fail(f"unexpected {value!r} at position {pos}")


    def variable_function(self, written: str) -> Node:
        """Flowable's ``variables:fn(name, ...)``: ("fvar", canonical function, variable name, args)."""
        found = VAR_FUNCTIONS.get(written)
        if found is None:
            raise self.fail(f"'variables:{written}' is not one of Flowable's variable functions "
                            f"({', '.join(sorted(VAR_FUNCTIONS))})")
        function, least, most = found
        self.expect("(")
        kind, name, _pos = self.take()
        if kind not in ("name", "str") or not isinstance(name, str) or not name or "$" in name:
            raise self.fail(f"the first argument of 'variables:{written}' must name a variable (as a name or a text)")
        args: list[Node] = []
        while self.peek(","):
            self.take()
            args.append(self.ternary())
        self.expect(")")
        if len(args) < least or (most is not None and len(args) > most):
            wanted = f"{least}" if least == most else f"at least {least}"
            raise self.fail(f"'variables:{written}' takes the variable's name and {wanted} more argument(s)")
        return ("fvar", function, name, args)


def _from_bean(node: Node) -> bool:
    """True when ``node`` is a bean call's answer or a part of it (a property, an element, a
    getter's or method's value)."""
    while node[0] in ("attr", "index", "call", "getter"):
        node = node[1]
    return node[0] == "fcall" and bool(node[1] == BEAN_FUNCTION)


def _describe(node: Node) -> str:
    if node[0] == "attr":
        return f"{_describe(node[1])}.{node[2]}"
    if node[0] in ("call", "getter"):
        return f"{_describe(node[1])}.{node[2]}(...)"
    return str(node[1]) if node[0] == "name" else "<expression>"
