"""A running amtsflow (the WSGI app served over HTTP on 127.0.0.1, as the e2e tests do) on
SQLite and PostgreSQL, with demo accounts and an API token, for the Camunda clients."""

from __future__ import annotations

import base64
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from engine.bootstrap import bootstrap
from engine.services import identity
from engine.settings import Settings

MODELS = Path(__file__).parent / "models"
ROOT = Path(__file__).resolve().parents[2]


class Server:
    def __init__(self, url: str, engine: Any, passwords: dict[str, str], token: str, client: Any) -> None:
        self.url = url
        self.rest = url + "/engine-rest"
        self.engine = engine
        self.passwords = passwords
        self.token = token
        self.client = client          # the Flask test client of the same app

    def basic(self, username: str) -> dict[str, str]:
        raw = f"{username}:{self.passwords[username]}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def rest(database_url: str) -> Iterator[Server]:
    from webui.app import create_app

    settings = Settings(database_url=database_url, secret_key="engine-rest-tests", demo=True,
                        max_command_seconds=10.0, embedded_worker=False)
    engine = bootstrap(settings)
    passwords = identity.create_demo_accounts(engine).passwords
    _, token = identity.create_api_token(engine, "sb1", "Fachverfahren-Worker")
    app = create_app(settings, engine=engine, test_config={"RATELIMIT_ENABLED": False})
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)  # quick shutdown
    thread.start()
    yield Server(f"http://127.0.0.1:{http.server_port}", engine, passwords, token, app.test_client())
    from engine.services.external_wait import stop_listener

    stop_listener(engine)        # long polls of the (stopped) workers answer now, before the pool closes
    http.shutdown()
    time.sleep(0.2)
    engine.db.dispose()
