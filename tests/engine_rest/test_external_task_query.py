"""GET /engine-rest/external-task, /count and /{id}: Camunda's filters and response shape,
for staff only."""

from __future__ import annotations

from typing import Any

from tests.engine_rest.conftest import Server
from tests.engine_rest.test_engine_rest import _deploy, _post, _start

FIELDS = {"activityId", "activityInstanceId", "errorMessage", "executionId", "id", "lockExpirationTime",
          "createTime", "processDefinitionId", "processDefinitionKey", "processDefinitionVersionTag",
          "processInstanceId", "tenantId", "retries", "suspended", "workerId", "priority", "topicName",
          "businessKey"}


def _fetch_one(rest: Server, worker: str) -> dict[str, Any]:
    answer = rest.client.post("/engine-rest/external-task/fetchAndLock", headers=rest.bearer(), json={
        "workerId": worker, "maxTasks": 1, "topics": [{"topicName": "pruefen", "lockDuration": 600000}]})
    assert answer.status_code == 200
    [task] = answer.get_json()
    return dict(task)


def _ids(rest: Server, query: str = "", who: dict[str, str] | None = None) -> list[str]:
    answer = rest.client.get(f"/engine-rest/external-task{query}", headers=who or rest.bearer())
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return sorted(t["processInstanceId"] for t in answer.get_json())


def _count(rest: Server, query: str = "") -> int:
    answer = rest.client.get(f"/engine-rest/external-task/count{query}", headers=rest.bearer())
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return int(answer.get_json()["count"])


def test_list_count_and_one_with_filters(rest: Server) -> None:
    _deploy(rest, "pruefung-extern.bpmn")
    started = {_start(rest, name) for name in ("A", "B", "C")}
    assert _count(rest) == 3 and _ids(rest) == sorted(started)
    task, broken = _fetch_one(rest, "a"), _fetch_one(rest, "b")
    locked, failed = task["processInstanceId"], broken["processInstanceId"]
    [free] = started - {locked, failed}
    assert _post(rest, f"{broken['id']}/failure", {"workerId": "b", "errorMessage": "kaputt", "retries": 0,
                                                   "retryTimeout": 0}).status_code == 204
    assert _ids(rest, "?locked=true") == [locked]
    assert _ids(rest, "?notLocked=true") == sorted([free, failed])
    assert _ids(rest, "?workerId=a") == [locked] and _ids(rest, "?workerId=z") == []
    assert _ids(rest, "?noRetriesLeft=true") == [failed]
    assert _ids(rest, "?withRetriesLeft=true") == sorted([free, locked])
    assert _ids(rest, f"?processInstanceId={free}") == [free]
    assert _ids(rest, "?topicName=pruefen&processDefinitionKey=pruefung-extern") == sorted([free, locked, failed])
    assert _ids(rest, "?topicName=anderes") == [] and _count(rest, "?processDefinitionKey=anderer") == 0
    assert _count(rest, "?locked=true") == 1 and _count(rest, "?noRetriesLeft=true") == 1
    one = rest.client.get(f"/engine-rest/external-task/{task['id']}", headers=rest.basic("sb1"))
    assert one.status_code == 200 and set(one.get_json()) == FIELDS
    body = one.get_json()
    assert body["workerId"] == "a" and body["processInstanceId"] == locked and body["lockExpirationTime"]
    assert body["topicName"] == "pruefen" and body["activityId"] == "Pruefen" and body["retries"] is None
    failed_one = rest.client.get(f"/engine-rest/external-task/{broken['id']}", headers=rest.bearer()).get_json()
    assert failed_one["retries"] == 0 and failed_one["errorMessage"] == "kaputt"
    missing = rest.client.get("/engine-rest/external-task/unbekannt", headers=rest.bearer())
    assert missing.status_code == 404 and missing.get_json()["type"] == "InvalidRequestException"
    assert missing.get_json()["message"] == "External task with id unbekannt does not exist"
    ordered = rest.client.get("/engine-rest/external-task?sortBy=processInstanceId&sortOrder=desc&maxResults=2",
                              headers=rest.bearer()).get_json()
    assert [t["processInstanceId"] for t in ordered] == sorted([free, locked, failed], reverse=True)[:2]


def test_bad_parameters_and_who_may_read(rest: Server) -> None:
    for query in ("?locked=vielleicht", "?locked=true&notLocked=true", "?sortBy=id", "?sortBy=x&sortOrder=asc"):
        answer = rest.client.get(f"/engine-rest/external-task{query}", headers=rest.bearer())
        assert answer.status_code == 400 and answer.get_json()["type"] == "InvalidRequestException", query
    citizen = rest.client.get("/engine-rest/external-task", headers=rest.basic("erika"))
    assert citizen.status_code == 403 and citizen.get_json()["type"] == "AuthorizationException"
    assert rest.client.get("/engine-rest/external-task/count").status_code == 401
