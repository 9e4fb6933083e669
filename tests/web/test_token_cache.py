"""API tokens a web process keeps (engine/services/token_cache.py): on PostgreSQL a request does
not read a token this process has identified again, and a change to the token, its account or the
account's groups made anywhere (here: through another app instance with an engine of its own,
as another gunicorn process or a CLI command would) ends that at once, through migration 0028's
NOTIFY. SQLite keeps nothing. The last use is still recorded. SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.bootstrap import Engine, bootstrap
from engine.ports import FakeClock
from engine.services import identity
from engine.settings import Settings
from tests.conftest import TEST_COMMAND_SECONDS
from tests.web.conftest import make_app

TASKS = "/api/v1/tasks"        # clerks and owners; answers 401 without a valid token


def _migration_0028() -> Any:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "engine/persistence/migrations/versions/0028_account_notify.py"
    spec = importlib.util.spec_from_file_location("migration_0028", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _engine(database_url: str, clock: FakeClock) -> Engine:
    return bootstrap(Settings(database_url=database_url, max_command_seconds=TEST_COMMAND_SECONDS), clock=clock)


@pytest.fixture
def engines(database_url: str, clock: FakeClock) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one database: the web process under test, and "another process"."""
    web, other = _engine(database_url, clock), _engine(database_url, clock)
    identity.create_group(other, "sachbearbeitung", "Sachbearbeitung")
    identity.create_user(other, "fv", "Fachverfahren", roles=["clerk"], groups_=["sachbearbeitung"])
    yield web, other
    web.db.dispose()
    other.db.dispose()


@pytest.fixture
def token(engines: tuple[Engine, Engine]) -> tuple[str, str]:
    return identity.create_api_token(engines[1], "fv", "test")


def _app(engine: Engine) -> Flask:
    app = make_app(engine)
    cache = app.extensions["amtsflow_token_cache"]
    if cache.enabled:           # as in production, requests use it once it listens
        cache.start().listening.wait(5)
    return app


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    original = identity.identify_token
    monkeypatch.setattr(identity, "identify_token", lambda engine, t: reads.append(t) or original(engine, t))
    return reads


def _kept(client: FlaskClient, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch, postgres: bool) -> None:
    """Two requests, the token read once on PostgreSQL (the second from the cache). The cache
    keeps a token only while its subscription listens: wait for that first (on a loaded machine
    the LISTEN connection may open after the first request's read)."""
    if postgres:
        assert client.application.extensions["amtsflow_token_cache"].start().listening.wait(10)
    reads = _reads(monkeypatch)
    assert [client.get(TASKS, headers=headers).status_code for _ in range(2)] == [200, 200]
    assert len(reads) == (1 if postgres else 2)
    monkeypatch.undo()


def _status_soon(client: FlaskClient, headers: dict[str, str], wanted: int) -> int:
    """The status once it is ``wanted`` (or the last one after 5 s: the notification of another
    process's commit reaches this one a moment after the commit), -1 when the next request
    answers otherwise."""
    deadline = time.monotonic() + 5
    while True:
        status = client.get(TASKS, headers=headers).status_code
        if status == wanted or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    return status if client.get(TASKS, headers=headers).status_code == status else -1   # and stays so


def test_postgres_reads_a_token_once_sqlite_on_every_request(engines, token, monkeypatch, database_url):
    client = _app(engines[0]).test_client()
    reads = _reads(monkeypatch)
    headers = {"Authorization": f"Bearer {token[1]}"}
    assert [client.get(TASKS, headers=headers).status_code for _ in range(3)] == [200, 200, 200]
    assert len(reads) == (1 if database_url.startswith("postgresql") else 3)
    wrong = {"Authorization": f"Bearer {token[1]}x"}
    assert [client.get(TASKS, headers=wrong).status_code for _ in range(2)] == [401, 401]   # unknown: never kept


def test_a_token_revoked_by_another_process_stops_working(engines, token, monkeypatch, database_url):
    client = _app(engines[0]).test_client()
    headers = {"Authorization": f"Bearer {token[1]}"}
    _kept(client, headers, monkeypatch, database_url.startswith("postgresql"))
    identity.revoke_api_token(engines[1], token[0])
    assert _status_soon(client, headers, 401) == 401


