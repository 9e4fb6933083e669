"""/engine-rest/process-instance/{id}/variables/{name} (GET, PUT, DELETE) and POST
/process-instance/{id}/variables (modifications and deletions): Camunda clients read a case's
variables as they read the instance; only owners and admins set or remove them."""

from __future__ import annotations

from engine.services import queries
from tests.engine_rest.conftest import Server
from tests.engine_rest.test_engine_rest import _deploy, _start

BASE = "/engine-rest/process-instance"


def test_an_owner_sets_and_removes_variables_one_by_one_and_together(rest: Server) -> None:
    _deploy(rest, "pruefung-extern.bpmn")
    case = _start(rest, "Erika", 5)
    owner = rest.basic("po")
    answer = rest.client.get(f"{BASE}/{case}/variables/betrag", headers=owner)
    assert answer.status_code == 200 and answer.get_json() == {"type": "Integer", "value": 5, "valueInfo": {}}

    answer = rest.client.put(f"{BASE}/{case}/variables/eilig", headers=owner, json={"value": "true", "type": "Boolean"})
    assert answer.status_code == 204, answer.get_data(as_text=True)
    assert rest.client.get(f"{BASE}/{case}/variables/eilig", headers=owner).get_json()["value"] is True

    answer = rest.client.delete(f"{BASE}/{case}/variables/betrag", headers=owner)
    assert answer.status_code == 204, answer.get_data(as_text=True)
    missing = rest.client.get(f"{BASE}/{case}/variables/betrag", headers=owner)
    assert missing.status_code == 404
    assert missing.get_json()["message"] == "process instance variable with name betrag does not exist"

    answer = rest.client.post(f"{BASE}/{case}/variables", headers=owner, json={
        "modifications": {"betrag": {"value": 12, "type": "Long"}, "notiz": {"value": '{"a": 1}', "type": "Json"}},
        "deletions": ["eilig"]})
    assert answer.status_code == 204, answer.get_data(as_text=True)
    view = queries.get_case(rest.engine, case)
    assert view["data"] == {"antragsteller": "Erika", "betrag": 12, "notiz": {"a": 1}}
    last = [h for h in view["history"] if h["action"] == "variables_set"][-1]
    assert last["actor"] == "po"
    assert (last["details"]["variables"], last["details"]["removed"]) == (["betrag", "notiz"], ["eilig"])


def test_clerks_read_the_variables_of_their_cases_and_change_none(rest: Server) -> None:
    _deploy(rest, "pruefung-extern.bpmn")
    case = _start(rest, "Erika", 5)          # started by sb1 (the API token's account)
    clerk = rest.bearer()
    assert rest.client.get(f"{BASE}/{case}/variables/betrag", headers=clerk).status_code == 200
    assert rest.client.get(f"{BASE}/{case}/variables/betrag", headers=rest.basic("sb2")).status_code == 404
    for answer in (rest.client.put(f"{BASE}/{case}/variables/betrag", headers=clerk, json={"value": 1}),
                   rest.client.delete(f"{BASE}/{case}/variables/betrag", headers=clerk),
                   rest.client.post(f"{BASE}/{case}/variables", headers=clerk, json={"deletions": ["betrag"]})):
        assert answer.status_code == 403 and answer.get_json()["type"] == "AuthorizationException"
    assert queries.get_case(rest.engine, case)["data"]["betrag"] == 5


def test_bad_modifications_change_nothing(rest: Server) -> None:
    _deploy(rest, "pruefung-extern.bpmn")
    case = _start(rest, "Erika", 5)
    owner = rest.basic("po")
    for payload in ({"deletions": "betrag"}, {"deletions": [1]},
                    {"modifications": {"betrag": {"value": "viel", "type": "Integer"}}},
                    {"modifications": {"betrag": {"value": 6}}, "deletions": ["betrag"]}):
        answer = rest.client.post(f"{BASE}/{case}/variables", headers=owner, json=payload)
        assert answer.status_code == 400 and answer.get_json()["type"] == "InvalidRequestException", payload
    assert queries.get_case(rest.engine, case)["data"] == {"antragsteller": "Erika", "betrag": 5}
    unknown = rest.client.delete(f"{BASE}/00000000-0000-0000-0000-000000000000/variables/betrag", headers=owner)
    assert unknown.status_code == 404
