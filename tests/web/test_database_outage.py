"""While the database does not answer (PostgreSQL restarted, failing over), the web answers 503
with its own page or problem document and a Retry-After, logs one line per request instead of
a stack trace, keeps the liveness probe green and the readiness probe red, and routes tenants
with the table it read last."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError

from engine.bootstrap import bootstrap
from engine.settings import Settings
from tests.web.conftest import make_app
from webui import tenant_web

NOWHERE = "postgresql://amtsflow@127.0.0.1:1/amtsflow"   # nobody listens on port 1


@pytest.fixture
def unreachable_app():
    engine = bootstrap(Settings(database_url=NOWHERE))
    app = make_app(engine)
    yield app
    engine.db.dispose()


def test_pages_api_and_engine_rest_answer_503_without_a_stack_trace(unreachable_app, caplog):
    client = unreachable_app.test_client()
    with caplog.at_level(logging.WARNING):
        page = client.get("/")
        api = client.get("/api/v1/tasks", headers={"Authorization": "Bearer irgendein-token"})
        english = client.get("/api/v1/tasks", headers={"Accept-Language": "en"})
        rest = client.get("/engine-rest/task", headers={"Authorization": "Basic c2I6eA=="})
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert "Der Dienst ist gerade nicht erreichbar" in page.get_data(as_text=True)
    assert api.status_code == 503 and api.mimetype == "application/problem+json"
    assert api.json["title"] == "Vorübergehend nicht verfügbar"
    assert api.json["detail"].startswith("Der Dienst ist gerade nicht erreichbar. Ihre Eingabe wurde nicht gespeichert.")
    assert english.status_code == 503 and english.json["detail"].startswith("The service cannot be reached right now.")
    assert rest.status_code == 503 and rest.json["type"] == "ProcessEngineException"
    assert rest.json["message"].startswith("the database does not answer:")
    assert not [r for r in caplog.records if r.exc_info], "a stack trace was logged"
    assert [r.levelno for r in caplog.records if "database does not answer" in r.getMessage()]


def test_liveness_stays_green_and_readiness_turns_red_with_or_without_a_token(unreachable_app):
    client = unreachable_app.test_client()
    for headers in ({}, {"Authorization": "Bearer irgendein-token"}):
        live = client.get("/health/live", headers=headers)
        assert live.status_code == 200 and live.json == {"status": "ok"}
        ready = client.get("/health/ready", headers=headers)
        assert ready.status_code == 503 and ready.json["status"] == "unavailable"
        assert ready.json["checks"]["database"].startswith("unavailable")


def test_other_database_errors_still_fail_loudly(web_engine):
    """Only a database that does not answer is a 503; a failing statement stays an error (500
    with its stack in the log; in tests it propagates)."""
    app = make_app(web_engine)

    @app.get("/kaputt")
    def broken():
        with web_engine.db.connect() as conn:
            conn.exec_driver_sql("SELECT * FROM gibt_es_nicht")

    with pytest.raises(OperationalError, match="gibt_es_nicht"):
        app.test_client().get("/kaputt")


def test_tenants_are_routed_with_the_table_read_last_while_the_database_does_not_answer(web_engine, monkeypatch):
    app = make_app(web_engine)
    client = app.test_client()
    router = app.extensions["amtsflow_tenant_router"]
    assert client.get("/").status_code == 200              # the table is read
    router.cache_seconds = 0                               # and would be read again at once
    calls = []

    def down(_engine):
        calls.append(1)
        raise OperationalError("SELECT tenants", {}, Exception("connection failed: Connection refused"))

    monkeypatch.setattr(tenant_web.tenant_service, "routing_table", down)
    assert client.get("/").status_code == 200              # the landing page reads nothing else
    assert calls, "the table was not asked for again"
    router.invalidate()                                    # no table to fall back on: 503
    assert client.get("/").status_code == 503
