"""Translate Camunda Forms files (``.form`` JSON with a ``components`` list, as written
by the Camunda Modeler) into JSON Schema plus a UI schema.

Part of :mod:`engine.runtime.camunda_forms`, which describes the translation and
re-exports :func:`camunda_form_to_schema`; the schema builder and value checks are in
:mod:`engine.runtime.camunda_form_schema`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from engine.runtime.camunda_form_schema import (
    FormTranslationError, form_boolean, SchemaBuilder, form_count, form_iso_date, form_number)

_DISPLAY_ONLY = {"text", "html", "image", "spacer", "separator", "button", "iframe", "table",
                 "documentPreview"}
_INPUTS = {"textfield", "textarea", "number", "checkbox", "select", "radio", "datetime",
           "checklist", "taglist"}
_TEXT, _CHOICE, _MULTI = {"textfield", "textarea"}, {"select", "radio"}, {"checklist", "taglist"}
_VALIDATE_APPLIES = {"required": _INPUTS, "min": {"number"}, "max": {"number"}, "minLength": _TEXT,
                     "maxLength": _TEXT, "pattern": _TEXT, "validationType": _TEXT}


def camunda_form_to_schema(form_json: str | dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Camunda Forms (.form JSON, components list) -> (JSON Schema, UI schema)."""
    form = form_json
    if isinstance(form_json, (str, bytes)):
        try:
            form = json.loads(form_json)
        except ValueError as exc:
            raise FormTranslationError(f"the form is not valid JSON: {exc}") from None
    if not isinstance(form, dict) or not isinstance(form.get("components"), list):
        raise FormTranslationError("a Camunda form must be a JSON object with a 'components' list")
    builder = SchemaBuilder()
    _walk(form["components"], builder)
    return builder.result()


def _walk(components: list[Any], builder: SchemaBuilder) -> None:
    for comp in components:
        if not isinstance(comp, dict):
            raise FormTranslationError(f"a form component must be an object, got {comp!r}")
        ctype = comp.get("type")
        if ctype in _DISPLAY_ONLY:
            continue
        if ctype == "group":
            if comp.get("path"):
                raise FormTranslationError(f"group {comp.get('label', comp.get('id'))!r}: groups with a data "
                                           f"path ({comp['path']!r}) are not supported")
            _refuse_conditional(comp)
            _walk(comp.get("components") or [], builder)
        elif ctype in _INPUTS:
            builder.add(comp.get("key"), *_component(comp, ctype))
        else:
            raise FormTranslationError(f"form component type {ctype!r} (key {comp.get('key')!r}) is not supported")


def _refuse_conditional(comp: dict[str, Any]) -> None:
    if comp.get("conditional"):
        raise FormTranslationError(f"component {comp.get('key') or comp.get('id')!r}: conditional visibility "
                                   "(FEEL 'hide' expressions) is not supported")


def _component(comp: dict[str, Any], ctype: str) -> tuple[dict[str, Any], dict[str, Any], bool]:
    key = comp.get("key")
    what = f"component {key!r}"
    if isinstance(key, str) and "." in key:
        raise FormTranslationError(f"{what}: nested keys (paths with '.') are not supported")
    _refuse_conditional(comp)
    validate = comp.get("validate") or {}
    if not isinstance(validate, dict):
        raise FormTranslationError(f"{what}: 'validate' must be an object")
    feel_capable = [(n, comp.get(n)) for n in ("label", "dateLabel", "description", "readonly", "disabled")]
    for name, value in [*feel_capable, *validate.items()]:
        if isinstance(value, str) and value.startswith("=") and name != "pattern":
            raise FormTranslationError(f"{what}: FEEL expression {value!r} in {name!r} is not supported")
    schema, ui = _component_schema(comp, ctype, what)
    required = _component_validation(schema, validate, ctype, what)
    if required and ctype == "checkbox":
        schema["const"] = True  # Camunda Forms treat an unticked required checkbox as missing
    if required and ctype in _MULTI:
        schema["minItems"] = 1
    if comp.get("defaultValue") not in (None, ""):
        schema["default"] = _component_default(comp["defaultValue"], ctype, schema, what)
    return schema, ui, required


