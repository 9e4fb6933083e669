"""Fixtures of the business-key and system-rights tests: the web app on the engine fixture
(SQLite and PostgreSQL), people and API tokens made without passwords (hashing them is slow).
Imported by the test modules that use them (conftest.py holds the shared ``web`` fixture)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.bootstrap import Engine
from engine.services import identity
from tests.web.conftest import csrf_token, login_as, make_app

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
PEOPLE = [("erika", ["citizen"], []), ("max", ["citizen"], []), ("sb1", ["clerk"], ["sachbearbeitung"]),
          ("po", ["owner"], []), ("admin", ["admin"], []), ("kasse", ["clerk"], ["kasse"])]


@pytest.fixture
def people(engine: Engine) -> None:
    identity.create_group(engine, "sachbearbeitung", "Sachbearbeitung")
    identity.create_group(engine, "kasse", "Kasse")
    for name, roles, groups in PEOPLE:
        identity.create_user(engine, name, name.title(), roles=roles, groups_=groups)


@pytest.fixture
def app(engine: Engine, people: None) -> Flask:
    return make_app(engine)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def bearer(engine: Engine, username: str, scopes: list[str] | None = None) -> dict[str, str]:
    if scopes is None:
        token = identity.create_api_token(engine, username, "test")[1]
    else:
        token = identity.create_api_token(engine, username, "test", scopes=scopes)[1]
    return {"Authorization": f"Bearer {token}"}


def as_user(client: FlaskClient, username: str) -> FlaskClient:
    return login_as(client, username)


def post_json(client: FlaskClient, url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    """A JSON POST; with a session (no token) it carries the CSRF header the API wants."""
    headers = dict(headers or {})
    if "Authorization" not in headers:
        headers["X-CSRFToken"] = csrf_token(client, "/")
    return client.post(url, json=body, headers=headers)
