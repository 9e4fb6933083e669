"""`amtsflow serve`'s request threads keep their database connection across requests
(create_app(keep_connections=True), engine.persistence.db.keep_connection): on PostgreSQL a
request thread of such an app holds one pooled connection after its first request; an app built
without it (tests, waitress on SQLite) does not. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

from engine.bootstrap import bootstrap
from engine.persistence import db as dbmod
from engine.settings import Settings
from webui.app import create_app


def _request_in_a_new_thread(app: Any) -> tuple[int, bool]:
    """The status of GET /health/live from a new thread, and whether that thread keeps a
    connection afterwards."""
    answer: list[tuple[int, bool]] = []

    def run() -> None:
        status = app.test_client().get("/health/live").status_code
        answer.append((status, getattr(dbmod._PINNED, "pin", None) is not None))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return answer[0]


def test_request_threads_of_the_server_keep_their_connection(database_url: str) -> None:
    settings = Settings(database_url=database_url, secret_key="test-secret")
    engine = bootstrap(settings)
    try:
        kept = create_app(settings, engine=engine, test_config={"TESTING": True}, keep_connections=True)
        plain = create_app(settings, engine=engine, test_config={"TESTING": True})
        postgres = database_url.startswith("postgresql")
        assert _request_in_a_new_thread(kept) == (200, postgres)
        assert _request_in_a_new_thread(plain) == (200, False)
    finally:
        engine.db.dispose()
