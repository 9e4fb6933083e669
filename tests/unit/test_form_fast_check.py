"""engine.services.forms._fast_check: the quick check of common forms answers "valid" only where
jsonschema (the form validator with its format checker) finds no error, so validate() gives the
same answer and the same messages as before for every submission."""

from __future__ import annotations

import itertools
from typing import Any

from engine.services import forms
from engine.services.form_formats import FORMATS, FormValidator

SCHEMAS: list[dict[str, Any]] = [
    {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Antrag", "type": "object",
     "required": ["name", "anzahl"],
     "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 5},
                    "anzahl": {"type": "integer", "minimum": 1, "maximum": 10},
                    "email": {"type": "string", "format": "email"}}},
    {"type": "object", "required": ["entscheidung"], "additionalProperties": False,
     "properties": {"entscheidung": {"type": "string", "enum": ["genehmigt", "abgelehnt"]},
                    "betrag": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 100},
                    "ok": {"type": "boolean", "const": True},
                    "plz": {"type": ["string", "null"], "pattern": "^[0-9]{5}$"},
                    "gruppe": {"type": "object", "required": ["a"], "properties": {"a": {"enum": [1, "1", None]}}}}},
]
VALUES: list[Any] = ["", "abc", "abcdef", "12345", "1234a", "genehmigt", "x@example.org", "kein-email", 0, 1, 2,
                     10, 11, 2.0, 2.5, 100, -1, True, False, None, [], [1], {}, {"a": 1}, {"a": True}, {"a": "1"},
                     {"a": 1.0}, {"b": 1}]
KEYS = ["name", "anzahl", "email", "entscheidung", "betrag", "ok", "plz", "gruppe", "fremd"]


def _instances() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [{}]
    for key in KEYS:
        found += [{key: value} for value in VALUES]
    for a, b in itertools.product(VALUES, repeat=2):
        found += [{"name": a, "anzahl": b}, {"entscheidung": "genehmigt", "betrag": a, "plz": b},
                  {"entscheidung": a, "gruppe": b}, {"entscheidung": "abgelehnt", "ok": a, "fremd": b}]
    return found


def test_fast_check_never_passes_what_jsonschema_refuses() -> None:
    passed = 0
    for schema in SCHEMAS:
        fast = forms._fast_check(schema)
        assert fast is not None
        validator = FormValidator(schema, format_checker=FORMATS)
        for instance in _instances():
            valid = not list(validator.iter_errors(instance))
            if fast(instance):
                assert valid, (schema, instance)
                passed += 1
            assert fast(instance) == valid or isinstance(instance.get("anzahl", instance.get("betrag")), float) \
                or any(isinstance(v, dict) and isinstance(v.get("a"), float) for v in instance.values()), (schema, instance)
    assert passed >= 20


def test_forms_outside_the_fast_check_go_to_jsonschema() -> None:
    for schema in [{"type": "object", "properties": {"d": {"type": "string", "formatMinimum": "today"}}},
                   {"type": "object", "patternProperties": {"^x": {}}},
                   {"type": "object", "properties": {"a": True}},
                   {"type": "object", "additionalProperties": {"type": "string"}},
                   {"type": "object", "properties": {"l": {"type": "array", "items": {"type": "string"}}}},
                   {"$ref": "#/$defs/x", "$defs": {"x": {"type": "object"}}},
                   {"type": "decimal"}]:
        assert forms._fast_check(schema) is None, schema


def test_validate_answers_as_before_through_the_fast_check() -> None:
    schema = SCHEMAS[0]
    forms.validate(schema, {"name": "abc", "anzahl": 2}, where="t")
    for bad, field in [({"name": "", "anzahl": 2}, "name"), ({"name": "a", "anzahl": 2, "email": "kein"}, "email"),
                       ({"name": "a"}, "anzahl")]:
        try:
            forms.validate(schema, bad, where="t")
        except forms.FormValidationError as exc:
            assert field in exc.field_errors
        else:
            raise AssertionError(bad)
