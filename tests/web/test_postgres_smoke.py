"""One web smoke test on PostgreSQL: apply in the portal, decide in the inbox."""

from __future__ import annotations

import pytest

from engine.bootstrap import bootstrap
from engine.persistence.db import make_engine
from engine.ports import FakeClock
from engine.services import identity, queries
from engine.services.deploy import deploy, read_paths
from engine.settings import Settings
from tests.conftest import truncate_all
from tests.web.conftest import csrf_token, form_tokens, login_as, make_app
from tests.web.helpers import MODELS, WEBANTRAG
from tests.web.test_forms import VALID


@pytest.mark.postgres
def test_portal_and_inbox_on_postgres(pg_url):
    db = make_engine(pg_url)
    truncate_all(db)
    engine = bootstrap(Settings(database_url=pg_url), clock=FakeClock(), db=db)
    identity.create_demo_accounts(engine)
    deploy(engine, read_paths([str(MODELS / n) for n in WEBANTRAG]), actor="test")
    client = make_app(engine).test_client()
    login_as(client, "erika")
    hidden = form_tokens(client, "/leistungen/webantrag/antrag")
    assert client.post("/leistungen/webantrag/antrag", data={**hidden, **VALID}).status_code == 302
    login_as(client, "sb1")
    [task] = queries.list_tasks(engine, groups=["sachbearbeitung"])
    token = csrf_token(client, f"/inbox/aufgaben/{task['id']}")
    response = client.post(f"/inbox/aufgaben/{task['id']}", data={"csrf_token": token, "entscheidung": "genehmigt"})
    assert response.status_code == 302
    assert queries.get_case(engine, task["case_id"])["status"] == "completed"
    db.dispose()
