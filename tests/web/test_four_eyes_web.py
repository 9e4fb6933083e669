"""Issue 14.8 through the web: the clerk who took the first decision does not find the four-eyes task
in the inbox or in GET /api/v1/tasks, the task page says why and offers neither form nor claim,
and claiming over the API is refused (403); a colleague gets it offered."""

from __future__ import annotations

from engine.services import cases, identity, queries
from engine.services.deploy import deploy, read_paths
from tests.integration.helpers import MODELS
from tests.web.conftest import csrf_token, login_as


def _second_task(engine) -> dict:  # noqa: ANN001
    deploy(engine, read_paths([str(MODELS / "four_eyes.bpmn")]), actor="test")
    case_id = cases.start_case(engine, "vieraugen", {}, internal=True, business_key="VA-1")
    [first] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, first["id"], {}, actor="sb1")
    [second] = queries.list_tasks(engine, case_id=case_id)
    return second


def _bearer(engine, username: str) -> dict[str, str]:  # noqa: ANN001
    return {"Authorization": f"Bearer {identity.create_api_token(engine, username, 'test')[1]}"}


def test_inbox_and_task_page_do_not_offer_the_task_to_the_first_decider(client, web_engine):
    task = _second_task(web_engine)
    login_as(client, "sb1")
    inbox = client.get("/inbox/").get_data(as_text=True)
    assert task["id"] not in inbox and "Entscheidung freigeben" not in inbox
    page = client.get(f"/inbox/aufgaben/{task['id']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="four-eyes"' in text and "Vier-Augen-Prinzip" in text
    assert "/uebernehmen" not in text and 'id="form-start"' not in text and "Weitergeben" not in text
    token = csrf_token(client, f"/inbox/aufgaben/{task['id']}")
    assert client.post(f"/inbox/aufgaben/{task['id']}", data={"csrf_token": token}).status_code == 403
    claimed = client.post(f"/inbox/aufgaben/{task['id']}/uebernehmen", data={"csrf_token": token},
                          follow_redirects=True).get_data(as_text=True)
    assert "Vier-Augen-Prinzip" in claimed
    assert queries.get_task(web_engine, task["id"])["assignee"] is None

    login_as(client, "sb2")
    inbox = client.get("/inbox/").get_data(as_text=True)
    assert "Entscheidung freigeben" in inbox
    page = client.get(f"/inbox/aufgaben/{task['id']}").get_data(as_text=True)
    assert 'id="four-eyes"' not in page and "/uebernehmen" in page
    assert '<option value="sb1">' not in page      # no delegation to the excluded colleague


def test_api_leaves_the_task_out_and_refuses_the_claim(client, web_engine):
    task = _second_task(web_engine)
    first, second = _bearer(web_engine, "sb1"), _bearer(web_engine, "sb2")
    listed = client.get("/api/v1/tasks", headers=first)
    assert [t["id"] for t in listed.get_json()] == [] and listed.headers["X-Total-Count"] == "0"
    assert [t["id"] for t in client.get("/api/v1/tasks", headers=second).get_json()] == [task["id"]]
    refused = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=first)
    assert refused.status_code == 403 and "Vier-Augen-Prinzip" in refused.get_data(as_text=True)
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=second).status_code == 200
