"""POST /engine-rest/message addresses one subscription as Camunda's REST API does: by
business key, processInstanceId, correlationKeys (case variables), localCorrelationKeys
(variables of the waiting activity instance) or all of them with ``all`` (issue 11)."""

from __future__ import annotations

from typing import Any

from engine.runtime.parsing import SourceFile
from engine.services import cases, queries
from engine.services.deploy import deploy
from tests.camunda_scenarios.test_semantics_message_instances import MI_RECEIVE
from tests.engine_rest.conftest import Server


def _post(rest: Server, **body: Any) -> Any:
    return rest.client.post("/engine-rest/message", headers=rest.bearer(), json={"messageName": "antwort", **body})


def _open(rest: Server, case_id: str) -> list[str]:
    return sorted(t["element_id"] for t in queries.get_case(rest.engine, case_id)["open_tasks"])


def test_local_correlation_keys_reach_one_instance_and_all_reaches_each(rest: Server) -> None:
    deploy(rest.engine, [SourceFile("umfrage.bpmn", MI_RECEIVE)])
    case = cases.start_case(rest.engine, "umfrage", {"stellen": ["a", "b", "c"], "art": "umfrage"}, internal=True)
    other = cases.start_case(rest.engine, "umfrage", {"stellen": ["d"], "art": "andere"}, internal=True)

    several = _post(rest, processInstanceId=case)
    assert several.status_code == 400 and several.get_json()["type"] == "RestException"
    assert "3 waits of one case" in several.get_json()["message"]
    none = _post(rest, processInstanceId=case, localCorrelationKeys={"stelle": {"value": "x", "type": "String"}})
    assert none.status_code == 400 and none.get_json()["type"] == "RestException"

    elsewhere = _post(rest, processInstanceId=case, tenantId="beispieldorf",
                      localCorrelationKeys={"stelle": {"value": "b", "type": "String"}})
    assert elsewhere.status_code == 403 and elsewhere.get_json()["type"] == "AuthorizationException"
    one = _post(rest, processInstanceId=case, localCorrelationKeys={"stelle": {"value": "b", "type": "String"}},
                resultEnabled=True, tenantId="default")   # its own tenant named: as without
    assert one.status_code == 200, one.get_data(as_text=True)
    assert [r["execution"]["processInstanceId"] for r in one.get_json()] == [case]
    assert _open(rest, case) == ["pruefen"]

    by_variables = _post(rest, correlationKeys={"art": {"value": "andere", "type": "String"}})
    assert by_variables.status_code == 204 and _open(rest, other) == ["pruefen"]

    every = _post(rest, all=True, correlationKeys={"art": {"value": "umfrage", "type": "String"}},
                  resultEnabled=True)
    assert every.status_code == 200 and [r["execution"]["processInstanceId"] for r in every.get_json()] == [case]
    assert _open(rest, case) == ["pruefen", "pruefen", "pruefen"]
