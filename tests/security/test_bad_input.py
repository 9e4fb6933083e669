"""Issue 12 part 4: hostile values give a 4xx with a clear German message and store nothing.

Each test runs on SQLite and PostgreSQL (NUL bytes only break PostgreSQL; SQLite used to
store NaN and lone surrogates and then fail on every read)."""

from __future__ import annotations

import json

import pytest

from engine.persistence import tables as t
from tests.web.conftest import csrf_token, login_as

VALID = {"name": "Erika Mustermann", "kennzeichen": "B-AB 123", "anzahl": 1, "zustellung": "post",
         "einwilligung": True}
NOT_STORABLE = ("Nullzeichen", "Surrogat")


def system(web):
    """Messages and signals are for systems: the most specific token the project offers."""
    return web.auth("system" if "system" in web.tokens else "admin")


def post_json(web, path, body: str, role="clerk", headers=None):
    return web.client.post(path, data=body, content_type="application/json", headers=headers or web.auth(role))


def assert_refused(response, *words, status=(400, 422)):
    assert response.status_code in status, (response.status_code, response.get_data(as_text=True)[:300])
    text = response.get_data(as_text=True)
    if response.is_json:
        text = json.dumps(response.get_json(), ensure_ascii=False)
    assert any(w in text for w in words), text[:400]


def test_nul_in_the_unauthenticated_login_is_refused(web):
    token = csrf_token(web.client)
    response = web.client.post("/anmelden", data={"csrf_token": token, "username": "sb1\x00", "password": "x"})
    assert_refused(response, "unzulässige Zeichen")


def test_nul_in_the_inbox_search_and_in_path_segments(web):
    login_as(web.client, "sb1")
    assert_refused(web.client.get("/inbox/?q=%00"), "unzulässige Zeichen")
    for path in ("/api/v1/cases/a%00b", "/api/v1/tasks?q=%00", "/api/v1/tasks?case_id=x%00"):
        assert_refused(web.client.get(path, headers=web.auth("clerk")), "unzulässige Zeichen")
    assert_refused(post_json(web, "/api/v1/tasks/a%00b/complete", '{"data": {}}'), "unzulässige Zeichen")


@pytest.mark.parametrize("text", ["a\x00b", "m\ud800"])
def test_not_storable_message_and_signal_names(web, text):
    for path in ("/api/v1/messages", "/api/v1/signals"):
        body = json.dumps({"name": text, "key": "2026-X", "data": {}})
        assert_refused(post_json(web, path, body, headers=system(web)), *NOT_STORABLE)
    assert web.count(t.messages) == 0


@pytest.mark.parametrize("text", ["x\x00y", "x\ud800"])
def test_not_storable_process_and_business_keys(web, text):
    assert_refused(post_json(web, "/api/v1/cases", json.dumps({"key": text, "data": VALID})), *NOT_STORABLE)
    body = {"key": "webantrag", "data": VALID, "business_key": text}     # only systems choose a business key
    assert_refused(post_json(web, "/api/v1/cases", json.dumps(body), headers=system(web)), *NOT_STORABLE)
    assert web.count(t.cases) == 0


@pytest.mark.parametrize("text", ["Erika\x00", "Erika\ud800", "\udfff"])
def test_not_storable_text_inside_data_is_refused_with_the_field(web, text):
    response = post_json(web, "/api/v1/cases", json.dumps({"key": "webantrag", "data": {**VALID, "name": text}}))
    assert_refused(response, *NOT_STORABLE, status=(422,))
    assert "name" in response.get_json()["errors"]
    body = json.dumps({"name": "gebucht", "data": {"a": {text: 1}}})
    assert_refused(post_json(web, "/api/v1/messages", body, headers=system(web)), *NOT_STORABLE)
    assert web.count(t.cases) == 0 and web.count(t.messages) == 0


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e309", "-1e400"])
def test_nan_and_infinity_are_not_json(web, literal):
    body = '{"key": "webantrag", "data": {"name": "E", "anzahl": %s}}' % literal
    assert_refused(post_json(web, "/api/v1/cases", body), "NaN", "unendlich")
    body = '{"name": "gebucht", "key": "2026-X", "data": {"betrag": %s}}' % literal
    assert_refused(post_json(web, "/api/v1/messages", body, headers=system(web)), "NaN", "unendlich")
    assert web.count(t.cases) == 0 and web.count(t.messages) == 0


@pytest.mark.parametrize("depth", [900, 100_000])
def test_deeply_nested_data_is_refused(web, depth):
    body = '{"key": "webantrag", "data": {"name": "E", "x": %s}}' % ("[" * depth + "]" * depth)
    assert_refused(post_json(web, "/api/v1/cases", body), "verschachtelt")
    body = '{"name": "gebucht", "data": {"x": %s}}' % ("[" * depth + "]" * depth)
    assert_refused(post_json(web, "/api/v1/messages", body, headers=system(web)), "verschachtelt")
    assert web.count(t.cases) == 0 and web.count(t.messages) == 0


def test_too_many_keys_and_too_large_data_are_refused(web):
    many = {f"k{i}": 0 for i in range(200_000)}
    response = post_json(web, "/api/v1/messages", json.dumps({"name": "gebucht", "data": many}), headers=system(web))
    assert_refused(response, "Felder und Einträge", "zu groß", status=(413, 422))
    large = {"text": "x" * 300_000}
    response = post_json(web, "/api/v1/messages", json.dumps({"name": "gebucht", "data": large}), headers=system(web))
    assert_refused(response, "zu groß", status=(413, 422))
    assert web.count(t.messages) == 0


def test_a_json_body_over_the_request_limit_is_refused_before_parsing(web):
    body = json.dumps({"name": "gebucht", "data": {"text": "x" * (10 * 1024 * 1024)}})
    response = post_json(web, "/api/v1/messages", body, headers=system(web))
    assert response.status_code == 413 and response.is_json
    assert web.count(t.messages) == 0


def test_valid_data_still_starts_a_case(web):
    response = post_json(web, "/api/v1/cases", json.dumps({"key": "webantrag", "data": {**VALID, "name": "Ünal Öztürk"}}))
    assert response.status_code == 201, response.get_data(as_text=True)
    case = web.client.get(f"/api/v1/cases/{response.get_json()['id']}", headers=web.auth("clerk"))
    assert case.status_code in (200, 404)


def test_portal_form_values_with_nul_are_refused(web):
    login_as(web.client, "erika")
    token = csrf_token(web.client, "/leistungen/webantrag/antrag")
    form = {"csrf_token": token, "name": "Erika\x00", "kennzeichen": "B-AB 123", "anzahl": "1",
            "zustellung": "post", "einwilligung": "on"}
    assert_refused(web.client.post("/leistungen/webantrag/antrag", data=form), "unzulässige Zeichen")
    assert web.count(t.cases) == 0


def test_nul_in_an_incident_note_is_refused(web):
    from engine.services import incidents
    from engine.domain.errors import InvalidInput
    with pytest.raises(InvalidInput):
        incidents.resolve_incident(web.engine, "0" * 36, "admin", note="erledigt\x00")
