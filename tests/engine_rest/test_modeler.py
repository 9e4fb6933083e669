"""Camunda Modeler 5 deploys to amtsflow and starts a process over /engine-rest.

The requests are the ones Modeler 5's deploy and start dialogs send (camunda-modeler
client/src/plugins/camunda-plugin/shared/CamundaAPI.js and RestAPI.js, v5.0.0 to v5.50.1):
``GET /deployment?maxResults=0`` to check the connection, ``GET /version``, then a multipart
``POST /deployment/create`` with the fields deployment-name, deployment-source ("Camunda
Modeler"), enable-duplicate-filtering ("true"), tenant-id only when set, and one part per file
named by its file name; then ``POST /process-definition/{id}/start`` with businessKey and
variables. Accept: application/json on every request; credentials as HTTP Basic or Bearer.
"""

from __future__ import annotations

import requests

from engine.services import queries
from tests.engine_rest.conftest import MODELS, Server

BPMN = (MODELS / "pruefung-extern.bpmn").read_bytes()
ACCEPT = {"accept": "application/json"}


def _deploy(rest: Server, headers: dict[str, str], content: bytes = BPMN, name: str = "pruefung-extern.bpmn",
            extra: list[tuple[str, tuple[None, str]]] | None = None) -> requests.Response:
    parts = [("deployment-name", (None, "Prüfung extern")), ("deployment-source", (None, "Camunda Modeler")),
             ("enable-duplicate-filtering", (None, "true")), *(extra or []),
             (name, (name, content, "text/xml"))]
    return requests.post(f"{rest.rest}/deployment/create", files=parts, headers={**ACCEPT, **headers}, timeout=30)


def test_modeler_deploys_then_starts_the_process(rest: Server) -> None:
    po = rest.basic("po")
    assert requests.get(f"{rest.rest}/deployment?maxResults=0", headers={**ACCEPT, **po}, timeout=10).json() == []
    assert requests.get(f"{rest.rest}/version", headers={**ACCEPT, **po}, timeout=10).json()["version"].startswith("7.")
    deployed = _deploy(rest, po)
    assert deployed.status_code == 200, deployed.text
    body = deployed.json()
    assert body["name"] == "Prüfung extern" and body["source"] == "Camunda Modeler" and body["tenantId"] is None
    [definition] = body["deployedProcessDefinitions"].values()
    assert definition["key"] == "pruefung-extern" and definition["version"] == 1
    assert definition["resource"] == "pruefung-extern.bpmn" and definition["deploymentId"] == body["id"]

    again = _deploy(rest, po).json()            # unchanged: the same definition, no new version
    assert list(again["deployedProcessDefinitions"]) == [definition["id"]]

    started = requests.post(f"{rest.rest}/process-definition/{definition['id']}/start",
                            json={"variables": {"antragsteller": {"value": "Erika", "type": "String"},
                                                "betrag": {"value": 7, "type": "Integer"}}},
                            headers={**ACCEPT, **po}, timeout=30)
    assert started.status_code == 200, started.text
    instance = started.json()
    assert instance["definitionId"] == definition["id"] and instance["ended"] is False
    case = queries.get_case(rest.engine, instance["id"])
    assert case["data"]["antragsteller"] == "Erika" and case["started_by"] == "po"
    xml = requests.get(f"{rest.rest}/process-definition/key/pruefung-extern/xml", headers=po, timeout=10).json()
    assert xml["id"] == definition["id"] and 'camunda:topic="pruefen"' in xml["bpmn20Xml"]
    listed = requests.get(f"{rest.rest}/process-instance?processDefinitionKey=pruefung-extern", headers=po,
                          timeout=10).json()
    assert [i["id"] for i in listed] == [instance["id"]]
    variables = requests.get(f"{rest.rest}/process-instance/{instance['id']}/variables", headers=po, timeout=10)
    assert variables.json()["betrag"] == {"type": "Integer", "value": 7, "valueInfo": {}}


def test_modeler_sees_its_errors_in_camundas_shape(rest: Server) -> None:
    wrong = {"Authorization": "Basic cG86ZmFsc2No"}            # po:falsch
    refused = _deploy(rest, wrong)
    assert refused.status_code == 401 and refused.json()["type"] == "AuthenticationException"
    assert "Basic" in refused.headers["WWW-Authenticate"]
    clerk = _deploy(rest, rest.basic("sb1"))                    # a clerk may not deploy
    assert clerk.status_code == 403 and clerk.json()["type"] == "AuthorizationException"
    broken = _deploy(rest, rest.basic("po"), b"<definitions><process id='x' isExecutable='true'>", "kaputt.bpmn")
    assert broken.status_code == 400
    assert broken.json()["message"].startswith("ENGINE-09005 Could not parse BPMN process.")  # Modeler's parse hint
    tenant = _deploy(rest, rest.basic("po"), extra=[("tenant-id", (None, "stadt-a"))])   # another municipality
    assert tenant.status_code == 403 and tenant.json()["type"] == "AuthorizationException"
    assert "acts for tenant 'default'" in tenant.json()["message"]
    own = _deploy(rest, rest.basic("po"), extra=[("tenant-id", (None, "default"))])     # its own: as without
    assert own.status_code == 200, own.text
    by_tenant = f"{rest.rest}/process-definition/key/pruefung-extern/tenant-id"
    assert requests.get(f"{by_tenant}/default", headers=rest.basic("po"), timeout=10).json()["key"] == "pruefung-extern"
    assert "bpmn20Xml" in requests.get(f"{by_tenant}/default/xml", headers=rest.basic("po"), timeout=10).json()
    elsewhere = requests.get(f"{by_tenant}/stadt-a", headers=rest.basic("po"), timeout=10)
    assert elsewhere.status_code == 403 and elsewhere.json()["type"] == "AuthorizationException"
    started = requests.post(f"{by_tenant}/default/start", headers=rest.basic("po"), timeout=10,
                            json={"variables": {"antragsteller": {"value": "Erika"}, "betrag": {"value": 1}}})
    assert started.status_code == 200 and started.json()["definitionId"], started.text
    assert requests.post(f"{by_tenant}/stadt-a/start", headers=rest.basic("po"), json={}, timeout=10).status_code == 403
    missing = requests.post(f"{rest.rest}/process-definition/key/gibt-es-nicht/start", json={},
                            headers=rest.basic("po"), timeout=10)
    assert missing.status_code == 404 and set(missing.json()) >= {"type", "message"}
    assert _deploy(rest, rest.basic("po")).status_code == 200
    key = requests.post(f"{rest.rest}/process-definition/key/pruefung-extern/start", json={"businessKey": "A-1"},
                        headers=rest.basic("po"), timeout=10)   # business keys need a scoped token
    assert key.status_code == 403 and key.json()["type"] == "AuthorizationException"
    outside = requests.post(f"{rest.rest}/process-definition/key/pruefung-extern/start", headers=rest.basic("po"),
                            json={"variables": {"zustaendig": {"value": "x"}}}, timeout=10)
    assert outside.status_code == 400 and "zustaendig" in outside.json()["message"]   # only the form's fields
    session = requests.get(f"{rest.rest}/deployment", timeout=10)
    assert session.status_code == 401
