"""External tasks: fetchAndLock with long polling, complete, failure, bpmnError, extendLock, unlock."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify

from engine.services import external_tasks
from engine.services.external_tasks import LockedTask, LockViolation, TopicRequest
from engine.services.external_wait import MAX_WAIT_SECONDS, wait_and_fetch
from engine.tenancy import tenant_or_none
from webui.auth import engine
from webui.engine_rest.base import STAFF, RestError, camunda_tenant, body, bp, require, user
from webui.engine_rest.long_polls import gate
from webui.engine_rest.variables import camunda_date, typed_all, untyped_all


def _int(data: dict[str, Any], name: str, default: int | None = None, *, low: int = 0,
         high: int = external_tasks.MAX_LOCK_MS) -> int:
    value = data.get(name, default)
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise RestError(400, f"'{name}' must be a number from {low} to {high}")
    return int(value)


def _names(value: Any, field: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RestError(400, f"'{field}' must be a list of texts")
    return value


def _topic(entry: Any) -> TopicRequest:
    if not isinstance(entry, dict) or not isinstance(entry.get("topicName"), str) or not entry["topicName"]:
        raise RestError(400, "Each topic needs a topicName and a lockDuration")
    if entry.get("processVariables"):
        raise RestError(400, "Filtering topics by processVariables is not supported by amtsflow")
    tenants = _names(entry.get("tenantIdIn"), "tenantIdIn")
    if tenants and tenant_or_none() not in tenants:   # tasks never cross municipalities: another's, nothing
        return TopicRequest(entry["topicName"], 1, process_keys=[])
    keys = _names(entry.get("processDefinitionKeyIn"), "processDefinitionKeyIn")
    if isinstance(entry.get("processDefinitionKey"), str):
        keys = [entry["processDefinitionKey"]]
    ids = _names(entry.get("processDefinitionIdIn"), "processDefinitionIdIn")
    if isinstance(entry.get("processDefinitionId"), str):
        ids = [entry["processDefinitionId"]]
    business_key = entry.get("businessKey")
    return TopicRequest(entry["topicName"], _int(entry, "lockDuration", low=1),
                        variables=_names(entry.get("variables"), "variables"),
                        local_only=entry.get("localVariables") is True,
                        business_key=business_key if isinstance(business_key, str) else None,
                        process_keys=keys, definition_ids=ids)


def _dto(task: LockedTask) -> dict[str, Any]:
    return {"activityId": task.activity_id, "activityInstanceId": task.id, "errorMessage": task.error_message,
            "errorDetails": None, "executionId": task.case_id, "id": task.id,
            "lockExpirationTime": camunda_date(task.lock_expires_at), "createTime": camunda_date(task.created_at),
            "processDefinitionId": task.definition_id, "processDefinitionKey": task.process_key,
            "processDefinitionVersionTag": None, "processInstanceId": task.case_id, "retries": task.retries,
            "suspended": task.suspended, "workerId": task.worker_id, "topicName": task.topic, "tenantId": camunda_tenant(),
            "variables": typed_all(task.variables), "priority": task.priority, "businessKey": task.business_key,
            "extensionProperties": {}}


@bp.post("/external-task/fetchAndLock")
def external_fetch_and_lock() -> Any:
    require(*STAFF)
    data = body()
    worker = data.get("workerId")
    topics = data.get("topics") or []
    if not isinstance(topics, list):
        raise RestError(400, "'topics' must be a list")
    requests = [_topic(entry) for entry in topics]
    max_tasks = _int(data, "maxTasks", 10, low=0, high=external_tasks.MAX_TASKS)
    timeout = min(_int(data, "asyncResponseTimeout", 0, high=2**31 - 1) / 1000,
                  float(current_app.config["AMTSFLOW_LONG_POLL_MAX_SECONDS"]), MAX_WAIT_SECONDS)
    worker_id = external_tasks.check_worker(worker)
    # the tenant's account: another municipality's account of the same name has its own share
    polls, account = gate(), f"{tenant_or_none() or '-'}:{user().username}"
    if timeout <= 0 or not requests or not polls.enter(account):    # beyond the caps: answer now
        return _fetched(worker_id, requests, max_tasks, data, 0.0)
    try:
        return _fetched(worker_id, requests, max_tasks, data, timeout)
    finally:
        polls.leave(account)


def _fetched(worker_id: str, requests: list[TopicRequest], max_tasks: int, data: dict[str, Any],
             timeout: float) -> Any:
    tasks = wait_and_fetch(engine(), worker_id, requests, max_tasks, data.get("usePriority") is True, timeout)
    return jsonify([_dto(task) for task in tasks])


def _worker(data: dict[str, Any]) -> str:
    worker = data.get("workerId")
    if not isinstance(worker, str) or not worker:
        raise RestError(400, "workerId is required")
    return worker


def _answer(action: Any) -> Any:
    try:
        action()
    except LockViolation as exc:
        raise RestError(400, exc.message) from exc
    return "", 204


@bp.post("/external-task/<task_id>/complete")
def complete_external(task_id: str) -> Any:
    require(*STAFF)
    data = body()
    worker = _worker(data)
    variables = untyped_all(data.get("variables"))
    local = untyped_all(data.get("localVariables"), "localVariables")
    return _answer(lambda: external_tasks.complete(engine(), task_id, worker, variables, local,
                                                   actor=user().username))


@bp.post("/external-task/<task_id>/failure")
def external_failure(task_id: str) -> Any:
    require(*STAFF)
    data = body()
    worker = _worker(data)
    message, details = data.get("errorMessage") or "", data.get("errorDetails")
    if not isinstance(message, str) or not isinstance(details, (str, type(None))):
        raise RestError(400, "errorMessage and errorDetails must be texts")
    retries = _int(data, "retries", 0, high=1000)
    timeout = _int(data, "retryTimeout", 0)
    return _answer(lambda: external_tasks.fail(engine(), task_id, worker, message, details, retries, timeout,
                                               actor=user().username))


@bp.post("/external-task/<task_id>/bpmnError")
def external_bpmn_error(task_id: str) -> Any:
    require(*STAFF)
    data = body()
    worker = _worker(data)
    code, message = data.get("errorCode"), data.get("errorMessage") or ""
    if not isinstance(code, str) or not code or not isinstance(message, str):
        raise RestError(400, "errorCode is required (a text); errorMessage must be a text")
    variables = untyped_all(data.get("variables"))
    return _answer(lambda: external_tasks.bpmn_error(engine(), task_id, worker, code, message, variables,
                                                     actor=user().username))


@bp.post("/external-task/<task_id>/extendLock")
def external_extend_lock(task_id: str) -> Any:
    require(*STAFF)
    data = body()
    worker = _worker(data)
    duration = _int(data, "newDuration", low=1)
    return _answer(lambda: external_tasks.extend_lock(engine(), task_id, worker, duration))


@bp.post("/external-task/<task_id>/unlock")
def external_unlock(task_id: str) -> Any:
    require(*STAFF)
    return _answer(lambda: external_tasks.unlock(engine(), task_id))
