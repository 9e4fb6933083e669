"""Application forms filled in from the citizen's account (engine/domain/prefill.py)."""

from __future__ import annotations

from engine.domain import prefill

SCHEMA = {"type": "object", "properties": {
    "antragsteller": {"type": "object", "properties": {
        "familienname": {"type": "string"}, "vornamen": {"type": "string"},
        "geburtsdatum": {"type": "string", "format": "date"}, "email": {"type": "string", "format": "email"}}},
    "anschrift": {"type": "object", "properties": {"strasse": {"type": "string"}, "plz": {"type": "string"}}},
    "hund": {"type": "string"}}}
UI = {"antragsteller": {"familienname": {"ui:prefill": "family_name"}, "vornamen": {"ui:prefill": "given_name"},
                        "geburtsdatum": {"ui:prefill": "birthdate", "ui:widget": "date"},
                        "email": {"ui:prefill": "email"}},
      "anschrift": {"strasse": {"ui:prefill": "street_address"}, "plz": {"ui:prefill": "postal_code"}}}


def test_fields_that_name_a_claim_start_with_its_value_nested_and_from_the_address():
    claims = prefill.kept({"family_name": "Yılmaz", "given_name": "Leyla", "birthdate": "1978-01-30",
                           "email": "leyla@example.org", "sub": "x", "acr": "high",
                           "address": {"street_address": "Marktplatz 3", "postal_code": "12345"}})
    assert prefill.values(SCHEMA, UI, claims) == {
        "antragsteller.familienname": "Yılmaz", "antragsteller.vornamen": "Leyla",
        "antragsteller.geburtsdatum": "1978-01-30", "antragsteller.email": "leyla@example.org",
        "anschrift.strasse": "Marktplatz 3", "anschrift.plz": "12345"}


def test_a_claim_the_provider_did_not_give_leaves_its_field_empty():
    assert prefill.values(SCHEMA, UI, prefill.kept({"family_name": "Weber"})) == {"antragsteller.familienname": "Weber"}
    assert prefill.values(SCHEMA, {}, prefill.kept({"family_name": "Weber"})) == {}


def test_only_known_plain_short_text_claims_are_kept():
    kept = prefill.kept({
        "family_name": "  Weber ", "given_name": 42, "email": "a" * 201 + "@example.org",
        "locality": "Musterstadt\nX-Forged: 1", "street_address": "Lindenweg 4",   # outside "address": not the claim
        "birthdate": "0000-11-02", "country": "", "sub": "weber", "name": "Jonas Weber",
        "address": "Lindenweg 4, 12345 Musterstadt"})
    assert kept == {"family_name": "Weber"}
    assert prefill.kept({"birthdate": "1985"}) == {}                 # a year alone is no date for a date field
    assert prefill.kept({"birthdate": "1985-02-30"}) == {}
    assert prefill.kept({"birthdate": "1985-11-02"}) == {"birthdate": "1985-11-02"}


def test_deploy_check_names_the_field_of_an_unknown_claim():
    assert prefill.problems(UI) == []
    [message] = prefill.problems({"antragsteller": {"steuer_id": {"ui:prefill": "tax_id"}, "email": {"ui:prefill": "email"}}})
    assert "antragsteller.steuer_id" in message and "'tax_id'" in message and "family_name" in message
    assert prefill.problems({"x": {"ui:prefill": ["email"]}}) != []
