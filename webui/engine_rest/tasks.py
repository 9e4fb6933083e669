"""User tasks: list, claim, complete (our inbox rules: a clerk sees and works the tasks of
their groups and their own)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from engine.domain.errors import NotFound
from engine.services import cases, definitions, queries, task_pages
from engine.services.read_models import TaskView
from webui import casework
from webui.auth import engine
from webui.engine_rest.base import STAFF, RestError, camunda_tenant, body, bp, int_arg, require, user
from webui.engine_rest.variables import typed_all, untyped_all

MAX_PAGE = task_pages.MAX_PAGE


def _dto(task: TaskView) -> dict[str, Any]:
    return {"id": task["id"], "name": task["name"], "assignee": task["assignee"], "owner": None,
            "created": task["created_at"], "due": task["due"], "followUp": task["follow_up"],
            "lastUpdated": None, "delegationState": None, "description": None,
            "executionId": task["case_id"], "parentTaskId": None, "priority": task["priority"] or 50,
            "processDefinitionId": definitions.definition_of(engine(), task["case_id"]),
            "processInstanceId": task["case_id"], "caseExecutionId": None, "caseDefinitionId": None,
            "caseInstanceId": None, "taskDefinitionKey": task["element_id"], "suspended": False,
            "formKey": None, "camundaFormRef": None, "tenantId": camunda_tenant()}


def _task(task_id: str) -> TaskView:
    try:
        task = queries.get_task(engine(), task_id)
    except NotFound:
        raise RestError(404, f"No matching task with id {task_id}") from None
    if not casework.may_work_on(user(), task):
        raise RestError(404, f"No matching task with id {task_id}")
    return task


@bp.get("/task")
def list_user_tasks() -> Any:
    require(*STAFF)
    args = request.args
    page = task_pages.task_page(engine(), groups=casework.work_groups(user()), user=user().username,
                                case_id=args.get("processInstanceId") or None,
                                process_key=args.get("processDefinitionKey") or None,
                                business_key=args.get("processInstanceBusinessKey") or None,
                                limit=max(1, int_arg("maxResults", MAX_PAGE, MAX_PAGE)))
    items = page.items
    if args.get("assignee"):
        items = [t for t in items if t["assignee"] == args["assignee"]]
    if args.get("taskDefinitionKey"):
        items = [t for t in items if t["element_id"] == args["taskDefinitionKey"]]
    return jsonify([_dto(t) for t in items])


@bp.get("/task/<task_id>")
def get_task(task_id: str) -> Any:
    require(*STAFF)
    return jsonify(_dto(_task(task_id)))


@bp.post("/task/<task_id>/claim")
def claim_task(task_id: str) -> Any:
    require(*STAFF)
    wanted = body().get("userId")
    if wanted != user().username:
        raise RestError(403, f"The user with id '{user().username}' may claim tasks only for themselves "
                             f"(userId '{user().username}').", "AuthorizationException")
    _task(task_id)
    cases.claim(engine(), task_id, user().username)
    return "", 204


@bp.post("/task/<task_id>/complete")
def complete_task(task_id: str) -> Any:
    """Variables as the clerk's form submission (only the task form's fields)."""
    require(*STAFF)
    data = body()
    task = _task(task_id)
    cases.complete_task(engine(), task_id, untyped_all(data.get("variables")), actor=user().username)
    if data.get("withVariablesInReturn"):
        view = queries.get_case(engine(), task["case_id"], with_history=False)
        return jsonify(typed_all(view["data"] or {}))
    return "", 204
