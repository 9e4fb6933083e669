"""Building blocks shared by both Camunda 7 form translations in
:mod:`engine.runtime.camunda_forms`: the :class:`FormTranslationError`, the builder
that assembles the closed JSON Schema (draft 2020-12) and the UI schema, and the
checked conversion of configured numbers, booleans and dates.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class FormTranslationError(ValueError):
    """A form uses something that has no faithful JSON Schema translation."""


class SchemaBuilder:
    """Collects properties in order and assembles the (schema, ui schema) pair."""

    def __init__(self) -> None:
        self.properties: dict[str, dict[str, Any]] = {}
        self.required: list[str] = []
        self.ui: dict[str, Any] = {}

    def add(self, name: Any, schema: dict[str, Any], ui: dict[str, Any], required: bool) -> None:
        if not isinstance(name, str) or not name.strip():
            raise FormTranslationError(f"every input field needs a non-empty id/key, got {name!r}")
        if name in self.properties:
            raise FormTranslationError(f"field {name!r} is defined twice")
        if required:
            self.required.append(name)
            if schema.get("type") == "string" and not schema.get("minLength"):
                schema["minLength"] = 1  # an empty text box does not satisfy 'required'
        self.properties[name] = schema
        if ui:
            self.ui[name] = ui

    def result(self) -> tuple[dict[str, Any], dict[str, Any]]:
        schema: dict[str, Any] = {"$schema": SCHEMA_DIALECT, "type": "object",
                                  "properties": self.properties, "additionalProperties": False}
        if self.required:
            schema["required"] = self.required
        return schema, {"ui:order": list(self.properties), **self.ui}


def form_number(value: Any, what: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise FormTranslationError(f"{what}: expected a number, got {value!r}")
    number: int | float
    if isinstance(value, str):
        try:
            number = int(value.strip()) if re.fullmatch(r"\s*[+-]?\d+\s*", value) else float(value)
        except ValueError:
            raise FormTranslationError(f"{what}: expected a number, got {value!r}") from None
    else:
        number = value
    if number != number or number in (float("inf"), float("-inf")):
        raise FormTranslationError(f"{what}: expected a finite number, got {number!r}")
    return number


def form_count(value: Any, what: str) -> int:
    number = form_number(value, what)
    if number != int(number) or number < 0:
        raise FormTranslationError(f"{what}: expected a non-negative whole number, got {value!r}")
    return int(number)


def form_boolean(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise FormTranslationError(f"{what}: expected true or false, got {value!r}")


def form_iso_date(value: Any, what: str, *, camunda_pattern: bool = False) -> str:
    """An ISO date string; Camunda 7 writes dates as dd/MM/yyyy, which is converted."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if camunda_pattern and "/" in text:
                return datetime.strptime(text, "%d/%m/%Y").date().isoformat()
            return date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    expected = "dd/MM/yyyy or yyyy-mm-dd" if camunda_pattern else "yyyy-mm-dd"
    raise FormTranslationError(f"{what}: expected a date ({expected}), got {value!r}")
