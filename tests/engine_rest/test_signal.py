"""POST /engine-rest/signal as Camunda's REST API answers it: every case waiting for the signal
receives it with its variables (204); ``executionId`` (a process instance id here) limits it to
that case, 400 when that case does not wait for it; no name is 400; ``tenantId`` may name only
the request's own municipality, another is 403 (tests/security/test_tenant_isolation.py checks that it
stays in its own)."""

from __future__ import annotations

import io

from engine.services import queries
from tests.engine_rest.conftest import MODELS, Server


def _start(rest: Server) -> str:
    answer = rest.client.post("/engine-rest/process-definition/key/frist/start", headers=rest.basic("sb1"), json={})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return str(answer.get_json()["id"])


def test_a_signal_reaches_one_execution_or_every_waiting_case(rest: Server) -> None:
    deployed = rest.client.post("/engine-rest/deployment/create", headers=rest.basic("po"),
                                content_type="multipart/form-data",
                                data={"frist.bpmn": (io.BytesIO((MODELS / "frist_signal.bpmn").read_bytes()), "frist.bpmn")})
    assert deployed.status_code == 200, deployed.get_data(as_text=True)
    first, second = _start(rest), _start(rest)
    signal = "/engine-rest/signal"
    assert rest.client.post(signal, json={"name": "fristverlaengerung"}).status_code == 401
    nameless = rest.client.post(signal, headers=rest.bearer(), json={"variables": {}})
    assert nameless.status_code == 400 and nameless.get_json()["message"] == "No signal name given"
    other = rest.client.post(signal, headers=rest.bearer(), json={"name": "fristverlaengerung", "tenantId": "beispieldorf"})
    assert other.status_code == 403 and other.get_json()["type"] == "AuthorizationException"

    one = rest.client.post(signal, headers=rest.bearer(), json={   # its own tenant named: as without
        "name": "fristverlaengerung", "executionId": first, "tenantId": "default",
        "variables": {"neueFrist": {"value": "2026-03-31", "type": "String"}}})
    assert one.status_code == 204, one.get_data(as_text=True)
    done = queries.get_case(rest.engine, first)
    assert done["status"] == "completed" and done["data"]["neueFrist"] == "2026-03-31"
    assert queries.get_case(rest.engine, second)["status"] != "completed"         # only that execution
    again = rest.client.post(signal, headers=rest.bearer(), json={"name": "fristverlaengerung", "executionId": first})
    assert again.status_code == 400 and first in again.get_json()["message"]       # it waits no more

    every = rest.client.post(signal, headers=rest.bearer(), json={"name": "fristverlaengerung"})
    assert every.status_code == 204
    assert queries.get_case(rest.engine, second)["status"] == "completed"
    nobody = rest.client.post(signal, headers=rest.bearer(), json={"name": "fristverlaengerung"})
    assert nobody.status_code == 204                                               # a broadcast to nobody is fine
