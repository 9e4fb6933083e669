"""What an API request costs the web process, without weakening what it checks: rate limits
configured for all routes still apply, the complete route answers without reading the task a
third time, a request without a session cookie builds no cookie machinery. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.bootstrap import Engine, bootstrap
from engine.ports import FakeClock
from engine.services import identity, queries
from engine.settings import Settings
from tests.conftest import TEST_COMMAND_SECONDS
from tests.web.conftest import deploy_webantrag, login_as, make_app

START = {"name": "E", "kennzeichen": "M-A 1", "anzahl": 1, "zustellung": "post", "einwilligung": True}


@pytest.fixture
def api_engine(database_url: str, clock: FakeClock) -> Iterator[Engine]:
    eng = bootstrap(Settings(database_url=database_url, max_command_seconds=TEST_COMMAND_SECONDS), clock=clock)
    identity.create_demo_accounts(eng)
    deploy_webantrag(eng)
    yield eng
    eng.db.dispose()


def _bearer(engine: Engine, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {identity.create_api_token(engine, username, 'test')[1]}"}


def _limited_app(engine: Engine, **config: Any) -> Flask:
    return make_app(engine, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", **config)


def test_a_configured_default_limit_still_applies_to_api_routes(api_engine):
    client = _limited_app(api_engine, RATELIMIT_DEFAULT="2 per minute").test_client()
    clerk = _bearer(api_engine, "sb1")
    statuses = [client.get("/api/v1/process-definitions", headers=clerk).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_configured_application_limit_still_applies_to_api_routes(api_engine):
    client = _limited_app(api_engine, RATELIMIT_APPLICATION="2 per minute").test_client()
    clerk = _bearer(api_engine, "sb1")
    statuses = [client.get("/api/v1/process-definitions", headers=clerk).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_route_without_limits_resolves_none(api_engine, monkeypatch):
    """No limit set for all routes: Flask-Limiter's per-request hook does not resolve limits
    (it found none, for about 5 % of an API request's CPU); a route's own limit still counts."""
    app = _limited_app(api_engine, AMTSFLOW_LOGIN_RATE_LIMIT="1 per minute")
    limiter = app.extensions["amtsflow_limiter"]
    resolved: list[Any] = []
    original = limiter.limit_manager.resolve_limits
    monkeypatch.setattr(limiter.limit_manager, "resolve_limits",
                        lambda *a, **k: resolved.append(a) or original(*a, **k))
    client = app.test_client()
    assert client.get("/api/v1/process-definitions", headers=_bearer(api_engine, "sb1")).status_code == 200
    assert resolved == []
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/anmelden", data={"username": "sb1", "password": "falsch"}).status_code == 400
    assert client.post("/anmelden", data={"username": "sb1", "password": "falsch"}).status_code == 429


def test_complete_answers_the_completed_task_without_reading_it_again(api_engine, monkeypatch):
    client = make_app(api_engine).test_client()
    citizen, clerk = _bearer(api_engine, "erika"), _bearer(api_engine, "sb1")
    assert client.post("/api/v1/cases", json={"key": "webantrag", "data": START}, headers=citizen).status_code == 201
    [task] = queries.list_tasks(api_engine, groups=["sachbearbeitung"])
    reads: list[str] = []
    original = queries.get_task
    monkeypatch.setattr(queries, "get_task", lambda engine, task_id: reads.append(task_id) or original(engine, task_id))
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"entscheidung": "genehmigt"}},
                       headers=clerk)
    assert done.status_code == 200
    assert reads == []            # who may complete it is decided on the command's own read of the task
    monkeypatch.undo()
    assert done.json == queries.get_task(api_engine, task["id"])   # what a read now would answer
    assert done.json["state"] == "completed"


def test_complete_still_checks_who_may_and_what_is_sent(api_engine):
    client = make_app(api_engine).test_client()
    citizen = _bearer(api_engine, "erika")
    client.post("/api/v1/cases", json={"key": "webantrag", "data": START}, headers=citizen)
    [task] = queries.list_tasks(api_engine, groups=["sachbearbeitung"])
    url = f"/api/v1/tasks/{task['id']}/complete"
    refused = client.post(url, json={"data": {"entscheidung": "genehmigt"}}, headers=citizen)
    assert refused.status_code == 404 and "dürfen sie nicht sehen" in refused.json["detail"]
    identity.create_user(api_engine, "sb9", "Andere Gruppe", roles=["clerk"])
    assert client.post(url, json={"data": {"entscheidung": "genehmigt"}},
                       headers=_bearer(api_engine, "sb9")).status_code == 404
    assert client.post("/api/v1/tasks/gibt-es-nicht/complete", json={"data": {}},
                       headers=_bearer(api_engine, "sb1")).status_code == 404
    assert client.post(url, json={"data": {"entscheidung": "x"}}, headers=_bearer(api_engine, "sb1")).status_code == 422
    assert queries.get_task(api_engine, task["id"])["state"] == "open"


def test_no_session_cookie_no_signing_serializer_and_no_cookie(api_engine, monkeypatch):
    app = make_app(api_engine)
    built: list[int] = []
    interface = app.session_interface
    original = interface.get_signing_serializer
    monkeypatch.setattr(interface, "get_signing_serializer", lambda a: built.append(1) or original(a))
    client = app.test_client()
    response = client.get("/api/v1/process-definitions", headers=_bearer(api_engine, "sb1"))
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert built == []


def test_a_session_still_works_and_is_saved(api_engine):
    client: FlaskClient = make_app(api_engine).test_client()
    login_as(client, "sb1")
    assert client.get("/api/v1/tasks").status_code == 200
    page = client.get("/?lang=en")              # changes the session: the cookie is set anew
    assert "Set-Cookie" in page.headers and client.get("/api/v1/tasks").status_code == 200


def test_security_headers_are_added_once(api_engine):
    client = make_app(api_engine).test_client()
    response = client.get("/api/v1/process-definitions", headers=_bearer(api_engine, "sb1"))
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Cache-Control"):
        assert len(response.headers.getlist(name)) == 1, name
    assert response.headers["Cache-Control"] == "no-store"


def test_a_checked_limit_still_sets_its_headers(api_engine):
    """Flask-Limiter's after-request hook runs when the request checked a limit: a route's own
    (the sign-in form) and one for all routes set X-RateLimit-* as before."""
    app = _limited_app(api_engine, AMTSFLOW_LOGIN_RATE_LIMIT="5 per minute")
    app.config["WTF_CSRF_ENABLED"] = False
    answer = app.test_client().post("/anmelden", data={"username": "sb1", "password": "falsch"})
    assert answer.headers.get("X-RateLimit-Limit") == "5" and answer.headers.get("X-RateLimit-Remaining") == "4"
    client = _limited_app(api_engine, RATELIMIT_DEFAULT="7 per minute").test_client()
    answer = client.get("/api/v1/process-definitions", headers=_bearer(api_engine, "sb1"))
    assert answer.status_code == 200 and answer.headers.get("X-RateLimit-Limit") == "7"


def test_a_request_that_checks_no_limit_leaves_the_limiter_alone(api_engine, monkeypatch):
    """No limit checked: the limiter's after-request and teardown hooks build no per-request
    state to find nothing in it (about 3 % of an API request's CPU)."""
    import flask_limiter._extension as extension

    built: list[Any] = []
    original = extension.LimiterContext
    monkeypatch.setattr(extension, "LimiterContext", lambda: built.append(1) or original())
    client = _limited_app(api_engine).test_client()
    answer = client.get("/api/v1/process-definitions", headers=_bearer(api_engine, "sb1"))
    assert answer.status_code == 200 and "X-RateLimit-Limit" not in answer.headers
    assert built == []
