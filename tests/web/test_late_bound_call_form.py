"""A user task with a form inside a called process that the caller binds when the case gets
there (binding latest, the called process deployed after the caller, as Camunda 7 allows): the
clerk finds it in the inbox and the API, sees its form on the task page and completes it; the
form's fields are what the submission is checked against."""

from __future__ import annotations

from engine.services import cases, identity, queries
from engine.services.deploy import deploy, read_paths
from tests.integration.helpers import MODELS
from tests.web.conftest import login_as


def _bearer(engine, username: str) -> dict[str, str]:  # noqa: ANN001
    return {"Authorization": f"Bearer {identity.create_api_token(engine, username, 'test')[1]}"}


def test_clerk_sees_and_completes_the_form_of_a_late_bound_called_process(client, web_engine):
    caller = deploy(web_engine, read_paths([str(MODELS / "camunda/calls/call_pruefung.bpmn")]), actor="test")
    assert any("called process 'pruefung' is not deployed yet" in w.message for w in caller.warnings)
    deploy(web_engine, read_paths([str(MODELS / "camunda/calls/pruefung.bpmn")]), actor="test")
    case_id = cases.start_case(web_engine, "call_pruefung", {"antrag": "Hundesteuer"}, internal=True)
    [task] = queries.list_tasks(web_engine, case_id=case_id)
    assert (task["process_key"], task["element_id"]) == ("pruefung", "pruefen")
    assert task["candidate_groups"] == ["sachbearbeitung"]

    headers = _bearer(web_engine, "sb1")
    assert [t["id"] for t in client.get("/api/v1/tasks", headers=headers).get_json()] == [task["id"]]
    login_as(client, "sb1")
    page = client.get(f"/inbox/aufgaben/{task['id']}").get_data(as_text=True)
    assert "Entscheidung des Bausteins" in page and "Genehmigt" in page

    refused = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=headers,
                          json={"data": {"entscheidung": "genehmigt", "nicht_im_formular": 1}})
    assert refused.status_code == 422                 # only the called process's form fields
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=headers,
                       json={"data": {"entscheidung": "genehmigt"}})
    assert done.status_code == 200, done.get_data(as_text=True)
    case = queries.get_case(web_engine, case_id)
    assert case["status"] == "completed" and case["data"]["entscheidung"] == "genehmigt"


def test_the_studio_offers_the_late_bound_called_processs_fields_for_repair(client, web_engine):
    deploy(web_engine, read_paths([str(MODELS / "camunda/calls/call_pruefung.bpmn")]), actor="test")
    deploy(web_engine, read_paths([str(MODELS / "camunda/calls/pruefung.bpmn")]), actor="test")
    case_id = cases.start_case(web_engine, "call_pruefung", {"antrag": "Hundesteuer"}, internal=True)
    login_as(client, "po")
    page = client.get(f"/studio/vorgaenge/{case_id}").get_data(as_text=True)
    assert 'name="feld-entscheidung"' in page and "Entscheidung des Bausteins" in page
