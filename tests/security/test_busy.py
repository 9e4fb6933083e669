"""Issue 12 part 7: while another writer holds the SQLite write lock, a request answers
"the system is busy" (503, Retry-After, German) soon after the busy timeout, and is not
mistaken for a revision conflict ("von jemand anderem bearbeitet")."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from engine.bootstrap import bootstrap
from engine.domain.errors import Conflict, DatabaseBusy
from engine.services import queries
from engine.settings import Settings
from tests.security.conftest import _accounts
from tests.security.test_bad_input import VALID
from tests.web.conftest import csrf_token, login_as, make_app
from engine.services.deploy import deploy, read_paths
from tests.web.helpers import MODELS, WEBANTRAG
from webui.errors import status_of


@pytest.fixture
def busy_web(sqlite_url, clock):
    engine = bootstrap(Settings(database_url=sqlite_url, sqlite_busy_seconds=0.3), clock=clock)
    tokens = _accounts(engine)
    deploy(engine, read_paths([str(MODELS / n) for n in WEBANTRAG]), actor="po")
    yield engine, make_app(engine).test_client(), {"Authorization": f"Bearer {tokens['clerk']}"}
    engine.db.dispose()


def _hold_write_lock(url: str) -> sqlite3.Connection:
    holder = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_held_write_lock_gives_503_busy_not_a_conflict(busy_web, sqlite_url):
    engine, client, clerk = busy_web
    started = client.post("/api/v1/cases", json={"key": "webantrag", "data": VALID}, headers=clerk)
    assert started.status_code == 201
    [task] = queries.list_tasks(engine, groups=["sachbearbeitung"])
    holder = _hold_write_lock(sqlite_url)
    try:
        for path, body in (("/api/v1/cases", {"key": "webantrag", "data": VALID}),
                           (f"/api/v1/tasks/{task['id']}/complete", {"data": {"entscheidung": "genehmigt"}})):
            began = time.monotonic()
            response = client.post(path, data=json.dumps(body), content_type="application/json", headers=clerk)
            elapsed = time.monotonic() - began
            assert response.status_code == 503, response.get_data(as_text=True)
            assert response.headers["Retry-After"].isdigit()
            detail = response.get_json()["detail"]
            assert "ausgelastet" in detail and "jemand anderem" not in detail
            assert elapsed < 5, f"{path} waited {elapsed:.1f} s (retried the busy timeout again and again)"
        login_as(client, "sb1")
        token = csrf_token(client, "/inbox/")
        page = client.post(f"/inbox/aufgaben/{task['id']}/uebernehmen", data={"csrf_token": token},
                           follow_redirects=True)
        assert "ausgelastet" in page.get_data(as_text=True) and "jemand anderem" not in page.get_data(as_text=True)
    finally:
        holder.rollback()
        holder.close()
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"entscheidung": "genehmigt"}},
                       headers=clerk)
    assert done.status_code == 200


def test_busy_and_conflict_map_to_different_answers():
    assert status_of(DatabaseBusy("database is locked")) == 503
    assert status_of(Conflict("stale revision")) == 409
    assert "ausgelastet" in DatabaseBusy("x").user_message
