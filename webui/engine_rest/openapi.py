"""An OpenAPI 3.1 description of /engine-rest (GET /engine-rest/openapi.json, no sign-in), made
from the blueprint's routes: path parameters from the URL rules, query parameters and JSON
bodies from the tables below. Answers are described loosely (Camunda's shapes, any status),
enough for clients' generators and for fuzzing (tests/security/test_engine_rest_fuzz.py)."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify

from webui.engine_rest.base import bp

TEXT: dict[str, Any] = {"type": "string"}
NUMBER: dict[str, Any] = {"type": "integer"}
FLAG: dict[str, Any] = {"type": "boolean"}
TYPED = {"type": "object", "additionalProperties": {
    "type": "object", "properties": {"value": {}, "type": TEXT, "valueInfo": {"type": "object"}}}}
TOPIC = {"type": "object", "required": ["topicName", "lockDuration"], "properties": {
    "topicName": TEXT, "lockDuration": NUMBER, "variables": {"type": "array", "items": TEXT},
    "localVariables": FLAG, "businessKey": TEXT, "processDefinitionKey": TEXT,
    "processDefinitionKeyIn": {"type": "array", "items": TEXT}, "processDefinitionId": TEXT,
    "processDefinitionIdIn": {"type": "array", "items": TEXT}}}


def _object(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


QUERY: dict[str, list[str]] = {
    "engine_rest.list_deployments": ["id", "name", "firstResult", "maxResults"],
    "engine_rest.list_definitions": ["key", "processDefinitionId", "deploymentId", "latestVersion", "firstResult",
                                     "maxResults"],
    "engine_rest.count_definitions": ["key", "latestVersion"],
    "engine_rest.list_instances": ["processDefinitionKey", "processDefinitionId", "businessKey",
                                   "processInstanceIds", "variables", "firstResult", "maxResults"],
    "engine_rest.count_instances": ["processDefinitionKey", "businessKey", "variables"],
    "engine_rest.external_task_list": ["externalTaskId", "externalTaskIdIn", "topicName", "workerId", "locked",
                                       "notLocked", "withRetriesLeft", "noRetriesLeft", "activityId",
                                       "processInstanceId", "processDefinitionKey", "active", "suspended",
                                       "sortBy", "sortOrder", "firstResult", "maxResults"],
    "engine_rest.external_task_count": ["topicName", "workerId", "locked", "notLocked", "noRetriesLeft"],
    "engine_rest.list_user_tasks": ["processInstanceId", "processDefinitionKey", "processInstanceBusinessKey",
                                    "assignee", "taskDefinitionKey", "maxResults"],
}
START = _object(variables=TYPED, businessKey=TEXT, withVariablesInReturn=FLAG)
BODY: dict[str, dict[str, Any]] = {
    "engine_rest.start_by_key": START, "engine_rest.start_by_id": START, "engine_rest.start_by_key_and_tenant": START,
    "engine_rest.external_fetch_and_lock": _object(workerId=TEXT, maxTasks=NUMBER, usePriority=FLAG,
                                                   asyncResponseTimeout=NUMBER,
                                                   topics={"type": "array", "items": TOPIC}),
    "engine_rest.complete_external": _object(workerId=TEXT, variables=TYPED, localVariables=TYPED),
    "engine_rest.external_failure": _object(workerId=TEXT, errorMessage=TEXT, errorDetails=TEXT, retries=NUMBER,
                                            retryTimeout=NUMBER),
    "engine_rest.external_bpmn_error": _object(workerId=TEXT, errorCode=TEXT, errorMessage=TEXT, variables=TYPED),
    "engine_rest.external_extend_lock": _object(workerId=TEXT, newDuration=NUMBER),
    "engine_rest.external_unlock": _object(),
    "engine_rest.correlate": _object(messageName=TEXT, businessKey=TEXT, correlationKeys=TYPED,
                                     processVariables=TYPED, resultEnabled=FLAG, variablesInResultEnabled=FLAG,
                                     all=FLAG),
    "engine_rest.throw_signal": _object(name=TEXT, executionId=TEXT, variables=TYPED, tenantId=TEXT,
                                        withoutTenantId=FLAG),
    "engine_rest.evaluate_conditions": _object(variables=TYPED, businessKey=TEXT, processDefinitionId=TEXT,
                                               tenantId=TEXT, withoutTenantId=FLAG),
    "engine_rest.claim_task": _object(userId=TEXT),
    "engine_rest.complete_task": _object(variables=TYPED, withVariablesInReturn=FLAG),
}
MULTIPART = {"engine_rest.create_deployment": _object(**{"deployment-name": TEXT, "deployment-source": TEXT,
                                                         "enable-duplicate-filtering": TEXT,
                                                         "model.bpmn": {"type": "string", "format": "binary"}})}
ANSWER = {"default": {"description": "Camunda's answer: the resource, or {\"type\", \"message\"} on an error",
                      "content": {"application/json": {"schema": {}}}}}


def _operation(endpoint: str, parameters: list[str]) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": endpoint.split(".", 1)[1], "responses": ANSWER, "parameters": [
        *({"name": p, "in": "path", "required": True, "schema": TEXT} for p in parameters),
        *({"name": q, "in": "query", "required": False, "schema": TEXT} for q in QUERY.get(endpoint, []))]}
    if endpoint in BODY:
        operation["requestBody"] = {"content": {"application/json": {"schema": BODY[endpoint]}}}
    if endpoint in MULTIPART:
        operation["requestBody"] = {"required": True,
                                    "content": {"multipart/form-data": {"schema": MULTIPART[endpoint]}}}
    return operation


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("engine_rest.") or rule.endpoint == "engine_rest.openapi":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix(bp.url_prefix or ""))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule.endpoint, list(rule.arguments))
    return {"openapi": "3.1.0", "info": {"title": "amtsflow engine-rest (Camunda 7 REST subset)", "version": "7.22.0"},
            "servers": [{"url": "/engine-rest"}],
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                               "basic": {"type": "http", "scheme": "basic"}}},
            "security": [{"bearer": []}, {"basic": []}], "paths": paths}


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(document())


__all__ = ["document"]
