"""Java method names on plain values, for translated JUEL (``${name.toUpperCase()}``), and
the read side of Camunda Spin's JSON API (``${customer.prop("age").numberValue()}``).

Camunda models call the methods of ``java.lang.String``, ``java.util.Collection``/``List``
and ``java.util.Map`` on process variables. The safe evaluator keeps values as Python
str/list/dict; this module maps the common Java methods onto them, one small function
per method, each taking the value and the call's arguments. Only names listed here are
callable (besides the Python methods of :mod:`._safe_policy`); a name both languages
know (``replace``, ``split``, ``get``, ``values``) keeps its Python meaning. Regular
expressions (``matches``, ``replaceAll``) are not offered: patterns from uploaded models
could run for ever.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from engine.runtime._safe_errors import Refused

_Method = Callable[..., Any]


def _need(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, kind):
        raise Refused(f"{what} needs {getattr(kind, '__name__', 'a number')}, not {type(value).__name__}")
    return value


def java_text(value: Any) -> str:
    """``String.valueOf``: true/false, null, numbers and text as Java prints them."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return "[" + ", ".join(java_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_text(k)}={java_text(v)}" for k, v in value.items()) + "}"
    raise Refused(f"a {type(value).__name__} value cannot be converted to text")


def _substring(s: str, begin: int, end: int | None = None) -> str:
    _need(begin, int, "substring()")
    stop = len(s) if end is None else _need(end, int, "substring()")
    if begin < 0 or stop > len(s) or begin > stop:
        raise Refused(f"substring({begin}, {stop}) is out of range for a text of length {len(s)}")
    return s[begin:stop]


def _char_at(s: str, index: int) -> str:
    if not 0 <= _need(index, int, "charAt()") < len(s):
        raise Refused(f"charAt({index}) is out of range for a text of length {len(s)}")
    return s[index]


def _index_of(value: Any, item: Any, start: int = 0) -> int:
    if isinstance(value, str):
        return value.find(_need(item, str, "indexOf()"), _need(start, int, "indexOf()"))
    return next((i for i, v in enumerate(value) if v == item), -1)


def _last_index_of(value: Any, item: Any) -> int:
    if isinstance(value, str):
        return value.rfind(_need(item, str, "lastIndexOf()"))
    return next((i for i in range(len(value) - 1, -1, -1) if value[i] == item), -1)


def _contains(value: Any, item: Any) -> bool:
    if isinstance(value, str):
        return _need(item, str, "contains()") in value
    return item in value


def _compare(a: Any, b: Any) -> int:
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    _need(a, (int, float, Decimal), "compareTo()")
    _need(b, (int, float, Decimal), "compareTo()")
    return int(a > b) - int(a < b)


def _list_get(value: Any, index: int) -> Any:
    if not 0 <= _need(index, int, "get()") < len(value):
        raise Refused(f"get({index}) is out of range for a list of size {len(value)}")
    return value[index]


def _equals(a: Any, b: Any) -> bool:
    """Java's equals(): same type and equal (Integer 1 does not equal Double 1.0)."""
    return type(a) is type(b) and bool(a == b)


_COMMON: dict[str, _Method] = {"equals": _equals, "toString": java_text}
_SIZED: dict[str, _Method] = {"size": len, "isEmpty": lambda v: len(v) == 0}

_STRING: dict[str, _Method] = {
    **_COMMON, **_SIZED, "length": len, "contains": _contains,
    "toUpperCase": lambda s: s.upper(), "toLowerCase": lambda s: s.lower(),
    "trim": lambda s: s.strip(" \t\n\r\x0b\x0c\x00"), "isBlank": lambda s: not s.strip(),
    "substring": _substring, "charAt": _char_at, "indexOf": _index_of, "lastIndexOf": _last_index_of,
    "startsWith": lambda s, p, i=0: s.startswith(_need(p, str, "startsWith()"), _need(i, int, "startsWith()")),
    "endsWith": lambda s, p: s.endswith(_need(p, str, "endsWith()")),
    "equalsIgnoreCase": lambda s, o: isinstance(o, str) and s.casefold() == o.casefold(),
    "concat": lambda s, o: s + _need(o, str, "concat()"),
    "compareTo": _compare, "compareToIgnoreCase": lambda s, o: _compare(s.casefold(), _need(o, str, "compareToIgnoreCase()").casefold()),
}
_LIST: dict[str, _Method] = {
    **_COMMON, **_SIZED, "contains": _contains, "get": _list_get, "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "containsAll": lambda v, other: all(x in v for x in _need(other, (list, tuple, set, frozenset), "containsAll()")),
}
_SET: dict[str, _Method] = {**_COMMON, **_SIZED, "contains": _contains}
_MAP: dict[str, _Method] = {
    **_COMMON, **_SIZED, "containsKey": lambda m, k: k in m, "containsValue": lambda m, v: v in m.values(),
    "getOrDefault": lambda m, k, d: m.get(k, d), "keySet": lambda m: list(m),
}
_NUMBER: dict[str, _Method] = {
    **_COMMON, "intValue": lambda n: int(n), "longValue": lambda n: int(n), "doubleValue": lambda n: float(n),
    "floatValue": lambda n: float(n), "compareTo": _compare,
}
_BOOLEAN: dict[str, _Method] = {**_COMMON, "booleanValue": lambda b: b}

def _prop(value: dict[Any, Any], name: Any) -> Any:
    if name not in value:
        raise Refused(f"JSON property {name!r} not found (prop() of Camunda Spin)")
    return value[name]


def _same(value: Any) -> Any:
    return value


# Camunda Spin's JSON API on JSON values (a JSON variable is plain data here):
# ${customer.prop("age").numberValue() >= 21}, ${order.prop("items").elements().size()}
_SPIN_NODE = {"isObject": lambda v: isinstance(v, dict), "isArray": lambda v: isinstance(v, list),
              "isString": lambda v: isinstance(v, str), "isBoolean": lambda v: isinstance(v, bool),
              "isNumber": lambda v: isinstance(v, (int, float, Decimal)) and not isinstance(v, bool),
              "isValue": lambda v: not isinstance(v, (dict, list))}
_MAP.update({"prop": _prop, "hasProp": lambda m, k: k in m, "fieldNames": lambda m: list(m), **_SPIN_NODE})
_LIST.update({"elements": lambda v: list(v), **_SPIN_NODE})
_STRING.update({"stringValue": _same, "value": _same, **_SPIN_NODE})
_NUMBER.update({"numberValue": _same, "value": _same, **_SPIN_NODE})
_BOOLEAN.update({"boolValue": _same, "value": _same, **_SPIN_NODE})

JAVA_METHODS: dict[type, dict[str, _Method]] = {
    bool: _BOOLEAN, str: _STRING, list: _LIST, tuple: _LIST, set: _SET, frozenset: _SET, dict: _MAP,
    int: _NUMBER, float: _NUMBER, Decimal: _NUMBER}
JAVA_NAMES = frozenset().union(*JAVA_METHODS.values())


def java_method(value: Any, name: str) -> _Method | None:
    """The implementation of Java method ``name`` on ``value`` (by its exact type), or None."""
    table = JAVA_METHODS.get(type(value))
    return table.get(name) if table is not None else None
