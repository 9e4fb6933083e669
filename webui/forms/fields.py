"""JSON Schema + UI schema -> a tree of fields that the form macros render as accessible HTML.

Supported UI schema keys: ui:order, ui:widget (textarea, date, radio, select, checkboxes, file),
ui:enumNames, ui:help, ui:title, ui:placeholder, ui:prefill (the portal's start value from the
citizen's account: engine/domain/prefill.py); nested objects become fieldsets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from engine.services.submissions import DOCUMENT_FORMATS

RADIO_MAX = 5
FILE_FORMATS = DOCUMENT_FORMATS       # the engine checks these fields as document references


@dataclass
class Field:
    name: str                      # dotted path, also the form input name
    label: str
    kind: str                      # text, textarea, integer, number, date, email, checkbox, radio,
    #                                select, checkboxes, file, password, fieldset
    required: bool = False
    hint: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    value: Any = ""                # str, or list[str] for checkboxes
    errors: list[str] = field(default_factory=list)
    children: list["Field"] = field(default_factory=list)
    prefix: str = "f-"             # another form on the same page gets its own (ids stay unique)

    @property
    def id(self) -> str:
        return self.prefix + self.name.replace(".", "__")

    @property
    def described_by(self) -> str:
        ids = [f"{self.id}-hint"] if self.hint else []
        if self.errors:
            ids.append(f"{self.id}-error")
        return " ".join(ids)


def order(schema: Mapping[str, Any], ui: Mapping[str, Any]) -> list[str]:
    names = list((schema.get("properties") or {}).keys())
    wanted = [n for n in ui.get("ui:order", []) if n in names]
    rest = [n for n in names if n not in wanted]
    if "*" in ui.get("ui:order", []):
        star = ui["ui:order"].index("*")
        before = [n for n in ui["ui:order"][:star] if n in names]
        after = [n for n in ui["ui:order"][star + 1:] if n in names]
        return before + [n for n in names if n not in before and n not in after] + after
    return wanted + rest


def is_file(schema: Mapping[str, Any], ui: Mapping[str, Any]) -> bool:
    return ui.get("ui:widget") == "file" or schema.get("format") in FILE_FORMATS


def kind_of(schema: Mapping[str, Any], ui: Mapping[str, Any]) -> str:
    widget = ui.get("ui:widget")
    kind = schema.get("type")
    if kind == "object":
        return "fieldset"
    if is_file(schema, ui):
        return "file"
    if kind == "array":
        return "checkboxes"
    if "enum" in schema:
        if widget in ("radio", "select"):
            return str(widget)
        return "radio" if len(schema["enum"]) <= RADIO_MAX else "select"
    if kind == "boolean":
        return "radio" if widget == "radio" else "checkbox"
    if kind in ("integer", "number"):
        return str(kind)
    if widget in ("textarea", "password"):
        return str(widget)
    if widget == "date" or schema.get("format") == "date":
        return "date"
    return "email" if schema.get("format") == "email" else "text"


def must_tick(schema: Mapping[str, Any]) -> bool:
    """A yes/no checkbox is a required field only when it must be ticked (a confirmation): an
    unticked box is a valid "no" otherwise, even when the schema lists the field as required."""
    return schema.get("const") is True or schema.get("enum") == [True]


def _options(schema: Mapping[str, Any], ui: Mapping[str, Any]) -> list[tuple[str, str]]:
    source = schema.get("items", {}) if schema.get("type") == "array" else schema
    values = source.get("enum")
    if values is None and schema.get("type") == "boolean":
        return [("true", "Ja"), ("false", "Nein")]
    values = list(values or [])
    labels = ui.get("ui:enumNames") or source.get("enumNames") or []
    return [(as_text(v), str(labels[i]) if i < len(labels) else as_text(v)) for i, v in enumerate(values)]


def as_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def build_fields(schema: Mapping[str, Any] | None, ui: Mapping[str, Any] | None, values: Mapping[str, Any],
                 errors: Mapping[str, list[str]], prefix: str = "") -> list[Field]:
    """values: dotted name -> submitted text (or list); errors: dotted name -> German messages."""
    schema, ui = schema or {}, ui or {}
    required = set(schema.get("required") or [])
    fields = []
    for name in order(schema, ui):
        sub = schema["properties"][name]
        sub_ui = ui.get(name) or {}
        path = f"{prefix}{name}"
        kind = kind_of(sub, sub_ui)
        item = Field(name=path, label=str(sub_ui.get("ui:title") or sub.get("title") or name), kind=kind,
                     required=name in required and (kind != "checkbox" or must_tick(sub)), hint=str(sub_ui.get("ui:help") or sub.get("description") or ""),
                     errors=list(errors.get(path, [])))
        if kind == "fieldset":
            item.children = build_fields(sub, sub_ui, values, errors, prefix=f"{path}.")
        else:
            item.options = _options(sub, sub_ui)
            default = [] if kind == "checkboxes" else ""
            item.value = values.get(path, default)
        fields.append(item)
    return fields


def note_prefilled(fields: list[Field], names: set[str], note: str) -> None:
    """Say under each field in ``names`` where its value came from (in place)."""
    for f in fields:
        if f.name in names:
            f.hint = f"{f.hint} {note}" if f.hint else note
        note_prefilled(f.children, names, note)


def prefixed(fields: list[Field], prefix: str) -> list[Field]:
    """Give ``fields`` and their children the id prefix ``prefix`` (in place)."""
    for f in fields:
        f.prefix = prefix
        prefixed(f.children, prefix)
    return fields


def summary(fields: list[Field], errors: Mapping[str, list[str]],
            form_id: str = "form-start") -> list[tuple[str, str, str]]:
    """(anchor id, label, message) for the error summary, in page order; unknown fields last."""
    items: list[tuple[str, str, str]] = []
    seen: set[str] = set()

    def walk(level: list[Field]) -> None:
        for f in level:
            for message in f.errors:
                items.append((f.id, f.label, message))
            seen.add(f.name)
            walk(f.children)

    walk(fields)
    for name, messages in errors.items():
        if name not in seen:
            items.extend((form_id, "" if name == "_form" else name, m) for m in messages)
    return items


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Typed JSON data -> dotted name -> text, to prefill a form (e.g. a task's current data)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        elif isinstance(value, list):
            out[f"{prefix}{key}"] = [as_text(v) for v in value]
        else:
            out[f"{prefix}{key}"] = as_text(value)
    return out
