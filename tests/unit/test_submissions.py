"""Issue 12.1: which keys a person's submission may carry (engine/services/submissions.py)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.domain.errors import FormValidationError
from engine.runtime.model import Form
from engine.services import submissions


def refused(schema: dict[str, Any] | None, data: Any, ui: dict[str, Any] | None = None, **kw: Any) -> dict[str, list[str]]:
    form = Form(schema=schema, ui_schema=ui or {}) if schema is not None else None
    try:
        submissions.check(None, form, data, where="test", actor="erika", **kw)
    except FormValidationError as exc:
        return exc.field_errors
    return {}


PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "geburtsdatum": {"type": "string"}}}
FORM = {"type": "object", "required": ["antragsteller"],
        "properties": {"antragsteller": PERSON, "kinder": {"type": "array", "items": PERSON},
                       "nachweis": {"type": "string", "format": "document"}}}


def test_undeclared_keys_are_refused_where_they_are_at_any_depth() -> None:
    data = {"antragsteller": {"name": "E", "rolle": "admin"}, "kinder": [{"name": "K"}, {"name": "L", "x": 1}],
            "aktenzeichen": "2026-GEFAELSCHT"}
    assert refused(FORM, data) == {"antragsteller.rolle": [submissions.UNDECLARED],
                                   "kinder.1.x": [submissions.UNDECLARED], "aktenzeichen": [submissions.UNDECLARED]}
    assert refused(FORM, {"antragsteller": {"name": "E"}}) == {}


def test_schema_errors_and_undeclared_keys_come_together_without_the_generic_message() -> None:
    closed = {**FORM, "additionalProperties": False}
    errors = refused(closed, {"aktenzeichen": "x"})
    assert errors == {"antragsteller": ["Bitte füllen Sie dieses Feld aus."], "aktenzeichen": [submissions.UNDECLARED]}


def test_branches_refs_and_patterns_declare_keys_and_explicit_openness_is_honoured() -> None:
    schema = {"type": "object", "$defs": {"anschrift": {"type": "object", "properties": {"plz": {"type": "string"}}}},
              "properties": {"art": {"enum": ["a", "b"]}, "anschrift": {"$ref": "#/$defs/anschrift"},
                             "frei": {"type": "object", "additionalProperties": {"type": "integer"}},
                             "offen": True},
              "patternProperties": {"^zusatz_": {"type": "string"}},
              "allOf": [{"if": {"properties": {"art": {"const": "b"}}},
                         "then": {"properties": {"grund": {"type": "string"}}}}]}
    data = {"art": "b", "grund": "g", "anschrift": {"plz": "48143"}, "frei": {"beliebig": 1},
            "offen": {"was": {"auch": "immer"}}, "zusatz_1": "z"}
    assert refused(schema, data) == {}
    assert refused(schema, {"anschrift": {"plz": "1", "ort": "x"}, "frei": {"k": "kein int"}}) == {
        "anschrift.ort": [submissions.UNDECLARED], "frei.k": ["Bitte geben Sie einen gültigen Wert ein (erwartet: ganze Zahl)."]}
    assert refused({"type": "object", "properties": {"x": {"type": "object"}}}, {"x": {"y": 1}}) == {
        "x.y": [submissions.UNDECLARED]}                  # a bare object declares no keys


def test_document_references_must_be_uploaded_with_the_submission() -> None:
    assert refused(FORM, {"antragsteller": {}, "nachweis": "d-1"}) == {"nachweis": [submissions.NOT_YOURS]}
    assert refused(FORM, {"antragsteller": {}, "nachweis": "d-1"}, uploaded=["d-1"]) == {}
    ui_file = {"type": "object", "properties": {"scan": {"type": "string"}}}
    assert refused(ui_file, {"scan": "d-2"}, ui={"scan": {"ui:widget": "file"}}) == {"scan": [submissions.NOT_YOURS]}


def test_without_a_form_no_data_unless_the_element_declares_its_fields() -> None:
    assert refused(None, {}) == {}
    assert refused(None, {"ok": True}) == {"ok": [submissions.NO_FORM]}
    assert refused(None, {"ok": True, "x": 1}, declared_without_form=["ok"]) == {"x": [submissions.NO_FORM]}
    assert submissions.declared_without_form({"amtsflow:formFields": " ok, kommentar ,"}) == ["ok", "kommentar"]
    with pytest.raises(FormValidationError):
        submissions.check(None, None, ["keine", "Angaben"], where="test", actor="erika")