def test_an_account_deactivated_by_another_process_stops_its_tokens(engines, token, monkeypatch, database_url):
    client = _app(engines[0]).test_client()
    headers = {"Authorization": f"Bearer {token[1]}"}
    _kept(client, headers, monkeypatch, database_url.startswith("postgresql"))
    identity.update_user(engines[1], "fv", active=False)
    assert _status_soon(client, headers, 401) == 401


def test_roles_and_groups_changed_by_another_process_count(engines, token, monkeypatch, database_url):
    app = _app(engines[0])
    client, cache = app.test_client(), app.extensions["amtsflow_token_cache"]
    headers = {"Authorization": f"Bearer {token[1]}"}
    _kept(client, headers, monkeypatch, database_url.startswith("postgresql"))
    identity.update_user(engines[1], "fv", roles=["citizen"])           # no longer staff
    assert _status_soon(client, headers, 403) == 403
    identity.update_user(engines[1], "fv", roles=["clerk"], groups_=[])
    deadline = time.monotonic() + 5
    while (found := cache.identify(token[1])) is not None and found.user.groups and time.monotonic() < deadline:
        time.sleep(0.01)
    assert found is not None and found.user.groups == () and found.user.roles == ("clerk",)


def test_the_last_use_is_still_recorded(engines, token, clock):
    client = _app(engines[0]).test_client()
    headers = {"Authorization": f"Bearer {token[1]}"}
    assert client.get(TASKS, headers=headers).status_code == 200
    first = clock.now()
    clock.advance(timedelta(minutes=2))
    assert client.get(TASKS, headers=headers).status_code == 200
    [listed] = identity.list_api_tokens(engines[1])
    assert listed.last_used_at is not None and listed.last_used_at > first


@pytest.mark.postgres
def test_without_the_triggers_every_request_reads_its_token(pg_url, clock, monkeypatch):
    from sqlalchemy import text

    from tests.conftest import truncate_all

    web = _engine(pg_url, clock)
    truncate_all(web.db)
    identity.create_user(web, "fv", "Fachverfahren", roles=["clerk"])
    _id, secret = identity.create_api_token(web, "fv", "test")
    with web.db.begin() as conn:
        conn.execute(text("DROP TRIGGER users_account_notify ON users"))
    try:
        app = make_app(web)
        client = app.test_client()
        reads = _reads(monkeypatch)
        headers = {"Authorization": f"Bearer {secret}"}
        for _ in range(3):
            assert client.get(TASKS, headers=headers).status_code == 200
            time.sleep(0.2)     # the listener found no triggers meanwhile
        assert len(reads) == 3
    finally:
        with web.db.begin() as conn:
            conn.execute(text(f"CREATE TRIGGER users_account_notify AFTER {_migration_0028().TRIGGERS['users']} "
                              "ON users FOR EACH STATEMENT EXECUTE FUNCTION amtsflow_account_notify()"))
        web.db.dispose()


def _notify(engine: Engine, channel: str, payload: str) -> None:
    from sqlalchemy import text

    with engine.db.connect() as conn:
        conn.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload})
        conn.commit()


def test_a_task_notification_keeps_the_tokens_an_accounts_notification_forgets_them(
        engines, token, monkeypatch, database_url):
    """The cache shares the process's listener connection with the task channel (two
    notifications per case under load): only ``amtsflow_accounts`` makes it forget."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL: NOTIFY")
    from engine.services import task_wait

    web, other = engines
    client = _app(web).test_client()
    task_wait.ensure_listener(web)
    try:
        headers = {"Authorization": f"Bearer {token[1]}"}
        _kept(client, headers, monkeypatch, True)
        reads = _reads(monkeypatch)
        with web.task_bells.waiting("fall-1") as bell:
            seen = bell.rings
            _notify(other, "amtsflow_tasks", "fall-1")
            assert bell.wait(seen, 5) != seen                 # handed to the task waiters
        assert client.get(TASKS, headers=headers).status_code == 200
        assert reads == []                                    # still kept
        cache = client.application.extensions["amtsflow_token_cache"]
        _notify(other, "amtsflow_accounts", "")
        deadline = time.monotonic() + 5
        while cache._entries and time.monotonic() < deadline:
            time.sleep(0.01)
        assert client.get(TASKS, headers=headers).status_code == 200
        assert reads == [token[1]]                            # forgotten: read again
    finally:
        task_wait.stop_listener(web)
