"""Security fixtures: the web app on SQLite AND PostgreSQL, the test service deployed, one API
token per role (citizen, clerk, owner, admin; a system token where the project has one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest
from flask.testing import FlaskClient

from engine.bootstrap import Engine, bootstrap
from engine.ports import FakeClock
from engine.services import identity
from engine.services.deploy import deploy, read_paths
from engine.settings import Settings
from tests.web.conftest import make_app
from tests.web.helpers import MODELS, WEBANTRAG

# username, roles, groups (no passwords: tests sign in through the session or a token)
PEOPLE = [("erika", ["citizen"], []), ("sb1", ["clerk"], ["sachbearbeitung"]),
          ("sb2", ["clerk"], ["sachbearbeitung"]), ("po", ["owner"], []), ("admin", ["admin"], [])]
ROLE_USERS = {"citizen": "erika", "clerk": "sb1", "owner": "po", "admin": "admin"}


@dataclass
class Web:
    engine: Engine
    client: FlaskClient
    dialect: str
    tokens: dict[str, str] = field(default_factory=dict)     # role -> bearer token

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def count(self, table: Any) -> int:
        from sqlalchemy import func, select
        with self.engine.db.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _accounts(engine: Engine) -> dict[str, str]:
    for name, title in identity.DEMO_GROUPS.items():
        identity.create_group(engine, name, title)
    for username, roles, groups in PEOPLE:
        identity.create_user(engine, username, username.title(), roles=roles, groups_=groups)
    tokens = {role: identity.create_api_token(engine, user, f"{role}-test")[1] for role, user in ROLE_USERS.items()}
    # a back-office system: a clerk account's token that may also choose business keys
    tokens["system"] = identity.create_api_token(engine, "sb1", "system-test", scopes=["business_key"])[1]
    return tokens


@pytest.fixture
def web(database_url: str, clock: FakeClock) -> Iterator[Web]:
    engine = bootstrap(Settings(database_url=database_url), clock=clock)
    tokens = _accounts(engine)
    deploy(engine, read_paths([str(MODELS / n) for n in WEBANTRAG]), actor="po")
    app = make_app(engine)
    yield Web(engine, app.test_client(), engine.db.dialect.name, tokens)
    engine.db.dispose()
