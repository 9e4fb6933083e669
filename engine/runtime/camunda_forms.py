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

This module translates ``camunda:formField`` lists; Camunda Forms files are handled by
:mod:`engine.runtime.camunda_form_files` and the shared schema builder and value checks
live in :mod:`engine.runtime.camunda_form_schema`. All public names are importable from here.
"""

from __future__ import annotations

import re
from typing import Any

from engine.runtime.camunda_form_files import camunda_form_to_schema
from engine.runtime.camunda_form_schema import (
    SCHEMA_DIALECT, FormTranslationError, form_boolean, SchemaBuilder, form_count, form_iso_date, form_number)

__all__ = ["FormTranslationError", "form_fields_to_schema", "camunda_form_to_schema", "SCHEMA_DIALECT"]


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
    builder = SchemaBuilder()
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
            schema["minimum" if name == "min" else "maximum"] = form_number(config, what)
        elif name in ("minlength", "maxlength"):
            if schema["type"] != "string":
                raise FormTranslationError(f"{what} only applies to text fields, not {ftype!r}")
            schema["minLength" if name == "minlength" else "maxLength"] = form_count(config, what)
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
        number = form_number(value, what)
        if number != int(number):
            raise FormTranslationError(f"{what}: expected a whole number, got {value!r}")
        return int(number)
    if ftype == "boolean":
        return form_boolean(value, what)
    if ftype == "date":
        return form_iso_date(value, what, camunda_pattern=True)
    if ftype == "enum" and str(value) not in schema["enum"]:
        raise FormTranslationError(f"{what}: {value!r} is not one of the enum values {schema['enum']}")
    return str(value)
