"""Failed HTTP Basic sign-ins under /engine-rest are limited like the web sign-in
(AMTSFLOW_LOGIN_RATE_LIMIT), per client address and per account: beyond the limit the answer
is 429 in Camunda's error shape with Retry-After, even for the right password; a credential
verified shortly before keeps working, so guessing at a worker's account does not stop it."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from engine.settings import Settings
from tests.engine_rest.conftest import Server
from webui.engine_rest import base


def _basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


@pytest.fixture
def limited(rest: Server) -> Server:
    """The same engine behind an app whose rate limits are on (3 failures a minute)."""
    from webui.app import create_app

    settings = Settings(database_url=str(rest.engine.db.url.render_as_string(hide_password=False)),
                        secret_key="engine-rest-tests", demo=True, embedded_worker=False)
    app = create_app(settings, engine=rest.engine, test_config={"RATELIMIT_ENABLED": True,
                                                                "AMTSFLOW_LOGIN_RATE_LIMIT": "3 per minute"})
    base._basic_cache.clear()          # no credential verified by an earlier test
    return Server(rest.url, rest.engine, rest.passwords, rest.token, app.test_client())


def _get(rest: Server, headers: dict[str, str], address: str) -> Any:
    return rest.client.get("/engine-rest/version", headers=headers, environ_base={"REMOTE_ADDR": address})


def test_failures_are_limited_per_address_and_per_account(limited: Server) -> None:
    rest = limited
    right = {name: _basic(name, rest.passwords[name]) for name in ("sb1", "sb2", "kasse1")}
    assert _get(rest, right["kasse1"], "10.0.0.9").status_code == 200      # verified before the guessing
    for attempt in range(3):
        assert _get(rest, _basic("sb1", f"falsch{attempt}"), "10.0.0.1").status_code == 401
    for attempt in range(2):
        assert _get(rest, _basic("kasse1", f"falsch{attempt}"), "10.0.0.7").status_code == 401
    blocked = _get(rest, right["sb1"], "10.0.0.2")                         # the account is held up
    assert blocked.status_code == 429
    assert blocked.get_json()["type"] == "RestException" and "Too many failed sign-ins" in blocked.get_json()["message"]
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert _get(rest, right["sb2"], "10.0.0.1").status_code == 429        # and so is the address
    assert _get(rest, right["sb2"], "10.0.0.3").status_code == 200        # elsewhere, another account signs in
    assert _get(rest, _basic("kasse1", "falsch9"), "10.0.0.7").status_code == 401   # kasse1's third failure
    assert _get(rest, _basic("kasse1", "falsch8"), "10.0.0.8").status_code == 429
    assert _get(rest, right["kasse1"], "10.0.0.9").status_code == 200      # its verified worker goes on


def test_successful_sign_ins_are_not_counted(limited: Server) -> None:
    rest = limited
    for _ in range(5):
        base._basic_cache.clear()       # each one checks the password
        assert _get(limited, rest.basic("sb1"), "10.0.0.1").status_code == 200
