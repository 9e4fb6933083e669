"""Submitted form values -> typed JSON for the schema (empty -> omitted), plus German type errors.

Uploads are checked here (size, content type) but not stored: the engine stores them in the
same transaction as the start or completion that refers to them, so that a refused submission
leaves nothing behind and accepted data never refer to a document that is not stored yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from werkzeug.datastructures import FileStorage, MultiDict

from engine.services import documents
from webui.forms.fields import as_text, is_file

GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
MAX_TEXT = 20_000


@dataclass
class Parsed:
    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    uploads: list[documents.Upload] = field(default_factory=list)   # stored with the submission
    raw: dict[str, Any] = field(default_factory=dict)       # what was typed, to show it again


def parse_form(schema: Mapping[str, Any] | None, ui: Mapping[str, Any] | None, form: MultiDict[str, str],
               files: MultiDict[str, FileStorage], max_upload: int = documents.MAX_BYTES) -> Parsed:
    parsed = Parsed()
    parsed.data = _object(schema or {}, ui or {}, form, files, "", parsed, max_upload)
    return parsed


def _object(schema: Mapping[str, Any], ui: Mapping[str, Any], form: MultiDict[str, str],
            files: MultiDict[str, FileStorage], prefix: str, parsed: Parsed, max_upload: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}{name}"
        sub_ui = ui.get(name) or {}
        if sub.get("type") == "object":
            value: Any = _object(sub, sub_ui, form, files, f"{path}.", parsed, max_upload)
            if value:
                out[name] = value
            continue
        if is_file(sub, sub_ui):
            value = _file(files.get(path), path, parsed, max_upload)
        elif sub.get("type") == "array":
            chosen = form.getlist(path)
            parsed.raw[path] = chosen
            value = [_enum(sub.get("items", {}), v, path, parsed) for v in chosen] or None
        else:
            text = form.get(path, "")
            parsed.raw[path] = text
            value = _scalar(sub, sub_ui, text, path, parsed)
        if value is not None:
            out[name] = value
    return out


def _error(parsed: Parsed, path: str, message: str) -> None:
    parsed.errors.setdefault(path, []).append(message)


def _scalar(schema: Mapping[str, Any], ui: Mapping[str, Any], text: str, path: str, parsed: Parsed) -> Any:
    kind = schema.get("type")
    if kind == "boolean" and ui.get("ui:widget") != "radio":
        return text == "true"          # an unticked checkbox sends nothing: False
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_TEXT:
        _error(parsed, path, f"Bitte geben Sie höchstens {MAX_TEXT} Zeichen ein.")
        return None
    if "enum" in schema:
        return _enum(schema, text, path, parsed)
    if kind == "boolean":
        if text in ("true", "false"):
            return text == "true"
        _error(parsed, path, "Bitte wählen Sie Ja oder Nein.")
        return None
    if kind in ("integer", "number"):
        return _number(kind, text, path, parsed)
    if schema.get("format") == "date":
        return _date(text, path, parsed)
    return text


def _enum(schema: Mapping[str, Any], text: str, path: str, parsed: Parsed) -> Any:
    for option in schema.get("enum") or []:
        if as_text(option) == text:
            return option
    _error(parsed, path, "Bitte wählen Sie einen der angebotenen Werte.")
    return None


def _number(kind: str, text: str, path: str, parsed: Parsed) -> int | float | None:
    cleaned = text.replace(" ", "").replace(",", ".")
    try:
        if kind == "integer":
            return int(cleaned)
        number = float(cleaned)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(text)
        return int(number) if number.is_integer() and "." not in cleaned else number
    except ValueError:
        _error(parsed, path, "Bitte geben Sie eine ganze Zahl ein." if kind == "integer"
               else "Bitte geben Sie eine Zahl ein.")
        return None


def _date(text: str, path: str, parsed: Parsed) -> str | None:
    match = GERMAN_DATE.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day).isoformat()
        return date.fromisoformat(text).isoformat()
    except ValueError:
        _error(parsed, path, "Bitte geben Sie ein gültiges Datum ein, zum Beispiel 31.12.2026.")
        return None


def _file(upload: FileStorage | None, path: str, parsed: Parsed, max_upload: int) -> str | None:
    if upload is None or not upload.filename:
        return None
    content = upload.read(max_upload + 1)
    try:
        accepted = documents.accept(upload.filename, content, max_upload)
    except documents.UploadRefused as exc:
        _error(parsed, path, exc.user_message)
        return None
    parsed.uploads.append(accepted)
    return accepted.id
