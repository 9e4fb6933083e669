"""The OpenAPI 3.1 document of /api/v1 (kept beside the routes; a test checks that they match)."""

from __future__ import annotations

from typing import Any

JSON = "application/json"
PROBLEM = {"description": "Fehler", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _ok(description: str, schema: dict[str, Any], status: str = "200") -> dict[str, Any]:
    return {status: {"description": description, "content": {JSON: {"schema": schema}}},
            "400": PROBLEM, "401": PROBLEM, "403": PROBLEM, "404": PROBLEM}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _task_action(summary: str, body: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "tags": ["tasks"], "parameters": [TASK_ID],
                                 "responses": {**_ok("Die Aufgabe danach", _ref("Task")), "409": PROBLEM}}
    if body:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": {
            "type": "object", "properties": {"data": {"type": "object"}}}}}}
        operation["responses"]["422"] = PROBLEM
    return {"post": operation}


SCHEMAS: dict[str, Any] = {
    "Problem": {"type": "object", "properties": {
        "status": {"type": "integer"}, "title": {"type": "string"}, "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "problems": {"type": "array", "items": {"type": "string"}, "description": "FILE:LINE: element-id: message"}}},
    "Definition": {"type": "object", "properties": {
        "id": {"type": "string"}, "key": {"type": "string"}, "version": {"type": "integer"},
        "name": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"}}},
    "Task": {"type": "object", "properties": {
        "id": {"type": "string"}, "case_id": {"type": "string"}, "process_key": {"type": "string"},
        "name": {"type": "string"}, "element_id": {"type": "string"}, "state": {"type": "string"},
        "candidate_groups": {"type": "array", "items": {"type": "string"}},
        "candidate_users": {"type": "array", "items": {"type": "string"}},
        "assignee": {"type": ["string", "null"]}, "due": {"type": ["string", "null"], "format": "date-time"},
        "priority": {"type": ["integer", "null"]}, "created_at": {"type": "string", "format": "date-time"}}},
    "Case": {"type": "object", "properties": {
        "id": {"type": "string"}, "process_key": {"type": "string"}, "version": {"type": "integer"},
        "status": {"type": "string", "enum": ["running", "waiting", "completed", "failed", "cancelled"]},
        "business_key": {"type": ["string", "null"]}, "data": {"type": "object"},
        "open_tasks": {"type": "array", "items": _ref("Task")},
        "history": {"type": "array", "items": {"type": "object"}}}},
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "amtsflow API", "version": "1",
                 "description": "Prozesse bereitstellen, Vorgänge starten, Aufgaben bearbeiten."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "API-Token aus der Verwaltung"},
            "session": {"type": "apiKey", "in": "cookie", "name": "amtsflow_session",
                        "description": "Anmeldung im Browser; schreibende Aufrufe brauchen den Header X-CSRFToken"}}},
        "paths": {
            "/openapi.json": {"get": {"summary": "Dieses Dokument", "security": [], "tags": ["meta"],
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
            "/deployments": {"post": {
                "summary": "BPMN-, DMN-, Formular-Dateien oder ein ZIP bereitstellen (Prozessverantwortung)",
                "tags": ["deployments"],
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "properties": {"files": {"type": "array", "items": {
                        "type": "string", "contentMediaType": "application/octet-stream"}}}}}}},
                "responses": _ok("Bereitgestellte Versionen", {"type": "object", "properties": {
                    "processes": {"type": "array", "items": {"type": "object"}},
                    "warnings": {"type": "array", "items": {"type": "string"}}}}, "201")}},
            "/process-definitions": {"get": {"summary": "Alle bereitgestellten Prozessversionen",
                                             "tags": ["deployments"],
                                             "responses": _ok("Liste", {"type": "array", "items": _ref("Definition")})}},
            "/cases": {"post": {
                "summary": "Einen Vorgang starten", "tags": ["cases"],
                "requestBody": {"required": True, "content": {JSON: {"schema": {
                    "type": "object", "required": ["key"], "properties": {
                        "key": {"type": "string"}, "data": {"type": "object"},
                        "business_key": {"type": ["string", "null"]}}}}}},
                "responses": {**_ok("Neuer Vorgang", {"type": "object", "properties": {"id": {"type": "string"}}},
                                    "201"), "422": PROBLEM}}},
            "/cases/{case_id}": {"get": {
                "summary": "Einen Vorgang lesen", "tags": ["cases"],
                "parameters": [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": _ok("Vorgang", _ref("Case"))}},
            "/tasks": {"get": {
                "summary": "Offene Aufgaben meiner Gruppen", "tags": ["tasks"],
                "parameters": [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                               for n in ("case_id", "process_key", "q")],
                "responses": _ok("Aufgaben", {"type": "array", "items": _ref("Task")})}},
            "/tasks/{task_id}/claim": _task_action("Aufgabe übernehmen"),
            "/tasks/{task_id}/unclaim": _task_action("Aufgabe zurückgeben"),
            "/tasks/{task_id}/complete": _task_action("Aufgabe erledigen", body=True),
        },
    }
