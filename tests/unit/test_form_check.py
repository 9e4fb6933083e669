"""The compiled quick check of form data (engine.services.form_check) answers as jsonschema
does: whenever it answers, valid means jsonschema finds no error and invalid means it finds
one. Checked on every form of the repository and on schemas of every covered keyword, with
data built near each schema's limits and random data."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.services import forms
from engine.services.form_check import Unsure, compile_form
from engine.services.form_formats import FORMATS, FormValidator

ROOT = Path(__file__).resolve().parents[2]
FORMS = sorted(p for p in [*ROOT.glob("processes/**/*.schema.json"), *ROOT.glob("tests/**/*.schema.json")])

SYNTHETIC: list[Any] = [
    {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1, "exclusiveMaximum": 5},
                                      "x": {"type": "number", "exclusiveMinimum": 0, "maximum": 2.5},
                                      "b": {"type": ["boolean", "null"]}},
     "required": ["n"], "additionalProperties": False},
    {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"},
                                               "minItems": 1, "maxItems": 3}},
     "additionalProperties": {"type": "string", "maxLength": 3}},
    {"type": "object", "properties": {"art": {"enum": ["a", "b", 1, None]}, "ok": {"const": True},
                                      "k": {"const": "x"}},
     "allOf": [{"required": ["art"]}, {"properties": {"art": {"enum": ["a", 1]}}}]},
    {"type": "object", "properties": {"typ": {"enum": ["firma", "person"]}, "firma": {"type": "string"},
                                      "geboren": {"type": "string", "format": "date", "formatMinimum": "today-P130Y",
                                                  "formatMaximum": "today"},
                                      "mail": {"type": "string", "format": "email"}},
     "if": {"properties": {"typ": {"const": "firma"}}}, "then": {"required": ["firma"]},
     "else": {"required": ["geboren"]}},
    {"type": "object", "properties": {"o": {"type": "object", "properties": {"a": {"type": "string", "minLength": 2}},
                                            "required": ["a"]}}, "then": {"required": ["zz"]}},
    True, False,
]

UNCOMPILED = [{"$ref": "#/$defs/x", "$defs": {"x": {}}}, {"oneOf": [{}]}, {"patternProperties": {"a": {}}},
              {"type": "object", "unevaluatedProperties": False}, {"prefixItems": [{}]}, {"x-custom": 1}]

STRINGS = ["", "a", "ab", "abc", "abcd", "A", "firma", "person", "genehmigt", "abgelehnt", "x", "b",
           "erika@example.org", "@", "x@y, z@evil.example", "2000-01-01", "1800-01-01", "2999-12-31", "2000-13-01",
           "12345", "DE12 3456", "ä" * 3, " " * 2]
NUMBERS: list[Any] = [0, 1, 2, 5, 10, 11, -1, 0.5, 1.0, 2.5, 2.6, 4.999, 10**20, True, False, None]


def _values(schema: Any, rng: random.Random, depth: int = 0) -> Any:
    """A value near what ``schema`` asks for (often valid, often just outside a limit), or junk."""
    if rng.random() < 0.15 or not isinstance(schema, dict):
        return rng.choice([*STRINGS, *NUMBERS, [], {}, ["a"], {"a": 1}])
    for key in ("enum", "const"):
        if key in schema and rng.random() < 0.7:
            return rng.choice(schema["enum"] if key == "enum" else [schema["const"]])
    kind = schema.get("type")
    kind = rng.choice(kind) if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        return _object(schema, rng, depth)
    if kind == "array":
        return [_values(schema.get("items", {}), rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if kind in ("integer", "number"):
        bounds = [schema[k] for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") if k in schema]
        base = rng.choice(bounds) if bounds else rng.randint(-3, 12)
        return rng.choice([base, base - 1, base + 1, base + 0.5, float(base), *NUMBERS])
    if kind == "string":
        if schema.get("format") == "date":
            return (date.today() + timedelta(days=rng.randint(-130 * 366, 3))).isoformat() \
                if rng.random() < 0.8 else rng.choice(STRINGS)
        limit = schema.get("maxLength", schema.get("minLength", 5))
        return rng.choice(["a" * max(0, limit + d) for d in (-1, 0, 1)] + STRINGS)
    return rng.choice([*STRINGS, *NUMBERS])


def _object(schema: dict[str, Any], rng: random.Random, depth: int) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for sub in [schema, *schema.get("allOf", []), schema.get("then", {}), schema.get("else", {})]:
        if isinstance(sub, dict):
            props.update(sub.get("properties", {}))
    data = {name: _values(sub, rng, depth + 1) for name, sub in props.items() if rng.random() < 0.8}
    if rng.random() < 0.1:
        data[rng.choice(["extra", "zz", "firma"])] = rng.choice(STRINGS)
    return data


def _agree(schema: Any, data_sets: list[Any]) -> int:
    quick = compile_form(schema)
    assert quick is not None, schema
    validator = FormValidator(schema, format_checker=FORMATS)
    answered = 0
    for data in data_sets:
        try:
            valid = quick(data)
        except Unsure:
            continue
        answered += 1
        assert valid == (not list(validator.iter_errors(data))), (schema, data)
    return answered


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_the_quick_check_agrees_with_jsonschema_on_the_repositorys_forms(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    if compile_form(schema) is None:
        pytest.skip("a keyword the quick check does not cover: jsonschema alone")
    rng = random.Random(path.name)
    assert _agree(schema, [_values(schema, rng) for _ in range(600)]) > 300


@pytest.mark.parametrize("index", range(len(SYNTHETIC)))
def test_the_quick_check_agrees_with_jsonschema_on_every_covered_keyword(index: int) -> None:
    schema = SYNTHETIC[index]
    rng = random.Random(index)
    assert _agree(schema, [_values(schema, rng) for _ in range(3000)]) > 1000


def test_other_keywords_are_left_to_jsonschema() -> None:
    assert all(compile_form(schema) is None for schema in UNCOMPILED)


def test_the_forms_of_the_repository_are_compiled() -> None:
    compiled = [p.name for p in FORMS if compile_form(json.loads(p.read_text(encoding="utf-8"))) is not None]
    assert len(compiled) == len(FORMS), sorted({p.name for p in FORMS} - set(compiled))


def test_invalid_data_keep_jsonschemas_messages() -> None:
    schema = json.loads((ROOT / "tests/models/antrag-start.schema.json").read_text(encoding="utf-8"))
    with pytest.raises(forms.FormValidationError) as refused:
        forms.validate(schema, {"name": "", "anzahl": 1.5, "email": "@"}, where="t")
    assert refused.value.field_errors == {"name": ["Bitte füllen Sie dieses Feld aus."],
                                          "anzahl": ["Bitte geben Sie einen gültigen Wert ein (erwartet: ganze Zahl)."],
                                          "email": ["Bitte geben Sie eine gültige E-Mail-Adresse ein."]}
    forms.validate(schema, {"name": "Erika", "anzahl": 2}, where="t")
