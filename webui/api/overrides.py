"""API: the request's tenant's overrides of a shared process (issue 17; process owners).

GET    /processes/<key>/overrides                   the overrides in force
POST   /processes/<key>/overrides                   upload one file (multipart: file, replaces, comment,
                                                    min_version, max_version); 422 with problems
GET    /processes/<key>/overrides/<file>            versions, and the diff against the shared file
DELETE /processes/<key>/overrides/<file>            withdraw (a new version without content)
"""

from __future__ import annotations

from typing import Any, Callable

from flask import jsonify, request
from flask_babel import gettext as _

from engine.services import overrides
from engine.services.overrides import Override
from engine.tenancy import current_tenant
from webui.api.blueprint import api_user, bp, require_api_roles
from webui.auth import engine
from webui.errors import problem


def _row(o: Override) -> dict[str, Any]:
    return {"file": o.file_name, "version": o.version, "sha256": o.sha256, "withdrawn": o.withdrawn,
            "min_version": o.min_version, "max_version": o.max_version, "comment": o.comment,
            "created_at": o.created_at.isoformat(), "created_by": o.created_by}


@bp.get("/processes/<key>/overrides")
def list_overrides(key: str) -> Any:
    require_api_roles("owner")
    return jsonify([_row(o) for o in overrides.list_current(engine(), current_tenant(), key)])


@bp.post("/processes/<key>/overrides")
def upload_override(key: str) -> Any:
    require_api_roles("owner")
    upload = request.files.get("file")
    if upload is None:
        return problem(400, _("Erwartet: file (die Datei), replaces (Name der gemeinsamen Datei, optional)."))
    name = request.form.get("replaces") or upload.filename or ""
    o = overrides.upload(engine(), current_tenant(), key, name, upload.read(overrides.MAX_BYTES + 1),
                         actor=api_user().username, comment=request.form.get("comment") or None,
                         min_version=request.form.get("min_version", type=int),
                         max_version=request.form.get("max_version", type=int))
    return jsonify(_row(o)), 201


@bp.get("/processes/<key>/overrides/<file_name>")
def show_override(key: str, file_name: str) -> Any:
    require_api_roles("owner")
    comparison = overrides.compare(engine(), current_tenant(), key, file_name)
    versions = overrides.history(engine(), current_tenant(), key, file_name)
    return jsonify(file=comparison.file_name, shared_version=comparison.definition_version,
                   versions=[_row(o) for o in versions], diff=comparison.diff)


@bp.delete("/processes/<key>/overrides/<file_name>")
def withdraw_override(key: str, file_name: str) -> Any:
    require_api_roles("owner")
    return jsonify(_row(overrides.withdraw(engine(), current_tenant(), key, file_name, actor=api_user().username)))


def openapi_paths(ok: Callable[..., dict[str, Any]], ref: Callable[[str], dict[str, str]]) -> dict[str, Any]:
    key = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}
    file = {"name": "file_name", "in": "path", "required": True, "schema": {"type": "string"}}
    row = ref("Override")
    return {
        "/processes/{key}/overrides": {
            "get": {"summary": "Eigene Anpassungen der Kommune an einem gemeinsamen Prozess", "tags": ["overrides"],
                    "parameters": [key], "responses": ok("Gültige Anpassungen", {"type": "array", "items": row})},
            "post": {"summary": "Eine Datei des gemeinsamen Prozesses für die eigene Kommune ersetzen (geprüft "
                                "wie eine Bereitstellung; Probleme als FILE:LINE: element-id: message)",
                     "tags": ["overrides"], "parameters": [key],
                     "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                         "type": "object", "required": ["file"], "properties": {
                             "file": {"type": "string", "contentMediaType": "application/octet-stream"},
                             "replaces": {"type": "string"}, "comment": {"type": "string"},
                             "min_version": {"type": "integer"}, "max_version": {"type": "integer"}}}}}},
                     "responses": ok("Die neue Fassung", row, "201", writes=True)}},   # refused: 400 with problems
        "/processes/{key}/overrides/{file_name}": {
            "get": {"summary": "Fassungen einer Anpassung und Vergleich mit der gemeinsamen Datei",
                    "tags": ["overrides"], "parameters": [key, file],
                    "responses": ok("Fassungen und Unterschiede", {"type": "object", "properties": {
                        "file": {"type": "string"}, "shared_version": {"type": "integer"},
                        "versions": {"type": "array", "items": row},
                        "diff": {"type": "array", "items": {"type": "string"}}}})},
            "delete": {"summary": "Anpassung zurückziehen: neue Vorgänge verwenden wieder die gemeinsame Datei",
                       "tags": ["overrides"], "parameters": [key, file],
                       "responses": ok("Die Rücknahme (eine Fassung ohne Inhalt)", row, writes=True)}},
    }


OVERRIDE_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "file": {"type": "string"}, "version": {"type": "integer"}, "sha256": {"type": ["string", "null"]},
    "withdrawn": {"type": "boolean"}, "min_version": {"type": ["integer", "null"]},
    "max_version": {"type": ["integer", "null"]}, "comment": {"type": ["string", "null"]},
    "created_at": {"type": "string", "format": "date-time"}, "created_by": {"type": "string"}}}
