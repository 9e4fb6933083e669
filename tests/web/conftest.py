"""Web fixtures: an app on a fresh SQLite database with the demo accounts and the test service."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.bootstrap import Engine, bootstrap
from engine.ports import FakeClock
from engine.services import identity
from engine.services.deploy import deploy, read_paths
from engine.settings import Settings
from tests.conftest import TEST_COMMAND_SECONDS
from tests.web.helpers import MODELS, WEBANTRAG
from webui.app import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def web_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Migrated database with the demo accounts (password hashing is slow: done once per session)."""
    path = tmp_path_factory.mktemp("web") / "web.sqlite"
    shutil.copy(sqlite_template, path)
    eng = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=FakeClock())
    passwords = identity.create_demo_accounts(eng).passwords
    eng.db.dispose()
    return path, passwords


@pytest.fixture
def web_engine(web_template: tuple[Path, dict[str, str]], tmp_path: Path, clock: FakeClock) -> Iterator[Engine]:
    path = tmp_path / "web.sqlite"
    shutil.copy(web_template[0], path)
    # (the production budget of 1 s per command turned a start on a loaded machine into an incident)
    eng = bootstrap(Settings(database_url=f"sqlite:///{path}", max_command_seconds=TEST_COMMAND_SECONDS), clock=clock)
    yield eng
    eng.db.dispose()


@pytest.fixture
def passwords(web_template: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return web_template[1]


def deploy_webantrag(engine: Engine) -> Any:
    return deploy(engine, read_paths([str(MODELS / n) for n in WEBANTRAG]), actor="test")


@pytest.fixture
def deployed(web_engine: Engine) -> Any:
    return deploy_webantrag(web_engine)


def make_app(engine: Engine, connector_config: dict[str, str] | None = None, **config: Any) -> Flask:
    test_config = {"TESTING": True, "RATELIMIT_ENABLED": False, "AMTSFLOW_FITCONNECT": {"routes": {}}, **config}
    settings = Settings(database_url=str(engine.db.url), secret_key="test-secret",
                        connector_config=connector_config or {})
    return create_app(settings, engine=engine, test_config=test_config)


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


APPLICATION_TOKEN = re.compile(r'name="antrag_id" value="([^"]+)"')


def form_tokens(client: FlaskClient, path: str) -> dict[str, str]:
    """The hidden fields of a form page: the CSRF token and, on an application form, the
    application token that makes a resend start no second case."""
    page = client.get(path).get_data(as_text=True)
    csrf, application = CSRF.search(page), APPLICATION_TOKEN.search(page)
    assert csrf, f"no CSRF token on {path}"
    return {"csrf_token": csrf.group(1), **({"antrag_id": application.group(1)} if application else {})}


def csrf_token(client: FlaskClient, path: str = "/anmelden") -> str:
    page = client.get(path).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def incident(web_engine: Engine) -> dict[str, str]:
    """A case whose service task ended in an open incident (an uncaught business error)."""
    return make_incident(web_engine)


def make_incident(web_engine: Engine) -> dict[str, str]:
    from engine.jobs import JobExecutor
    from engine.services import cases, incidents
    from tests.fakes import FakeConnector
    connector = FakeConnector()
    web_engine.connectors["test"] = connector
    deploy(web_engine, read_paths([str(Path(__file__).parents[1] / "models" / "service.bpmn")]), actor="po")
    connector.answer("lookup", bpmn_error="UNBEKANNT")
    case_id = cases.start_case(web_engine, "service", {"name": "Erika"}, business_key="2026-STOER1", actor="sb1", internal=True)
    JobExecutor(web_engine, "w1").run_until_idle()
    [item] = incidents.list_incidents(web_engine, case_id=case_id)
    connector.answer("lookup", {"found": True, "name": "Erika"})
    return {"case": case_id, "incident": item["id"]}
