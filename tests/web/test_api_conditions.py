"""POST /api/v1/conditions: start a case at every conditional start event whose condition holds over
the data (Camunda's evaluateStartConditions), with the rules of POST /cases (roles, start-form data,
business key only with the token scope), German problems."""

from __future__ import annotations

import io
from typing import Any

from engine.services import identity, queries
from tests.engine_rest.test_condition import MODEL
from tests.web.helpers import MODELS, WEBANTRAG


def _bearer(web_engine: Any, username: str, scopes: tuple[str, ...] = ()) -> dict[str, str]:
    return {"Authorization": f"Bearer {identity.create_api_token(web_engine, username, 'test', scopes=scopes)[1]}"}


def test_conditions_start_the_processes_whose_condition_holds(client: Any, web_engine: Any) -> None:
    owner, clerk = _bearer(web_engine, "po"), _bearer(web_engine, "sb1")
    files = [(io.BytesIO(MODEL), "meldung.bpmn"), *((io.BytesIO((MODELS / n).read_bytes()), n) for n in WEBANTRAG)]
    deployed = client.post("/api/v1/deployments", data={"files": files}, headers=owner,
                           content_type="multipart/form-data")
    assert deployed.status_code == 201, deployed.get_data(as_text=True)
    assert client.post("/api/v1/conditions", json={"data": {"pegel": 620}}).status_code == 401
    low = client.post("/api/v1/conditions", json={"data": {"pegel": 80}}, headers=clerk)
    assert low.status_code == 200 and low.json == {"ids": []}
    high = client.post("/api/v1/conditions", json={"data": {"pegel": 620}}, headers=clerk)
    assert high.status_code == 201, high.get_data(as_text=True)
    [case_id] = high.json["ids"]
    assert queries.get_case(web_engine, case_id)["process_key"] == "meldung"

    bad = client.post("/api/v1/conditions", json={"data": []}, headers=clerk)
    assert bad.status_code == 400 and "Erwartet" in bad.json["detail"]
    keyed = client.post("/api/v1/conditions", json={"data": {"pegel": 620}, "business_key": "AZ-1"}, headers=clerk)
    assert keyed.status_code == 403
    system = _bearer(web_engine, "sb1", (identity.BUSINESS_KEY_SCOPE,))
    chosen = client.post("/api/v1/conditions", json={"data": {"pegel": 700}, "business_key": "AZ-1"}, headers=system)
    assert chosen.status_code == 201
    assert queries.get_case(web_engine, chosen.json["ids"][0])["business_key"] == "AZ-1"

    unknown = client.post("/api/v1/conditions", json={"data": {}, "process_key": "gibtsnicht"}, headers=clerk)
    assert unknown.status_code == 404
    plain = client.post("/api/v1/conditions", json={"data": {}, "process_key": "webantrag"}, headers=clerk)
    assert plain.status_code in (400, 409) and "kein bedingtes Startereignis" in plain.json["detail"]
    undeclared = client.post("/api/v1/conditions", json={"data": {"pegel": 620, "status": "frei"}}, headers=clerk)
    assert undeclared.status_code == 422
