"""A quick yes for valid form data (engine.services.forms): the form's JSON Schema compiled into
plain Python checks, for the keywords forms use.

jsonschema builds a validator object per subschema it descends into; for a form of a few
fields that is most of a submission's cost, though nearly every submission is valid.
:func:`compile_form` turns a schema made only of the keywords below into one function that
answers exactly as jsonschema (Draft 2020-12 with the form formats) whether data are valid;
for data it cannot judge exactly (a float where an integer is asked, a number type JSON does
not produce, an enum of objects) it raises :class:`Unsure`. Invalid or unsure data go to
jsonschema, which finds the errors and words them: the answers and messages stay the same.
A schema with any other keyword (``$ref``, ``oneOf``, ``patternProperties``, ...) is not
compiled (None): jsonschema alone checks it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from engine.services.form_formats import FORMATS, date_bound_errors

Check = Callable[[Any], bool]

# Keywords that never decide validity (annotations)
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated",
                          "readOnly", "writeOnly"})
_KEYWORDS = frozenset({"type", "enum", "const", "minLength", "maxLength", "pattern", "format", "formatMinimum",
                       "formatMaximum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "properties",
                       "required", "additionalProperties", "items", "minItems", "maxItems", "allOf", "if", "then",
                       "else"}) | _ANNOTATIONS
_JSON_TYPES = (str, bool, int, float, type(None), dict, list)
_TYPES = frozenset({"string", "integer", "number", "boolean", "object", "array", "null"})


class Unsure(Exception):
    """The data hold a value the compiled checks do not judge exactly: ask jsonschema."""


class _NotCompiled(Exception):
    pass


def compile_form(schema: Any) -> Check | None:
    """One function: data -> valid? (exactly as jsonschema; may raise Unsure); None when the
    schema uses a keyword (or a form of one) the compiled checks do not cover."""
    try:
        return _compile(schema)
    except (_NotCompiled, re.error, TypeError, ValueError):
        return None


def _is_type(name: str, x: Any) -> bool:
    if name == "string":
        return isinstance(x, str)
    if name == "object":
        return isinstance(x, dict)
    if name == "array":
        return isinstance(x, list)
    if name == "boolean":
        return isinstance(x, bool)
    if name == "null":
        return x is None
    if isinstance(x, bool):
        return False
    if name == "integer":
        if isinstance(x, float):
            raise Unsure      # 1.0 is an integer to JSON Schema
        return isinstance(x, int)
    return isinstance(x, (int, float))     # number


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _strings_only(values: list[Any]) -> Check:
    """enum/const: jsonschema's equal() compares a string only by ==, so a string is judged
    exactly; another value is judged exactly only against strings (never equal)."""
    strings = frozenset(v for v in values if isinstance(v, str))
    only_strings = len(strings) == len(values)

    def check(x: Any) -> bool:
        if isinstance(x, str):
            return x in strings
        if only_strings:
            return False
        raise Unsure

    return check


def _size(kind: type, n: Any, at_least: bool) -> Check:
    """minLength/maxLength (strings), minItems/maxItems (arrays)."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise _NotCompiled

    def check(x: Any) -> bool:
        if not (isinstance(x, str) if kind is str else isinstance(x, list)):
            return True
        size = len(x)
        return size >= n if at_least else size <= n

    return check


def _bound(keyword: str, m: Any) -> Check:
    """minimum/maximum/exclusiveMinimum/exclusiveMaximum, as jsonschema compares (numbers only)."""
    if not _number(m):
        raise _NotCompiled

    def check(x: Any) -> bool:
        if not _number(x):
            return True
        if keyword == "minimum":
            return not x < m
        if keyword == "maximum":
            return not x > m
        if keyword == "exclusiveMinimum":
            return not x <= m
        return not x >= m

    return check


def _types(names: Any) -> Check:
    names = names if isinstance(names, list) else [names]
    if not names or not all(isinstance(n, str) and n in _TYPES for n in names):
        raise _NotCompiled
    return lambda x: any(_is_type(n, x) for n in names)


