"""Reading external tasks: ``GET /external-task`` (list), ``/external-task/count`` and
``/external-task/{id}``, with Camunda's filters and response shape (staff, as fetchAndLock)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from engine.services.external_task_query import SORTS, TaskQuery, count_external_tasks, list_external_tasks
from engine.services.external_tasks import LockedTask
from webui.auth import engine
from webui.engine_rest.base import STAFF, RestError, camunda_tenant, bp, int_arg, require
from webui.engine_rest.variables import camunda_date

MAX_RESULTS = 1000


def task_dto(task: LockedTask) -> dict[str, Any]:
    return {"activityId": task.activity_id, "activityInstanceId": task.id, "errorMessage": task.error_message,
            "executionId": task.case_id, "id": task.id, "lockExpirationTime": camunda_date(task.lock_expires_at),
            "createTime": camunda_date(task.created_at), "processDefinitionId": task.definition_id,
            "processDefinitionKey": task.process_key, "processDefinitionVersionTag": None,
            "processInstanceId": task.case_id, "tenantId": camunda_tenant(), "retries": task.retries,
            "suspended": task.suspended, "workerId": task.worker_id, "priority": task.priority,
            "topicName": task.topic, "businessKey": task.business_key}


def _flag(name: str) -> bool:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() not in ("true", "false"):
        raise RestError(400, f"Cannot set query parameter '{name}' to value '{raw}'")
    return raw.lower() == "true"


def _either(yes: str, no: str) -> bool | None:
    if _flag(yes) and _flag(no):
        raise RestError(400, f"Query parameters '{yes}' and '{no}' exclude each other")
    return True if _flag(yes) else False if _flag(no) else None


def _ids(one: str, many: str) -> list[str] | None:
    """``one`` (a single id) and ``many`` (comma-separated): both must hold."""
    raw, single = request.args.get(many), request.args.get(one)
    found = None if raw is None else [part for part in raw.split(",") if part]
    if single:
        found = [single] if found is None else [i for i in found if i == single]
    return found


def _query() -> TaskQuery:
    args = request.args
    sort, order = args.get("sortBy"), args.get("sortOrder")
    if (sort is None) != (order is None):
        raise RestError(400, "Only a single sorting parameter specified. sortBy and sortOrder required")
    if sort is not None and (sort not in SORTS or order not in ("asc", "desc")):
        raise RestError(400, f"Cannot set query parameter 'sortBy' to value '{sort}' or 'sortOrder' to '{order}'")
    return TaskQuery(task_ids=_ids("externalTaskId", "externalTaskIdIn"), topic=args.get("topicName") or None, worker_id=args.get("workerId") or None,
                     locked=_either("locked", "notLocked"), retries_left=_either("withRetriesLeft", "noRetriesLeft"),
                     case_ids=_ids("processInstanceId", "processInstanceIdIn"),
                     activity_ids=_ids("activityId", "activityIdIn"),
                     definition_id=args.get("processDefinitionId") or None,
                     process_key=args.get("processDefinitionKey") or None,
                     suspended=True if _flag("suspended") else False if _flag("active") else None,
                     sort=sort, descending=order == "desc")


@bp.get("/external-task")
def external_task_list() -> Any:
    require(*STAFF)
    query = _query()
    limit = int_arg("maxResults", MAX_RESULTS, MAX_RESULTS)
    return jsonify([task_dto(task) for task in list_external_tasks(engine(), query, limit=limit,
                                                                   offset=int_arg("firstResult", 0, 10**9))])


@bp.get("/external-task/count")
def external_task_count() -> Any:
    require(*STAFF)
    return jsonify(count=count_external_tasks(engine(), _query()))


@bp.get("/external-task/<task_id>")
def external_task_get(task_id: str) -> Any:
    require(*STAFF)
    found = list_external_tasks(engine(), TaskQuery(task_ids=[task_id]), limit=1)
    if not found:
        raise RestError(404, f"External task with id {task_id} does not exist")
    return jsonify(task_dto(found[0]))


__all__ = ["task_dto"]
