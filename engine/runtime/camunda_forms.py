"""Translate Camunda 7 forms into JSON Schema (draft 2020-12) plus a UI schema.

Two sources are supported:

* generated task forms (``camunda:formField`` elements, already extracted from the XML
  into dicts by the caller) -> :func:`form_fields_to_schema`;
* Camunda Forms files (``.form`` JSON with a ``components`` list) -> :func:`camunda_form_to_schema`.

The JSON Schema is what submitted data is validated against, so it is closed
(``additionalProperties: false``): a form must not become a way to set arbitrary
process variables.  The UI schema carries presentation only: ``ui:order`` (field order)
and, per field, ``ui:widget`` and ``ui:enumNames`` (labels of enum values).
Whatever cannot be expressed faithfully (custom types and validators, FEEL expressions,
conditional visibility, dynamic option lists) raises :class:`FormTranslationError`.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

__all__ = ["FormTranslationError", "form_fields_to_schema", "camunda_form_to_schema"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class FormTranslationError(ValueError):
    """A form uses something that has no faithful JSON Schema translation."""


class _Builder:
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


def _number(value: Any, what: str) -> int | float:
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


def _count(value: Any, what: str) -> int:
    number = _number(value, what)
    if number != int(number) or number < 0:
        raise FormTranslationError(f"{what}: expected a non-negative whole number, got {value!r}")
    return int(number)


def _boolean(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise FormTranslationError(f"{what}: expected true or false, got {value!r}")


def _iso_date(value: Any, what: str, *, camunda_pattern: bool = False) -> str:
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


# --- camunda:formField -----------------------------------------------------------------

# 'textarea' is not a Camunda 7 built-in, but the SpiffWorkflow Camunda dialect uses it.
_FIELD_TYPES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "string": ({"type": "string"}, {}),
    "long": ({"type": "integer"}, {}),
    "boolean": ({"type": "boolean"}, {}),
    "date": ({"type": "string", "format": "date"}, {"ui:widget": "date"}),
    "enum": ({"type": "string"}, {}),
    "textarea": ({"type": "string"}, {"ui:widget": "textarea"}),
}


def form_fields_to_schema(fields: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """camunda:formField list -> (JSON Schema draft 2020-12, UI schema)."""
    if not isinstance(fields, list):
        raise FormTranslationError(f"expected a list of form fields, got {type(fields).__name__}")
    builder = _Builder()
    for field in fields:
        if not isinstance(field, dict):
            raise FormTranslationError(f"a form field must be a dict, got {field!r}")
        builder.add(field.get("id"), *_form_field(field))
    return builder.result()


def _form_field(field: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], bool]:
    fid = field.get("id")
    ftype = field.get("type") or "string"  # Camunda treats an untyped field as a string
    if ftype not in _FIELD_TYPES:
        raise FormTranslationError(f"field {fid!r}: custom form field type {ftype!r} is not supported "
                                   f"(supported: {', '.join(_FIELD_TYPES)})")
    base, base_ui = _FIELD_TYPES[ftype]
    schema, ui = dict(base), dict(base_ui)
    if field.get("label"):
        schema["title"] = str(field["label"])
    description = _field_property(field, "description")
    if description:
        schema["description"] = str(description)
    values = field.get("values") or []
    if ftype == "enum":
        if not values:
            raise FormTranslationError(f"enum field {fid!r} has no values")
        ids = [str(v.get("id")) for v in values]
        if len(set(ids)) != len(ids) or "None" in ids:
            raise FormTranslationError(f"enum field {fid!r} has missing or duplicate value ids: {ids}")
        schema["enum"] = ids
        ui["ui:enumNames"] = [str(v.get("name") or v.get("id")) for v in values]
    elif values:
        raise FormTranslationError(f"field {fid!r} of type {ftype!r} has enum values; only type 'enum' may")
    required = False
    for constraint in field.get("constraints") or []:
        name, config = constraint.get("name"), constraint.get("config")
        what = f"field {fid!r}, constraint {name!r}"
        if name == "required":  # like Camunda, the config of required/readonly is ignored
            required = True
        elif name == "readonly":
            schema["readOnly"] = True
        elif name in ("min", "max"):
            if schema["type"] != "integer":
                raise FormTranslationError(f"{what} only applies to numeric (long) fields, not {ftype!r}")
            schema["minimum" if name == "min" else "maximum"] = _number(config, what)
        elif name in ("minlength", "maxlength"):
            if schema["type"] != "string":
                raise FormTranslationError(f"{what} only applies to text fields, not {ftype!r}")
            schema["minLength" if name == "minlength" else "maxLength"] = _count(config, what)
        else:
            raise FormTranslationError(f"field {fid!r}: validator {name!r} is not supported (supported: "
                                       "required, readonly, min, max, minlength, maxlength)")
    default = field.get("defaultValue")
    if default not in (None, ""):
        schema["default"] = _field_default(fid, ftype, default, schema)
    return schema, ui, required


def _field_property(field: dict[str, Any], name: str) -> Any:
    """A camunda:property value; accepts ``{"id": value}`` or ``[{"id": .., "value": ..}]``."""
    props = field.get("properties") or {}
    if isinstance(props, list):
        props = {p.get("id") or p.get("name"): p.get("value") for p in props if isinstance(p, dict)}
    return props.get(name) if isinstance(props, dict) else None


def _field_default(fid: Any, ftype: str, value: Any, schema: dict[str, Any]) -> Any:
    what = f"field {fid!r}, defaultValue"
    if isinstance(value, str) and re.search(r"[$#]\{", value):
        raise FormTranslationError(f"{what}: expression defaults ({value!r}) are not supported")
    if ftype == "long":
        number = _number(value, what)
        if number != int(number):
            raise FormTranslationError(f"{what}: expected a whole number, got {value!r}")
        return int(number)
    if ftype == "boolean":
        return _boolean(value, what)
    if ftype == "date":
        return _iso_date(value, what, camunda_pattern=True)
    if ftype == "enum" and str(value) not in schema["enum"]:
        raise FormTranslationError(f"{what}: {value!r} is not one of the enum values {schema['enum']}")
    return str(value)


# --- Camunda Forms (.form) -----------------------------------------------------------------

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
    builder = _Builder()
    _walk(form["components"], builder)
    return builder.result()


def _walk(components: list[Any], builder: _Builder) -> None:
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

    required = False
    for name, value in validate.items():
        if value is None or value == "" or value is False:
            continue
        if name not in _VALIDATE_APPLIES:
            raise FormTranslationError(f"{what}: validation {name!r} is not supported")
        if ctype not in _VALIDATE_APPLIES[name]:
            raise FormTranslationError(f"{what}: validation {name!r} does not apply to a {ctype!r} field")
        if name == "required":
            required = _boolean(value, f"{what}, validate.required")
        elif name in ("min", "max"):
            schema["minimum" if name == "min" else "maximum"] = _number(value, f"{what}, validate.{name}")
        elif name in ("minLength", "maxLength"):
            schema[name] = _count(value, f"{what}, validate.{name}")
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
    if required and ctype == "checkbox":
        schema["const"] = True  # Camunda Forms treat an unticked required checkbox as missing
    if required and ctype in _MULTI:
        schema["minItems"] = 1
    if comp.get("defaultValue") not in (None, ""):
        schema["default"] = _component_default(comp["defaultValue"], ctype, schema, what)
    return schema, ui, required


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
        number = _number(value, what)
        if schema["type"] == "integer" and number != int(number):
            raise FormTranslationError(f"{what}: expected a whole number, got {value!r}")
        return int(number) if schema["type"] == "integer" else number
    if ctype == "checkbox":
        return _boolean(value, what)
    if ctype == "datetime":
        return _iso_date(value, what)
    allowed = schema["enum"] if ctype in _CHOICE else schema["items"]["enum"]
    chosen = [value] if ctype in _CHOICE else value
    if not isinstance(chosen, list) or any(item not in allowed for item in chosen):
        raise FormTranslationError(f"{what}: {value!r} is not among the options {allowed}")
    return value
