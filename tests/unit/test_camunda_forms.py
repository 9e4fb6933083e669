"""Unit tests for Camunda form translation (engine.runtime.camunda_forms)."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from engine.runtime.camunda_forms import FormTranslationError, camunda_form_to_schema, form_fields_to_schema


def _validator(schema: dict) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _assert_data(schema: dict, valid: list[dict], invalid: list[dict]) -> None:
    validator = _validator(schema)
    for data in valid:
        assert not list(validator.iter_errors(data)), data
    for data in invalid:
        assert list(validator.iter_errors(data)), data


# --- camunda:formField ---------------------------------------------------------------------

WOHNGELD_FIELDS = [
    {"id": "name", "label": "Name", "type": "string",
     "constraints": [{"name": "required"}, {"name": "maxlength", "config": "40"}]},
    {"id": "betrag", "label": "Betrag", "type": "long", "defaultValue": "30",
     "constraints": [{"name": "required"}, {"name": "min", "config": "1"}, {"name": "max", "config": "5000"}]},
    {"id": "eilig", "label": "Eilig?", "type": "boolean", "defaultValue": "false"},
    {"id": "geburtsdatum", "label": "Geburtsdatum", "type": "date", "defaultValue": "24/12/1990"},
    {"id": "art", "label": "Antragsart", "type": "enum", "defaultValue": "erst",
     "values": [{"id": "erst", "name": "Erstantrag"}, {"id": "weiter", "name": "Weiterleistung"}]},
    {"id": "aktenzeichen", "label": "Aktenzeichen", "type": "string", "constraints": [{"name": "readonly"}],
     "properties": {"description": "Wird vom System vergeben"}},
    {"id": "notiz", "type": "string", "constraints": [{"name": "minlength", "config": 3}]},
]


def test_form_fields_schema_and_ui() -> None:
    schema, ui = form_fields_to_schema(WOHNGELD_FIELDS)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["required"] == ["name", "betrag"]
    props = schema["properties"]
    assert props["name"] == {"type": "string", "title": "Name", "maxLength": 40, "minLength": 1}
    assert props["betrag"] == {"type": "integer", "title": "Betrag", "minimum": 1, "maximum": 5000, "default": 30}
    assert props["eilig"] == {"type": "boolean", "title": "Eilig?", "default": False}
    assert props["geburtsdatum"] == {"type": "string", "format": "date", "title": "Geburtsdatum",
                                     "default": "1990-12-24"}
    assert props["art"] == {"type": "string", "title": "Antragsart", "enum": ["erst", "weiter"], "default": "erst"}
    assert "oneOf" not in props["art"]
    assert props["aktenzeichen"]["readOnly"] is True
    assert props["aktenzeichen"]["description"] == "Wird vom System vergeben"
    assert props["notiz"] == {"type": "string", "minLength": 3}
    assert ui["ui:order"] == ["name", "betrag", "eilig", "geburtsdatum", "art", "aktenzeichen", "notiz"]
    assert ui["geburtsdatum"] == {"ui:widget": "date"}
    assert ui["art"] == {"ui:enumNames": ["Erstantrag", "Weiterleistung"]}
    assert "name" not in ui


def test_form_fields_validate_data() -> None:
    schema, _ = form_fields_to_schema(WOHNGELD_FIELDS)
    base = {"name": "Erika Mustermann", "betrag": 250}
    _assert_data(
        schema,
        valid=[base, {**base, "eilig": True, "geburtsdatum": "1990-12-24", "art": "weiter", "notiz": "abc"}],
        invalid=[
            {"name": "Erika"},  # betrag missing
            {**base, "name": ""},  # required text must not be empty
            {**base, "name": "x" * 41},
            {**base, "betrag": 0},
            {**base, "betrag": 5001},
            {**base, "betrag": 2.5},
            {**base, "betrag": "250"},
            {**base, "eilig": "ja"},
            {**base, "geburtsdatum": "24/12/1990"},
            {**base, "art": "Erstantrag"},
            {**base, "notiz": "ab"},
            {**base, "unbekannt": 1},  # closed schema
        ],
    )


def test_form_fields_defaults_and_untyped_fields() -> None:
    schema, ui = form_fields_to_schema([
        {"id": "ohne_typ", "label": "Ohne Typ"},
        {"id": "leer", "type": ""},
        {"id": "zahl", "type": "long", "defaultValue": "-7"},
        {"id": "flag", "type": "boolean", "defaultValue": "TRUE"},
        {"id": "iso", "type": "date", "defaultValue": "2026-01-31"},
        {"id": "text", "type": "textarea", "properties": [{"id": "description", "value": "Lang"}]},
        {"id": "ohne_default", "type": "string", "defaultValue": ""},
    ])
    Draft202012Validator.check_schema(schema)
    props = schema["properties"]
    assert props["ohne_typ"] == {"type": "string", "title": "Ohne Typ"}
    assert props["leer"] == {"type": "string"}
    assert props["zahl"]["default"] == -7
    assert props["flag"]["default"] is True
    assert props["iso"]["default"] == "2026-01-31"
    assert props["text"] == {"type": "string", "description": "Lang"}
    assert ui["text"] == {"ui:widget": "textarea"}
    assert "default" not in props["ohne_default"]
    assert "required" not in schema


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([{"id": "x", "type": "customer"}], "custom form field type 'customer'"),
        ([{"id": "x", "type": "string", "constraints": [{"name": "validator", "config": "org.Foo"}]}],
         "validator 'validator'"),
        ([{"id": "x", "type": "string", "constraints": [{"name": "isbn"}]}], "validator 'isbn'"),
        ([{"id": "x", "type": "string", "constraints": [{"name": "min", "config": "1"}]}], "'min' only applies"),
        ([{"id": "x", "type": "long", "constraints": [{"name": "maxlength", "config": "1"}]}], "'maxlength' only"),
        ([{"id": "x", "type": "long", "constraints": [{"name": "min", "config": "eins"}]}], "expected a number"),
        ([{"id": "x", "type": "string", "constraints": [{"name": "maxlength", "config": "-1"}]}], "non-negative"),
        ([{"id": "x", "type": "long", "defaultValue": "3.5"}], "whole number"),
        ([{"id": "x", "type": "long", "defaultValue": "drei"}], "expected a number"),
        ([{"id": "x", "type": "boolean", "defaultValue": "No"}], "expected true or false"),
        ([{"id": "x", "type": "date", "defaultValue": "31.12.2026"}], "expected a date"),
        ([{"id": "x", "type": "date", "defaultValue": "31/02/2026"}], "expected a date"),
        ([{"id": "x", "type": "enum"}], "has no values"),
        ([{"id": "x", "type": "enum", "values": [{"id": "a"}], "defaultValue": "b"}], "not one of the enum"),
        ([{"id": "x", "type": "enum", "values": [{"id": "a"}, {"id": "a"}]}], "duplicate"),
        ([{"id": "x", "type": "string", "values": [{"id": "a"}]}], "only type 'enum'"),
        ([{"id": "x", "type": "string", "defaultValue": "${initiator}"}], "expression defaults"),
        ([{"id": "x"}, {"id": "x"}], "defined twice"),
        ([{"label": "ohne id"}], "non-empty id"),
        (["x"], "must be a dict"),
        ({"id": "x"}, "expected a list"),
    ],
)
def test_form_fields_refused(fields, message: str) -> None:
    with pytest.raises(FormTranslationError) as info:
        form_fields_to_schema(fields)
    assert message in str(info.value)


# --- Camunda Forms -------------------------------------------------------------------------

ANTRAG_FORM = {
    "schemaVersion": 16,
    "exporter": {"name": "Camunda Modeler", "version": "5.0.0"},
    "type": "default",
    "id": "antrag",
    "components": [
        {"type": "text", "text": "# Antrag auf Hundesteuerbefreiung"},
        {"key": "name", "label": "Name", "type": "textfield", "id": "f1",
         "validate": {"required": True, "minLength": 2, "maxLength": 60}},
        {"key": "aktenzeichen", "label": "Aktenzeichen", "type": "textfield",
         "description": "Format: HS-123", "validate": {"pattern": "^HS-[0-9]+$", "validationType": "custom"}},
        {"key": "email", "label": "E-Mail", "type": "textfield", "validate": {"validationType": "email"}},
        {"key": "begruendung", "label": "Begründung", "type": "textarea", "defaultValue": "keine"},
        {"type": "spacer"},
        {"type": "group", "label": "Hund", "components": [
            {"key": "anzahl", "label": "Anzahl Hunde", "type": "number", "decimalDigits": 0,
             "defaultValue": 1, "validate": {"required": True, "min": 1, "max": 5}},
            {"key": "gewicht", "label": "Gewicht (kg)", "type": "number", "validate": {"min": 0.5}},
            {"key": "rasse", "label": "Rasse", "type": "select", "defaultValue": "misch",
             "values": [{"label": "Mischling", "value": "misch"}, {"label": "Dackel", "value": "dackel"}]},
            {"type": "separator"},
        ]},
        {"key": "grund", "label": "Grund", "type": "radio", "validate": {"required": True},
         "values": [{"label": "Blindenhund", "value": "blind"}, {"label": "Rettungshund", "value": "rettung"}]},
        {"key": "nachweise", "label": "Nachweise", "type": "checklist", "validate": {"required": True},
         "values": [{"label": "Ausweis", "value": "ausweis"}, {"label": "Attest", "value": "attest"}]},
        {"key": "tags", "label": "Schlagworte", "type": "taglist", "defaultValue": ["a"],
         "values": [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}]},
        {"key": "seit", "dateLabel": "Hund seit", "type": "datetime", "subtype": "date"},
        {"key": "zustimmung", "label": "Ich stimme zu", "type": "checkbox", "validate": {"required": True}},
        {"key": "newsletter", "label": "Newsletter", "type": "checkbox", "defaultValue": False, "readonly": True},
        {"type": "button", "action": "submit", "label": "Absenden"},
    ],
}


def test_camunda_form_schema_and_ui() -> None:
    schema, ui = camunda_form_to_schema(json.dumps(ANTRAG_FORM))
    assert (schema, ui) == camunda_form_to_schema(ANTRAG_FORM)  # str and dict input agree
    Draft202012Validator.check_schema(schema)
    props = schema["properties"]
    assert ui["ui:order"] == ["name", "aktenzeichen", "email", "begruendung", "anzahl", "gewicht", "rasse",
                              "grund", "nachweise", "tags", "seit", "zustimmung", "newsletter"]
    assert schema["required"] == ["name", "anzahl", "grund", "nachweise", "zustimmung"]
    assert props["name"] == {"type": "string", "title": "Name", "minLength": 2, "maxLength": 60}
    assert props["aktenzeichen"]["description"] == "Format: HS-123"
    assert props["aktenzeichen"]["pattern"] == "^HS-[0-9]+$"
    assert props["email"]["format"] == "email"
    assert props["begruendung"]["default"] == "keine" and ui["begruendung"] == {"ui:widget": "textarea"}
    assert props["anzahl"] == {"type": "integer", "title": "Anzahl Hunde", "minimum": 1, "maximum": 5, "default": 1}
    assert props["gewicht"] == {"type": "number", "title": "Gewicht (kg)", "minimum": 0.5}
    assert props["rasse"]["enum"] == ["misch", "dackel"] and props["rasse"]["default"] == "misch"
    assert ui["rasse"] == {"ui:enumNames": ["Mischling", "Dackel"]}
    assert ui["grund"] == {"ui:enumNames": ["Blindenhund", "Rettungshund"], "ui:widget": "radio"}
    assert props["nachweise"]["type"] == "array" and props["nachweise"]["minItems"] == 1
    assert ui["nachweise"]["ui:widget"] == "checkboxes"
    assert props["tags"]["default"] == ["a"]
    assert props["seit"] == {"type": "string", "format": "date", "title": "Hund seit"}
    assert ui["seit"] == {"ui:widget": "date"}
    assert props["newsletter"] == {"type": "boolean", "title": "Newsletter", "readOnly": True, "default": False}


def test_camunda_form_validates_data() -> None:
    schema, _ = camunda_form_to_schema(ANTRAG_FORM)
    base = {"name": "Max", "anzahl": 2, "grund": "blind", "nachweise": ["attest"], "zustimmung": True}
    _assert_data(
        schema,
        valid=[base, {**base, "aktenzeichen": "HS-42", "email": "max@example.org", "gewicht": 7.5,
                      "rasse": "dackel", "tags": ["a", "b"], "seit": "2024-05-01", "newsletter": False,
                      "begruendung": ""}],
        invalid=[
            {k: v for k, v in base.items() if k != "grund"},
            {**base, "name": "M"},
            {**base, "aktenzeichen": "AZ-42"},
            {**base, "email": "kein-mail"},
            {**base, "anzahl": 6},
            {**base, "anzahl": 1.5},
            {**base, "gewicht": 0.1},
            {**base, "rasse": "pudel"},
            {**base, "grund": "Blindenhund"},
            {**base, "nachweise": []},
            {**base, "nachweise": ["attest", "attest"]},
            {**base, "tags": ["c"]},
            {**base, "seit": "01.05.2024"},
            {**base, "zustimmung": False},
            {**base, "extra": "x"},
        ],
    )


def test_camunda_form_like_the_invoice_example() -> None:
    form = {"type": "default", "components": [
        {"key": "creditor", "label": "Creditor", "type": "textfield", "validate": {"required": True}},
        {"key": "amount", "label": "Amount", "type": "textfield", "validate": {"required": True, "pattern": "^[0-9]+$"}},
        {"key": "approvedBy", "label": "Approved By", "type": "textfield"},
    ]}
    schema, ui = camunda_form_to_schema(form)
    _assert_data(schema, valid=[{"creditor": "ACME", "amount": "30"}],
                 invalid=[{"creditor": "ACME", "amount": "30 EUR"}, {"amount": "30"}])
    assert ui == {"ui:order": ["creditor", "amount", "approvedBy"]}


def test_numeric_option_values_keep_their_type() -> None:
    schema, _ = camunda_form_to_schema({"components": [
        {"key": "stufe", "type": "select", "values": [{"label": "Eins", "value": 1}, {"label": "Zwei", "value": 2}]}]})
    assert schema["properties"]["stufe"] == {"enum": [1, 2]}
    _assert_data(schema, valid=[{"stufe": 2}], invalid=[{"stufe": "2"}, {"stufe": 3}])


def _one(component: dict) -> dict:
    return {"components": [component]}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (_one({"key": "f", "type": "filepicker"}), "'filepicker'"),
        (_one({"key": "f", "type": "dynamiclist", "components": []}), "'dynamiclist'"),
        (_one({"key": "f", "type": "expression", "expression": "=a"}), "'expression'"),
        (_one({"key": "f"}), "None"),
        (_one({"type": "textfield", "label": "ohne key"}), "non-empty id/key"),
        (_one({"key": "a.b", "type": "textfield"}), "nested keys"),
        (_one({"key": "f", "type": "textfield", "conditional": {"hide": "=x"}}), "conditional"),
        (_one({"type": "group", "conditional": {"hide": "=x"}, "components": []}), "conditional"),
        (_one({"type": "group", "path": "adresse", "components": []}), "data path"),
        (_one({"key": "f", "type": "textfield", "label": "=name"}), "FEEL"),
        (_one({"key": "f", "type": "number", "validate": {"min": "=x"}}), "FEEL"),
        (_one({"key": "f", "type": "number", "serializeToString": True}), "serialized as strings"),
        (_one({"key": "f", "type": "datetime", "subtype": "datetime"}), "subtype 'datetime'"),
        (_one({"key": "f", "type": "select", "valuesKey": "optionen"}), "dynamic options"),
        (_one({"key": "f", "type": "radio", "valuesExpression": "=o"}), "dynamic options"),
        (_one({"key": "f", "type": "select", "values": []}), "non-empty static"),
        (_one({"key": "f", "type": "select", "values": [{"label": "a"}]}), "needs a 'value'"),
        (_one({"key": "f", "type": "select", "values": [{"value": "a"}, {"value": "a"}]}), "duplicate"),
        (_one({"key": "f", "type": "select", "values": [{"value": "a"}], "defaultValue": "b"}), "not among"),
        (_one({"key": "f", "type": "checklist", "values": [{"value": "a"}], "defaultValue": "a"}), "not among"),
        (_one({"key": "f", "type": "textfield", "validate": {"min": 1}}), "does not apply"),
        (_one({"key": "f", "type": "number", "validate": {"pattern": "x"}}), "does not apply"),
        (_one({"key": "f", "type": "textfield", "validate": {"custom": "x"}}), "validation 'custom'"),
        (_one({"key": "f", "type": "textfield", "validate": {"validationType": "phone"}}), "'phone'"),
        (_one({"key": "f", "type": "textfield", "validate": {"pattern": "(["}}), "invalid pattern"),
        (_one({"key": "f", "type": "number", "decimalDigits": 0, "defaultValue": 1.5}), "whole number"),
        (_one({"key": "f", "type": "checkbox", "defaultValue": "ja"}), "true or false"),
        (_one({"key": "f", "type": "datetime", "defaultValue": "01.01.2026"}), "expected a date"),
        ({"components": [{"key": "f", "type": "textfield"}, {"type": "group", "components": [
            {"key": "f", "type": "number"}]}]}, "defined twice"),
        ("{not json", "not valid JSON"),
        ({"type": "default"}, "'components' list"),
        ("[]", "'components' list"),
    ],
)
def test_camunda_form_refused(form, message: str) -> None:
    with pytest.raises(FormTranslationError) as info:
        camunda_form_to_schema(form)
    assert message in str(info.value)
