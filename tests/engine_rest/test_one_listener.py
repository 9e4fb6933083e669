"""A web process holds one LISTEN connection however many channels it listens on
(engine/persistence/notify.py): a task long poll (amtsflow_tasks), a fetchAndLock long poll
(amtsflow_jobs) and a request with an API token (the token cache's amtsflow_accounts) share it.
PostgreSQL only (SQLite has no NOTIFY)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from engine.bootstrap import bootstrap
from engine.services import identity, task_wait
from engine.services.external_wait import stop_listener
from engine.settings import Settings
from tests.engine_rest.test_engine_rest import FETCH, _deploy, _start
from tests.engine_rest.conftest import Server

pytestmark = pytest.mark.postgres


def _listen_connections(engine: Any, name: str) -> int:
    """Backends of ``engine``'s process (its own application_name) whose last statement was a LISTEN."""
    with engine.db.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                                     "AND query LIKE 'LISTEN%'"), {"name": name}).scalar_one())


def test_a_web_process_holds_one_listener_connection(pg_url: str) -> None:
    from tests.conftest import truncate_all
    from webui.app import create_app

    name = f"amtsflow-test-{uuid.uuid4().hex[:12]}"     # this engine's connections, the listener's too
    settings = Settings(database_url=f"{pg_url}?application_name={name}", secret_key="one-listener", demo=True,
                        max_command_seconds=10.0, embedded_worker=False)
    engine = bootstrap(settings)
    truncate_all(engine.db)
    passwords = identity.create_demo_accounts(engine).passwords
    _, token = identity.create_api_token(engine, "sb1", "Fachverfahren")
    app = create_app(settings, engine=engine, test_config={"RATELIMIT_ENABLED": False})
    rest = Server("http://unused", engine, passwords, token, app.test_client())
    try:
        _deploy(rest, "pruefung-extern.bpmn")
        case_id = _start(rest)                                             # a request with the token
        waited = rest.client.get(f"/api/v1/cases/{case_id}/tasks?wait=0.2", headers=rest.bearer())
        assert waited.status_code == 200 and waited.get_json() == []       # a task long poll
        fetched = rest.client.post(FETCH, headers=rest.bearer(), json={    # a fetchAndLock long poll
            "workerId": "w", "maxTasks": 1, "asyncResponseTimeout": 200,
            "topics": [{"topicName": "anderes-thema", "lockDuration": 1000}]})
        assert fetched.status_code == 200 and fetched.get_json() == []
        cache = app.extensions["amtsflow_token_cache"]
        subscriptions = (engine.task_listener, engine.external_listener, cache.start())
        assert all(s and s.listening.wait(5) for s in subscriptions)
        assert _listen_connections(engine, name) == 1
    finally:
        task_wait.stop_listener(engine)
        stop_listener(engine)
        engine.db.dispose()
