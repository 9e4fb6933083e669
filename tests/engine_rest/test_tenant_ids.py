"""``tenantId`` in engine-rest answers as Camunda's multi-tenancy gives it: a municipality's own
deployments, definitions, instances and tasks carry its id; the provider's shared process
library carries none (Camunda's shared definitions); an installation's default tenant answers
none, as an engine without tenants does. A shared definition's deployment can be read by every
tenant, and the definition query's tenant parameters select by the same ids."""

from __future__ import annotations

from pathlib import Path

from engine.services import identity, tenants
from engine.services.deploy import deploy, read_paths
from engine.tenancy import tenant_scope
from tests.engine_rest.conftest import MODELS, Server

CITY = "stadt-a"
LIBRARY = Path(__file__).resolve().parents[2] / "processes" / "bewohnerparkausweis"


def _city(rest: Server) -> dict[str, str]:
    """The city with its own model and a clerk's token; the provider's library shared."""
    tenants.add_tenant(rest.engine, CITY, "Stadt A", path_prefix=CITY)
    deploy(rest.engine, read_paths([str(LIBRARY)]), actor="provider", shared=True)
    with tenant_scope(CITY):
        identity.create_user(rest.engine, "sb-a", "Sachbearbeitung A", roles=["clerk", "owner"], groups_=[])
        _, token = identity.create_api_token(rest.engine, "sb-a", "Fachverfahren A")
        deploy(rest.engine, read_paths([str(MODELS / "pruefung-extern.bpmn")]), actor="po")
    return {"Authorization": f"Bearer {token}"}


def _get(rest: Server, headers: dict[str, str], path: str, prefix: str = CITY) -> object:
    response = rest.client.get(f"{'/' + prefix if prefix else ''}/engine-rest{path}", headers=headers)
    assert response.status_code == 200, (path, response.get_data(as_text=True))
    return response.get_json()


def test_answers_name_the_municipality_and_none_for_the_shared_library(rest: Server) -> None:
    city = _city(rest)
    listed = _get(rest, city, "/process-definition")
    assert {d["key"]: d["tenantId"] for d in listed} == {"pruefung-extern": CITY, "bewohnerparkausweis": None}
    started = rest.client.post(f"/{CITY}/engine-rest/process-definition/key/pruefung-extern/start", headers=city,
                               json={"variables": {"antragsteller": {"value": "Erika"}, "betrag": {"value": 3}}})
    assert started.status_code == 200 and started.get_json()["tenantId"] == CITY, started.get_data(as_text=True)
    [instance] = _get(rest, city, "/process-instance?processDefinitionKey=pruefung-extern")
    assert instance["tenantId"] == CITY
    fetched = rest.client.post(f"/{CITY}/engine-rest/external-task/fetchAndLock", headers=city, json={
        "workerId": "w", "maxTasks": 1, "topics": [{"topicName": "pruefen", "lockDuration": 10000}]})
    [task] = fetched.get_json()
    assert task["tenantId"] == CITY
    [queried] = _get(rest, city, "/external-task?topicName=pruefen")
    assert queried["tenantId"] == CITY
    own = next(d for d in listed if d["key"] == "pruefung-extern")
    assert _get(rest, city, f"/deployment/{own['deploymentId']}")["tenantId"] == CITY
    # the default tenant's own answer none, as a Camunda engine without tenants
    default = _get(rest, rest.basic("po"), "/process-definition", prefix="")
    assert {d["tenantId"] for d in default} == {None}


def test_a_shared_definitions_deployment_is_readable_in_every_tenant(rest: Server) -> None:
    city = _city(rest)
    shared = next(d for d in _get(rest, city, "/process-definition") if d["key"] == "bewohnerparkausweis")
    deployment = _get(rest, city, f"/deployment/{shared['deploymentId']}")
    assert deployment["id"] == shared["deploymentId"] and deployment["tenantId"] is None
    assert shared["deploymentId"] in {d["id"] for d in _get(rest, city, "/deployment")}


def test_the_definition_querys_tenant_parameters(rest: Server) -> None:
    city = _city(rest)

    def keys(query: str) -> set[str]:
        return {d["key"] for d in _get(rest, city, f"/process-definition?{query}")}

    assert keys(f"tenantIdIn={CITY}") == {"pruefung-extern"}
    assert keys(f"tenantIdIn={CITY}&includeProcessDefinitionsWithoutTenantId=true") == {"pruefung-extern",
                                                                                         "bewohnerparkausweis"}
    assert keys("withoutTenantId=true") == {"bewohnerparkausweis"}
    assert keys("tenantIdIn=stadt-b") == set()
    assert keys("tenantIdIn=stadt-b&includeProcessDefinitionsWithoutTenantId=true") == {"bewohnerparkausweis"}
    assert _get(rest, city, f"/process-definition/count?tenantIdIn={CITY}") == {"count": 1}
    assert _get(rest, city, "/process-definition/count?tenantIdIn=stadt-b") == {"count": 0}
