"""Camunda's typed variables <-> our JSON case data.

Out: ``{"name": {"type": "String", "value": "x", "valueInfo": {}}}``; objects and lists are
``Json`` (the value serialised as text, as Camunda sends Spin JSON). In: the types Camunda
clients send (case-insensitive: String, Integer, Long, Short, Double, Boolean, Null, Json,
Object in application/json, Date), or no type (the JSON value as it is). Bytes and File
variables are refused: case data is JSON, documents travel through the document API.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from webui.engine_rest.base import RestError

INT_MAX = 2**31 - 1


def camunda_date(value: datetime | None) -> str | None:
    """Camunda's date format: 2026-12-02T16:30:00.000+0000."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}" + value.strftime("%z")


def typed(value: Any) -> dict[str, Any]:
    if value is None:
        return {"type": "Null", "value": None, "valueInfo": {}}
    if isinstance(value, bool):
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if isinstance(value, int):
        return {"type": "Integer" if -INT_MAX - 1 <= value <= INT_MAX else "Long", "value": value, "valueInfo": {}}
    if isinstance(value, float):
        return {"type": "Double", "value": value, "valueInfo": {}}
    if isinstance(value, str):
        return {"type": "String", "value": value, "valueInfo": {}}
    return {"type": "Json", "value": json.dumps(value, ensure_ascii=False), "valueInfo": {}}


def typed_all(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: typed(value) for name, value in data.items()}


def _number(name: str, value: Any, kind: str) -> Any:
    if isinstance(value, bool):
        raise RestError(400, f"Cannot convert value '{value}' of type '{kind}' for variable '{name}'")
    try:
        number = float(value) if kind == "double" else int(value)
    except (TypeError, ValueError):
        raise RestError(400, f"Cannot convert value '{value}' of type '{kind}' for variable '{name}'") from None
    if kind == "double" and number != number:   # NaN
        raise RestError(400, f"Variable '{name}': NaN is not a number")
    return number


def _json_text(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raise RestError(400, f"Variable '{name}': the value is not valid JSON") from None


def untyped(name: str, entry: Any) -> Any:
    """One typed variable from a client -> a JSON value."""
    if not isinstance(entry, dict):
        raise RestError(400, f"Variable '{name}' must be an object with 'value' and 'type'")
    value, kind = entry.get("value"), str(entry.get("type") or "").lower()
    if kind == "" or (kind != "null" and value is None):
        return value
    if kind == "string":
        return value if isinstance(value, str) else str(value)
    if kind in ("integer", "long", "short", "double"):
        return _number(name, value, kind)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise RestError(400, f"Cannot convert value '{value}' of type 'Boolean' for variable '{name}'")
    if kind == "null":
        return None
    if kind == "json":
        return _json_text(name, value)
    if kind == "object":
        info = entry.get("valueInfo") or {}
        if isinstance(info, dict) and info.get("serializationDataFormat") in ("application/json", None):
            return _json_text(name, value)
        raise RestError(400, f"Variable '{name}': only objects serialised as application/json are supported")
    if kind == "date":
        return str(value)
    raise RestError(400, f"Variable '{name}': unsupported value type '{entry.get('type')}' (case data is JSON; "
                         "send documents through the document API)")


def untyped_all(variables: Any, field: str = "variables") -> dict[str, Any]:
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise RestError(400, f"'{field}' must be an object of typed variables")
    return {str(name): untyped(str(name), entry) for name, entry in variables.items()}


__all__ = ["camunda_date", "typed", "typed_all", "untyped", "untyped_all"]
