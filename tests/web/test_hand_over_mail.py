"""A clerk who gets a task from a colleague ("Weitergeben") gets a mail with a link to it
(engine/services/notifications.py), sent by a worker through the mail connector."""

from __future__ import annotations

from sqlalchemy import select, update

from engine.jobs import JobExecutor
from engine.persistence import identity_tables as it
from engine.persistence import tables as t
from engine.services import cases, queries
from engine.services.deploy import deploy, read_paths
from tests.conftest import MODELS
from tests.processes.conftest import backoffices  # noqa: F401 - the simulators fixture
from tests.web.conftest import csrf_token, login_as


def _notifications(engine) -> list:  # noqa: ANN001
    with engine.db.connect() as conn:
        return list(conn.execute(select(t.jobs.c.id).where(t.jobs.c.kind == "notification")).scalars())


def _task(engine, key: str) -> dict:  # noqa: ANN001
    deploy(engine, read_paths([str(MODELS / "entwurf")]), actor="po")
    case_id = cases.start_case(engine, "entwurf", {}, internal=True, business_key=key)
    [task] = queries.list_tasks(engine, case_id=case_id)
    cases.claim(engine, task["id"], "sb1")
    return task


def test_the_colleague_gets_a_mail_with_a_link_to_the_task(client, web_engine, backoffices):  # noqa: F811
    web_engine.connectors.update(backoffices.connectors)
    task = _task(web_engine, "NT-2026-1")
    url = f"/inbox/aufgaben/{task['id']}"
    login_as(client, "sb1")
    answer = client.post(f"{url}/weitergeben", data={"csrf_token": csrf_token(client, url), "to_user": "sb2"})
    assert answer.status_code == 303 and queries.get_task(web_engine, task["id"])["assignee"] == "sb2"
    assert len(_notifications(web_engine)) == 1                 # written with the hand-over, sent by a worker
    assert backoffices.mails("NT-2026-1") == []
    JobExecutor(web_engine, "w").run_until_idle()
    [mail] = backoffices.mails("NT-2026-1")
    assert mail["to"] == ["sb2@musterstadt.example"]
    assert mail["subject"] == "Neue Aufgabe für Sie: Bescheid entscheiden (Vorgang NT-2026-1)"
    assert "Sabine Berger hat Ihnen die Aufgabe „Bescheid entscheiden“" in mail["body"]
    assert f"http://localhost{url}" in mail["body"] and _notifications(web_engine) == []


def test_no_mail_without_an_address_or_without_a_mail_connector(client, web_engine, backoffices):  # noqa: F811
    task = _task(web_engine, "NT-2026-2")                       # no mail connector installed here
    cases.delegate(web_engine, task["id"], "sb2", actor="sb1")
    assert _notifications(web_engine) == []
    web_engine.connectors.update(backoffices.connectors)
    with web_engine.db.begin() as conn:
        conn.execute(update(it.users).where(it.users.c.username == "sb1").values(email=None))
    cases.delegate(web_engine, task["id"], "sb1", actor="sb2")  # sb1 has no address
    assert _notifications(web_engine) == []
    cases.delegate(web_engine, task["id"], "sb2", actor="sb1")
    assert len(_notifications(web_engine)) == 1