def _pattern(pattern: Any) -> Check:
    if not isinstance(pattern, str):
        raise _NotCompiled
    compiled = re.compile(pattern)      # jsonschema: re.search(pattern, instance)
    return lambda x: not isinstance(x, str) or compiled.search(x) is not None


def _format(fmt: Any) -> Check:
    return lambda x: FORMATS.conforms(x, fmt)


def _date_bound(lower: bool, bound: Any, schema: dict[str, Any]) -> Check:
    return lambda x: date_bound_errors(lower, bound, x, schema) is None


def _properties(properties: Any) -> tuple[Check, frozenset[str]]:
    if not isinstance(properties, dict):
        raise _NotCompiled
    props = tuple((name, _compile(sub)) for name, sub in properties.items())
    return (lambda x: not isinstance(x, dict) or all(c(x[name]) for name, c in props if name in x)), \
        frozenset(properties)


def _required(required: Any) -> Check:
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise _NotCompiled
    return lambda x: not isinstance(x, dict) or all(r in x for r in required)


def _additional(extra: Check, declared: frozenset[str]) -> Check:
    return lambda x: not isinstance(x, dict) or all(extra(v) for k, v in x.items() if k not in declared)


def _items(item: Check) -> Check:
    return lambda x: not isinstance(x, list) or all(item(v) for v in x)


def _all_of(parts: Any) -> Check:
    if not isinstance(parts, list) or not parts:
        raise _NotCompiled
    compiled = tuple(_compile(sub) for sub in parts)
    return lambda x: all(c(x) for c in compiled)


def _conditional(condition: Check, then: Check | None, else_: Check | None) -> Check:
    def check(x: Any) -> bool:
        if condition(x):
            return then is None or then(x)
        return else_ is None or else_(x)

    return check


def _all(checks: tuple[Check, ...]) -> Check:
    def check(x: Any) -> bool:
        if not isinstance(x, _JSON_TYPES):
            raise Unsure
        return all(c(x) for c in checks)

    return check


def _compile(schema: Any) -> Check:
    if schema is True or schema is False:
        return (lambda x: True) if schema else (lambda x: False)
    if not isinstance(schema, dict) or not schema.keys() <= _KEYWORDS:
        raise _NotCompiled
    s = schema
    checks: list[Check] = []
    if "type" in s:
        checks.append(_types(s["type"]))
    if "enum" in s:
        if not isinstance(s["enum"], list):
            raise _NotCompiled
        checks.append(_strings_only(s["enum"]))
    if "const" in s:
        checks.append(_strings_only([s["const"]]))
    for keyword, kind, at_least in (("minLength", str, True), ("maxLength", str, False),
                                    ("minItems", list, True), ("maxItems", list, False)):
        if keyword in s:
            checks.append(_size(kind, s[keyword], at_least))
    if "pattern" in s:
        checks.append(_pattern(s["pattern"]))
    if "format" in s:
        checks.append(_format(s["format"]))
    for keyword, lower in (("formatMinimum", True), ("formatMaximum", False)):
        if keyword in s:
            checks.append(_date_bound(lower, s[keyword], s))
    for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if keyword in s:
            checks.append(_bound(keyword, s[keyword]))
    declared: frozenset[str] = frozenset()
    if "properties" in s:
        check, declared = _properties(s["properties"])
        checks.append(check)
    if "required" in s:
        checks.append(_required(s["required"]))
    if "additionalProperties" in s:
        checks.append(_additional(_compile(s["additionalProperties"]), declared))
    if "items" in s:
        checks.append(_items(_compile(s["items"])))
    if "allOf" in s:
        checks.append(_all_of(s["allOf"]))
    if "if" in s:
        checks.append(_conditional(_compile(s["if"]), _compile(s["then"]) if "then" in s else None,
                                   _compile(s["else"]) if "else" in s else None))
    else:   # "then"/"else" without "if" do nothing, as in jsonschema (compiled: only covered keywords)
        _compile(s.get("then", True))
        _compile(s.get("else", True))
    return _all(tuple(checks))


__all__ = ["Check", "Unsure", "compile_form"]
