"""POST /engine-rest/message as Camunda answers it: a message that matches no waiting case and
no start event is refused (400 RestException "Cannot correlate message ...") and not kept;
``all`` delivers to every waiting case and answers an empty result when none matches; a
message matching several cases without ``all`` is refused."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import func, select

from engine.persistence import tables as t
from engine.services import identity
from tests.engine_rest.conftest import MODELS, Server

NO_MATCH = ("org.camunda.bpm.engine.MismatchingMessageCorrelationException: Cannot correlate message "
            "'ZahlungEingegangen': No process definition or execution matches the parameters")


def _deploy(rest: Server, process_id: str) -> None:
    content = (MODELS / "zahlung.bpmn").read_text().replace('"zahlung"', f'"{process_id}"').encode()
    answer = rest.client.post("/engine-rest/deployment/create", headers=rest.basic("po"),
                              content_type="multipart/form-data",
                              data={f"{process_id}.bpmn": (io.BytesIO(content), f"{process_id}.bpmn")})
    assert answer.status_code == 200, answer.get_data(as_text=True)


def _system(rest: Server) -> dict[str, str]:
    _, token = identity.create_api_token(rest.engine, "sb1", "Kasse", scopes=["business_key"])
    return {"Authorization": f"Bearer {token}"}


def _start(rest: Server, headers: dict[str, str], key: str, business_key: str) -> str:
    answer = rest.client.post(f"/engine-rest/process-definition/key/{key}/start", headers=headers,
                              json={"businessKey": business_key, "variables": {"name": {"value": "E"}}})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return str(answer.get_json()["id"])


def _message(rest: Server, **body: Any) -> Any:
    return rest.client.post("/engine-rest/message", headers=rest.bearer(),
                            json={"messageName": "ZahlungEingegangen", **body})


def test_a_message_nobody_waits_for_is_refused_and_not_kept(rest: Server) -> None:
    _deploy(rest, "zahlung")
    for result_enabled in (False, True):
        refused = _message(rest, businessKey="AZ-1", resultEnabled=result_enabled)
        assert refused.status_code == 400
        assert refused.get_json()["type"] == "RestException" and refused.get_json()["message"] == NO_MATCH
    with rest.engine.db.connect() as conn:                  # not buffered for a case to come
        assert conn.execute(select(func.count()).select_from(t.messages)).scalar() == 0
    _start(rest, _system(rest), "zahlung", "AZ-1")
    assert [t["id"] for t in rest.client.get("/engine-rest/task", headers=rest.basic("sb1")).get_json()] == []
    assert _message(rest, businessKey="AZ-1").status_code == 204
    assert len(rest.client.get("/engine-rest/task", headers=rest.basic("sb1")).get_json()) == 1


def test_all_reaches_every_waiting_case_and_none_is_no_error(rest: Server) -> None:
    _deploy(rest, "zahlung")
    _deploy(rest, "zahlung-zwei")
    assert _message(rest, businessKey="AZ-2", all=True).status_code == 204
    empty = _message(rest, businessKey="AZ-2", all=True, resultEnabled=True)
    assert empty.status_code == 200 and empty.get_json() == []
    system = _system(rest)
    first, second = _start(rest, system, "zahlung", "AZ-2"), _start(rest, system, "zahlung-zwei", "AZ-2")
    several = _message(rest, businessKey="AZ-2")
    assert several.status_code == 400 and several.get_json()["type"] == "RestException"
    assert several.get_json()["message"].startswith(NO_MATCH.split(": No process")[0] + ": ")
    answer = _message(rest, businessKey="AZ-2", all=True, resultEnabled=True)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert sorted(r["execution"]["processInstanceId"] for r in answer.get_json()) == sorted([first, second])
    assert {r["resultType"] for r in answer.get_json()} == {"Execution"}
    assert len(rest.client.get("/engine-rest/task", headers=rest.basic("sb1")).get_json()) == 2
