"""Issue 14.14: API errors are RFC 9457 problem documents in the language asked for (German by
default, English on Accept-Language: en), say what is missing, and a 403 names the roles that
would be allowed."""

from __future__ import annotations

import jsonschema
import pytest

from engine.services import identity
from webui.api.openapi import document

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _bearer(web_engine, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {identity.create_api_token(web_engine, username, 'test')[1]}"}


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    spec = document()
    jsonschema.validate(body, {**spec["components"]["schemas"]["Problem"], "components": spec["components"]})
    assert body["type"] == "about:blank" and body["status"] == status
    return body


def test_a_missing_case_is_named_not_a_missing_page(client, web_engine):
    body = _problem(client.get(f"/api/v1/cases/{UNKNOWN}", headers=_bearer(web_engine, "sb1")), 404)
    assert body["title"] == "Nicht gefunden"
    assert UNKNOWN in body["detail"] and "Vorgang" in body["detail"]
    assert "Seite" not in body["detail"]


@pytest.mark.parametrize("language,title,words", [
    ("de-DE,de;q=0.9", "Nicht gefunden", "Vorgang"),
    ("en-US,en;q=0.9", "Not found", "There is no case"),
    ("fr-FR", "Nicht gefunden", "Vorgang"),               # neither: German
])
def test_the_answer_follows_accept_language(client, web_engine, language, title, words):
    response = client.get(f"/api/v1/cases/{UNKNOWN}",
                          headers={**_bearer(web_engine, "sb1"), "Accept-Language": language})
    body = _problem(response, 404)
    assert body["title"] == title and words in body["detail"]
    assert response.headers["Content-Language"] == ("en" if title == "Not found" else "de")


def test_a_missing_task_and_an_unknown_address(client, web_engine):
    task = _problem(client.post(f"/api/v1/tasks/{UNKNOWN}/claim", headers=_bearer(web_engine, "sb1")), 404)
    assert "Aufgabe" in task["detail"] and UNKNOWN in task["detail"]
    route = _problem(client.get("/api/v1/gibt-es-nicht", headers={"Accept-Language": "en"}), 404)
    assert route["detail"] == "There is no /api/v1/gibt-es-nicht in this API."


def test_a_refusal_names_the_role_that_would_be_needed(client, web_engine):
    from tests.web.conftest import login_as

    login_as(client, "erika")                       # a citizen asks for the clerks' task list
    body = _problem(client.get("/api/v1/tasks"), 403)
    assert body["title"] == "Keine Berechtigung"
    assert body["required_roles"] == ["clerk", "owner"]
    assert body["detail"] == "Dafür ist die Rolle Sachbearbeitung (clerk) oder Prozessverantwortung (owner) nötig."
    deploy = _problem(client.post("/api/v1/deployments", headers={**_bearer(web_engine, "sb1"),
                                                                  "Accept-Language": "en"}), 403)
    assert deploy["required_roles"] == ["owner"]
    assert deploy["detail"] == "This needs the role Process owner (owner)."


def test_systems_only_says_token_and_roles(client, web_engine):
    body = _problem(client.post("/api/v1/signals", json={"name": "x"}, headers=_bearer(web_engine, "erika")), 403)
    assert body["required_roles"] == ["clerk", "owner", "admin"]
    assert "API-Token" in body["detail"] and "Browser-Sitzung" in body["detail"]
