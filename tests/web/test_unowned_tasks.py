"""A task the model gives to nobody reaches the process owners' inbox and the task API; whoever
started the case can follow it."""

from __future__ import annotations

from engine.runtime.task_owners import OWNERS_GROUP
from engine.services import cases, queries
from engine.services.deploy import SourceFile, deploy
from tests.integration.test_unowned_tasks import CAMUNDA
from tests.web.conftest import login_as


def test_owner_sees_the_unowned_task_and_the_starter_the_case(client, web_engine) -> None:
    deploy(web_engine, [SourceFile("cam.bpmn", CAMUNDA.encode())], actor="po")
    case_id = cases.start_case(web_engine, "cam", {}, actor="sb1")
    [task] = queries.list_tasks(web_engine, case_id=case_id)
    assert task["candidate_groups"] == [OWNERS_GROUP]

    login_as(client, "po")
    inbox = client.get("/inbox/")
    assert inbox.status_code == 200 and f"/inbox/aufgaben/{task['id']}" in inbox.get_data(as_text=True)
    assert [t["id"] for t in client.get("/api/v1/tasks").get_json()] == [task["id"]]
    assert client.get(f"/api/v1/cases/{case_id}").status_code == 200
    assert client.get(f"/inbox/aufgaben/{task['id']}").status_code == 200

    login_as(client, "sb1")                  # started the case, not in the owners' group
    assert task["id"] not in [t["id"] for t in client.get("/api/v1/tasks").get_json()]
    assert client.get(f"/api/v1/cases/{case_id}").status_code == 200
    login_as(client, "sb2")                  # neither started it nor may work on it
    assert client.get(f"/api/v1/cases/{case_id}").status_code == 404
