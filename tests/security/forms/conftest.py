"""Scenario rig for security tests on the standard processes: the back-office simulators, the
engine on SQLite and PostgreSQL (tests/processes), and a web client on that same engine.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.services import identity
from tests.processes.conftest import Scenario, backoffices, scenario  # noqa: F401  (fixtures used here)
from tests.web.conftest import csrf_token, login_as, make_app


class Portal:
    """A test client on the scenario's engine; accounts are created without passwords."""

    def __init__(self, s: Scenario) -> None:
        self.s = s
        self.client: FlaskClient = make_app(s.engine).test_client()

    def user(self, username: str, *, roles: list[str], groups: list[str] | None = None) -> None:
        if identity.get_user(self.s.engine, username) is None:
            identity.create_user(self.s.engine, username, username.title(), roles=roles, groups_=groups or [])

    def as_user(self, username: str) -> FlaskClient:
        return login_as(self.client, username)

    def api(self, method: str, path: str, username: str, body: Any) -> Any:
        """A JSON API call with the user's browser session (CSRF header included)."""
        client = self.as_user(username)
        token = csrf_token(client, "/meine-antraege" if username == "erika" else "/inbox/")
        return client.open(path, method=method, json=body, headers={"X-CSRFToken": token})


@pytest.fixture
def portal(scenario: Scenario) -> Portal:  # noqa: F811
    w = Portal(scenario)
    if not identity.list_groups(scenario.engine):
        identity.create_group(scenario.engine, "sachbearbeitung", "Sachbearbeitung")
    w.user("erika", roles=["citizen"])
    w.user("max", roles=["citizen"])
    w.user("sb1", roles=["clerk"], groups=["sachbearbeitung"])
    return w
