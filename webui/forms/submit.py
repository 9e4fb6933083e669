"""One submission: parse, validate with the engine's form validator, then store uploads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from flask import current_app, request

from engine.domain.errors import FormValidationError
from engine.services import forms
from webui.forms.fields import Field, build_fields, prefixed, summary
from webui.forms.parse import Parsed, parse_form


@dataclass
class FormView:
    fields: list[Field]
    summary: list[tuple[str, str, str]] = field(default_factory=list)
    has_files: bool = False
    submission: str = ""          # idempotency token of an application form (hidden field)
    form_id: str = "form-start"   # the form element's id (unique on a page with several forms)


def form_view(schema: Mapping[str, Any] | None, ui: Mapping[str, Any] | None, values: Mapping[str, Any],
              errors: Mapping[str, list[str]] | None = None, submission: str = "", name: str = "") -> FormView:
    """``name``: for a page with several forms, each form's own ids (form-NAME, f-NAME-FIELD)."""
    errors = errors or {}
    built = build_fields(schema, ui, values, errors)
    form_id = f"form-{name}" if name else "form-start"
    if name:
        prefixed(built, f"f-{name}-")
    return FormView(built, summary(built, errors, form_id), _has_files(built), submission, form_id)


def _has_files(fields: list[Field]) -> bool:
    return any(f.kind == "file" or _has_files(f.children) for f in fields)


def parse_request(schema: Mapping[str, Any] | None, ui: Mapping[str, Any] | None) -> Parsed:
    """Typed data from the current request; type errors merged with the schema's German messages."""
    parsed = parse_form(schema, ui, request.form, request.files, current_app.config["AMTSFLOW_MAX_UPLOAD_BYTES"])
    try:
        forms.validate(dict(schema) if schema is not None else None, parsed.data)
    except FormValidationError as exc:
        merge(parsed, exc.field_errors)
    return parsed


def merge(parsed: Parsed, field_errors: Mapping[str, list[str]]) -> None:
    for path, messages in field_errors.items():
        if path not in parsed.errors:      # a type error already explains why the value is missing
            parsed.errors[path] = list(messages)

