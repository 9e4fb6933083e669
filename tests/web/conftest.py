"""Web fixtures: an app on a fresh SQLite database with the demo accounts and the test service."""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.bootstrap import Engine, bootstrap
from engine.ports import FakeClock
from engine.services import identity
from engine.services.deploy import deploy, read_paths
from engine.settings import Settings
from tests.web.helpers import MODELS, WEBANTRAG
from webui.app import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def web_engine(sqlite_url: str, clock: FakeClock) -> Iterator[Engine]:
    eng = bootstrap(Settings(database_url=sqlite_url), clock=clock)
    yield eng
    eng.db.dispose()


@pytest.fixture
def passwords(web_engine: Engine) -> dict[str, str]:
    return identity.create_demo_accounts(web_engine).passwords


@pytest.fixture
def deployed(web_engine: Engine) -> Any:
    return deploy(web_engine, read_paths([str(MODELS / n) for n in WEBANTRAG]), actor="test")


def make_app(engine: Engine, **config: Any) -> Flask:
    test_config = {"TESTING": True, "RATELIMIT_ENABLED": False, **config}
    return create_app(Settings(database_url=str(engine.db.url), secret_key="test-secret"), engine=engine,
                      test_config=test_config)


@pytest.fixture
def app(web_engine: Engine, passwords: dict[str, str]) -> Flask:
    return make_app(web_engine)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login_as(client: FlaskClient, username: str | None) -> FlaskClient:
    """Sign in by setting the session (the sign-in flows themselves have their own tests)."""
    with client.session_transaction() as session:
        session.clear()
        if username:
            session["user"] = username
    return client


def csrf_token(client: FlaskClient, path: str = "/anmelden") -> str:
    page = client.get(path).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)
