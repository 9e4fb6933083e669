"""The applicant withdraws the application through the API (GET/POST /api/v1/cases/{id}/withdrawal),
as on the portal's case page: only their own case, only while the process takes a withdrawal."""

from __future__ import annotations

from typing import Any

from engine.services import identity, queries
from tests.processes.conftest import backoffices  # noqa: F401 - the simulators fixture
from tests.web.test_withdrawal_page import _case_in_review


def _bearer(web_engine: Any, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {identity.create_api_token(web_engine, username, 'app')[1]}"}


def test_the_applicant_asks_and_withdraws_through_the_api(client, web_engine, backoffices):  # noqa: F811
    case_id = _case_in_review(web_engine, backoffices)
    url, erika = f"/api/v1/cases/{case_id}/withdrawal", _bearer(web_engine, "erika")
    assert client.get(url, headers=erika).get_json() == {"possible": True, "reason_max": 1000}
    refused = client.post(url, json={"reason": ["Umzug"]}, headers=erika)
    assert refused.status_code == 400 and queries.get_case(web_engine, case_id)["status"] != "completed"

    done = client.post(url, json={"reason": "Umzug ins Ausland"}, headers=erika)
    assert done.status_code == 204
    view = queries.get_case(web_engine, case_id)
    assert view["data"]["ruecknahme_grund"] == "Umzug ins Ausland" and not view["open_tasks"]
    assert client.get(url, headers=erika).get_json()["possible"] is False
    again = client.post(url, headers=erika)                       # no body: no reason
    assert again.status_code == 409 and "kann nicht mehr zurückgenommen werden" in again.get_json()["detail"]


def test_only_the_applicant_may_ask_or_withdraw(client, web_engine, backoffices):  # noqa: F811
    case_id = _case_in_review(web_engine, backoffices, applicant="leyla")
    url = f"/api/v1/cases/{case_id}/withdrawal"
    for person, status in (("erika", 404), ("sb1", 403)):
        headers = _bearer(web_engine, person)
        assert client.get(url, headers=headers).status_code == status, person
        assert client.post(url, json={}, headers=headers).status_code == status, person
    assert client.get("/api/v1/cases/gibt-es-nicht/withdrawal", headers=_bearer(web_engine, "erika")).status_code == 404
    assert queries.get_case(web_engine, case_id)["open_tasks"]