def _component_schema(comp: dict[str, Any], ctype: str, what: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Schema and UI schema of an input component from its type, label and options."""
    schema: dict[str, Any] = {}
    ui: dict[str, Any] = {}
    label = comp.get("label") or comp.get("dateLabel")
    if label:
        schema["title"] = str(label)
    if comp.get("description"):
        schema["description"] = str(comp["description"])
    if ctype in _TEXT:
        schema["type"] = "string"
        if ctype == "textarea":
            ui["ui:widget"] = "textarea"
    elif ctype == "number":
        if comp.get("serializeToString"):
            raise FormTranslationError(f"{what}: numbers serialized as strings are not supported")
        schema["type"] = "integer" if comp.get("decimalDigits") == 0 else "number"
    elif ctype == "checkbox":
        schema["type"] = "boolean"
    elif ctype == "datetime":
        if (comp.get("subtype") or "date") != "date":
            raise FormTranslationError(f"{what}: datetime subtype {comp.get('subtype')!r} is not supported "
                                       "(only 'date')")
        schema.update(type="string", format="date")
        ui["ui:widget"] = "date"
    else:  # select, radio, checklist, taglist
        choices, names = _choices(comp, what)
        typed = {"type": "string"} if all(isinstance(c, str) for c in choices) else {}
        if ctype in _CHOICE:
            schema.update(typed, enum=choices)
        else:
            schema.update(type="array", items={**typed, "enum": choices}, uniqueItems=True)
        ui["ui:enumNames"] = names
        ui.update({"radio": {"ui:widget": "radio"}, "checklist": {"ui:widget": "checkboxes"}}.get(ctype, {}))
    if comp.get("readonly") is True or comp.get("disabled") is True:
        schema["readOnly"] = True
    return schema, ui


def _component_validation(schema: dict[str, Any], validate: dict[str, Any], ctype: str, what: str) -> bool:
    """Apply a component's ``validate`` settings to ``schema``; True if it is required."""
    required = False
    for name, value in validate.items():
        if value is None or value == "" or value is False:
            continue
        if name not in _VALIDATE_APPLIES:
            raise FormTranslationError(f"{what}: validation {name!r} is not supported")
        if ctype not in _VALIDATE_APPLIES[name]:
            raise FormTranslationError(f"{what}: validation {name!r} does not apply to a {ctype!r} field")
        if name == "required":
            required = form_boolean(value, f"{what}, validate.required")
        elif name in ("min", "max"):
            schema["minimum" if name == "min" else "maximum"] = form_number(value, f"{what}, validate.{name}")
        elif name in ("minLength", "maxLength"):
            schema[name] = form_count(value, f"{what}, validate.{name}")
        elif name == "pattern":
            try:
                re.compile(str(value))
            except re.error as exc:
                raise FormTranslationError(f"{what}: invalid pattern {value!r}: {exc}") from None
            schema["pattern"] = str(value)
        elif value == "email":
            schema["format"] = "email"
        elif value != "custom":  # 'custom' just means: use the pattern
            raise FormTranslationError(f"{what}: validationType {value!r} is not supported")
    return required


def _choices(comp: dict[str, Any], what: str) -> tuple[list[Any], list[str]]:
    for dynamic in ("valuesKey", "valuesExpression"):
        if comp.get(dynamic):
            raise FormTranslationError(f"{what}: dynamic options ({dynamic}) are not supported")
    values = comp.get("values")
    if not isinstance(values, list) or not values:
        raise FormTranslationError(f"{what}: a choice field needs a non-empty static 'values' list")
    if not all(isinstance(v, dict) and "value" in v for v in values):
        raise FormTranslationError(f"{what}: every entry of 'values' needs a 'value'")
    choices = [v["value"] for v in values]
    if len({json.dumps(c) for c in choices}) != len(choices):
        raise FormTranslationError(f"{what}: duplicate option values {choices}")
    return choices, [str(v.get("label", v["value"])) for v in values]


def _component_default(value: Any, ctype: str, schema: dict[str, Any], what: str) -> Any:
    what = f"{what}, defaultValue"
    if ctype in _TEXT:
        return str(value)
    if ctype == "number":
        number = form_number(value, what)
        if schema["type"] == "integer" and number != int(number):
            raise FormTranslationError(f"{what}: expected a whole number, got {value!r}")
        return int(number) if schema["type"] == "integer" else number
    if ctype == "checkbox":
        return form_boolean(value, what)
    if ctype == "datetime":
        return form_iso_date(value, what)
    allowed = schema["enum"] if ctype in _CHOICE else schema["items"]["enum"]
    chosen = [value] if ctype in _CHOICE else value
    if not isinstance(chosen, list) or any(item not in allowed for item in chosen):
        raise FormTranslationError(f"{what}: {value!r} is not among the options {allowed}")
    return value
