"""engine-rest semantics over HTTP (the app's test client; SQLite and PostgreSQL): exactly-once
completion under lock expiry, lock extension and release, messages and user tasks, and which
topics go to outside workers."""

from __future__ import annotations

import io
import time
from typing import Any

from engine.bootstrap import bootstrap
from engine.services import cases, queries
from engine.services.deploy import deploy
from engine.runtime.parsing import SourceFile
from engine.settings import Settings
from tests.engine_rest.conftest import MODELS, Server
from tests.fakes import FakeConnector

FETCH = "/engine-rest/external-task/fetchAndLock"


def _deploy(rest: Server, name: str) -> None:
    content = (MODELS / name).read_bytes()
    answer = rest.client.post("/engine-rest/deployment/create", headers=rest.basic("po"),
                              content_type="multipart/form-data", data={name: (io.BytesIO(content), name)})
    assert answer.status_code == 200, answer.get_data(as_text=True)


def _start(rest: Server, name: str = "Erika", amount: int = 1) -> str:
    answer = rest.client.post("/engine-rest/process-definition/key/pruefung-extern/start", headers=rest.bearer(),
                              json={"variables": {"antragsteller": {"value": name}, "betrag": {"value": amount}}})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return str(answer.get_json()["id"])


def _fetch(rest: Server, worker: str, lock_ms: int = 60000, **extra: Any) -> list[dict[str, Any]]:
    answer = rest.client.post(FETCH, headers=rest.bearer(), json={
        "workerId": worker, "maxTasks": 5, "topics": [{"topicName": "pruefen", "lockDuration": lock_ms, **extra}]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return list(answer.get_json())


def _post(rest: Server, path: str, body: dict[str, Any]) -> Any:
    return rest.client.post(f"/engine-rest/external-task/{path}", headers=rest.bearer(), json=body)


def test_a_task_completes_once_and_an_expired_lock_passes_to_another_worker(rest: Server) -> None:
    _deploy(rest, "pruefung-extern.bpmn")
    case_id = _start(rest)
    [task] = _fetch(rest, "a", lock_ms=1)
    assert task["workerId"] == "a" and task["retries"] is None and task["variables"]["antragsteller"]["value"] == "Erika"
    time.sleep(0.05)                                       # a's lock expires: b takes the task over
    [again] = _fetch(rest, "b")
    assert again["id"] == task["id"] and _fetch(rest, "c") == []
    late = _post(rest, f"{task['id']}/complete", {"workerId": "a", "variables": {"x": {"value": 1}}})
    assert late.status_code == 400 and late.get_json()["type"] == "InvalidRequestException"
    assert "locked by worker 'b'" in late.get_json()["message"]
    assert _post(rest, f"{task['id']}/complete", {"workerId": "b", "variables": {"x": {"value": 2}}}).status_code == 204
    twice = _post(rest, f"{task['id']}/complete", {"workerId": "b"})
    assert twice.status_code == 404 and twice.get_json()["type"] == "InvalidRequestException"
    case = queries.get_case(rest.engine, case_id)
    assert case["status"] == "completed" and case["data"]["x"] == 2
    assert [h["action"] for h in case["history"]].count("external_task_completed") == 1


def test_extend_lock_and_unlock(rest: Server) -> None:
    _deploy(rest, "pruefung-extern.bpmn")
    _start(rest)
    [task] = _fetch(rest, "a", lock_ms=5000)
    stranger = _post(rest, f"{task['id']}/extendLock", {"workerId": "b", "newDuration": 60000})
    assert stranger.status_code == 400
    assert _post(rest, f"{task['id']}/extendLock", {"workerId": "a", "newDuration": 600000}).status_code == 204
    assert _lock_left(rest, task["id"]) > 300                 # the new lock runs from now for 600 s
    assert _fetch(rest, "b") == []
    assert _post(rest, f"{task['id']}/unlock", {}).status_code == 204
    assert [t["id"] for t in _fetch(rest, "b")] == [task["id"]]
    assert _post(rest, "unbekannt/unlock", {}).status_code == 404
    assert _post(rest, f"{task['id']}/unlock", {}).status_code == 204
    [task] = _fetch(rest, "b", lock_ms=1)
    time.sleep(0.05)
    expired = _post(rest, f"{task['id']}/extendLock", {"workerId": "b", "newDuration": 60000})
    assert expired.status_code == 400 and "expired" in expired.get_json()["message"]


def _lock_left(rest: Server, task_id: str) -> float:
    from sqlalchemy import select

    from engine.persistence import tables as t
    with rest.engine.db.connect() as conn:
        expires = conn.execute(select(t.jobs.c.lock_expires_at).where(t.jobs.c.id == task_id)).scalar()
    now = rest.engine.clock.now()
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=now.tzinfo)
    return float((expires - now).total_seconds())


def test_fetch_filters_and_variables(rest: Server) -> None:
    _deploy(rest, "pruefung-extern.bpmn")
    _start(rest, "Erika", 5)
    assert _fetch(rest, "a", processDefinitionKey="anderer-prozess") == []
    assert _fetch(rest, "a", businessKey="kein-solcher") == []
    assert _fetch(rest, "a", tenantIdIn=["stadt-b"]) == []       # another municipality's tasks: never
    # a client configured with its own tenant (camunda-external-task-client's tenantIdIn) gets its tasks
    [task] = _fetch(rest, "a", variables=["betrag"], tenantIdIn=["default"])
    assert task["variables"] == {"betrag": {"type": "Integer", "value": 5, "valueInfo": {}}}
    refused = rest.client.post(FETCH, headers=rest.bearer(), json={"workerId": "a", "topics": "pruefen"})
    assert refused.status_code == 400 and set(refused.get_json()) >= {"type", "message"}
    citizen = rest.client.post(FETCH, headers=rest.basic("erika"), json={"workerId": "a", "topics": []})
    assert citizen.status_code in (401, 403)


def test_long_poll_returns_a_task_created_while_it_waits(rest: Server, monkeypatch: Any) -> None:
    """Only the wake-up can deliver the task before the poll's timeout: the periodic re-check is
    set beyond it (SQLite: the bell rung after the commit; PostgreSQL: also NOTIFY)."""
    import threading

    from engine.services import external_wait

    monkeypatch.setattr(external_wait, "RECHECK_SECONDS", 600.0)
    _deploy(rest, "pruefung-extern.bpmn")
    found: list[Any] = []
    waiter = threading.Thread(target=lambda: found.append(rest.client.post(FETCH, headers=rest.bearer(), json={
        "workerId": "w", "maxTasks": 1, "asyncResponseTimeout": 600000,
        "topics": [{"topicName": "pruefen", "lockDuration": 60000}]}).get_json()))
    waiter.start()
    time.sleep(0.2)
    case_id = _start(rest)
    waiter.join(timeout=20)      # without a wake-up the poll would still be waiting (600 s)
    assert found and [t["processInstanceId"] for t in found[0]] == [case_id]


def test_messages_and_user_tasks(rest: Server) -> None:
    _deploy(rest, "zahlung.bpmn")
    started = rest.client.post("/engine-rest/process-definition/key/zahlung/start", headers=rest.basic("sb1"),
                               json={"variables": {"name": {"value": "Erika", "type": "String"}}}).get_json()
    business_key = started["businessKey"]
    assert rest.client.get("/engine-rest/task", headers=rest.basic("sb1")).get_json() == []
    nobody = rest.client.post("/engine-rest/message", headers=rest.bearer(), json={
        "messageName": "ZahlungEingegangen", "businessKey": "anderes-aktenzeichen", "resultEnabled": True})
    assert nobody.status_code == 400 and nobody.get_json()["type"] == "RestException"   # not kept (no buffer)
    answer = rest.client.post("/engine-rest/message", headers=rest.bearer(), json={
        "messageName": "ZahlungEingegangen", "businessKey": business_key, "resultEnabled": True,
        "processVariables": {"betrag": {"value": 30, "type": "Integer"}}})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()[0]["resultType"] == "Execution"
    [task] = rest.client.get("/engine-rest/task", headers=rest.basic("sb1")).get_json()
    assert task["taskDefinitionKey"] == "Freigeben" and task["processInstanceId"] == started["id"]
    assert rest.client.get("/engine-rest/task", headers=rest.basic("kasse1")).get_json() == []
    other = rest.client.post(f"/engine-rest/task/{task['id']}/claim", headers=rest.basic("sb1"), json={"userId": "sb2"})
    assert other.status_code == 403
    claim = rest.client.post(f"/engine-rest/task/{task['id']}/claim", headers=rest.basic("sb1"), json={"userId": "sb1"})
    assert claim.status_code == 204
    done = rest.client.post(f"/engine-rest/task/{task['id']}/complete", headers=rest.basic("sb1"),
                            json={"variables": {"freigabe": {"value": True, "type": "Boolean"}}})
    assert done.status_code == 204, done.get_data(as_text=True)
    case = queries.get_case(rest.engine, started["id"])
    assert case["status"] == "completed" and case["data"]["freigabe"] is True and case["data"]["betrag"] == 30


def _external_kind(engine: Any, mapping: bytes | None) -> str:
    files = [SourceFile("p/pruefung-extern.bpmn", (MODELS / "pruefung-extern.bpmn").read_bytes())]
    if mapping is not None:
        files.append(SourceFile("p/camunda-mapping.json", mapping))
    deploy(engine, files)
    case_id = cases.start_case(engine, "pruefung-extern", {"antragsteller": "E", "betrag": 1}, internal=True)
    from sqlalchemy import select

    from engine.persistence import tables as t
    with engine.db.connect() as conn:
        return str(conn.execute(select(t.jobs.c.kind).where(t.jobs.c.case_id == case_id)).scalar())


def test_a_connector_that_answers_the_topic_keeps_it_unless_the_folder_reserves_it(database_url: str) -> None:
    connector = FakeConnector()
    connector.behaviour["pruefen"] = connector.behaviour["noop"]
    engine = bootstrap(Settings(database_url=database_url), connectors={"camunda": connector})
    try:
        assert _external_kind(engine, None) == "service"                       # the connector answers it
        assert _external_kind(engine, b'{"external": ["pruefen"]}') == "external"  # reserved for workers
    finally:
        engine.db.dispose()
    bare = bootstrap(Settings(database_url=database_url), connectors={"test": FakeConnector()})
    try:
        assert _external_kind(bare, None) == "external"                        # no connector claims it
    finally:
        bare.db.dispose()
