"""REST API of the cockpit for process owners and admins: case search and case repairs.

GET /cases searches like the studio's case list (X-Total-Count up to 10,000, Link rel="next");
the repairs need a ``comment`` (the reason, kept in the case's history) and answer the case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from flask import jsonify, request, url_for
from flask_babel import gettext as _

from engine.domain.errors import InvalidState, NotFound
from engine.services import case_repair, case_search, queries
from engine.services.case_search import CaseQuery, CaseRow
from webui.api.blueprint import api_user, bp, json_body, not_found, require_api_roles
from webui.auth import engine
from webui.errors import problem

MAX_VERSION = 2**31 - 1
SEARCH_PARAMS = ("process_key", "version", "status", "business_key", "started_from", "started_until",
                 "ended_from", "ended_until", "field", "q")


def _moment(name: str) -> datetime | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidState(f"bad {name}", user_message=_("%(name)s erwartet Datum und Uhrzeit nach ISO 8601 mit "
                                                         "Zeitzone, z. B. 2026-12-01T00:00:00+01:00.", name=name)) from None
    if moment.tzinfo is None:
        raise InvalidState(f"{name} without zone", user_message=_("%(name)s braucht eine Zeitzone, z. B. +01:00.",
                                                                  name=name))
    return moment


def _query() -> CaseQuery:
    args = request.args
    field_name = field_value = None
    if args.get("field"):
        field_name, sep, field_value = args["field"].partition(":")
        if not sep or not field_name:
            raise InvalidState("bad field", user_message=_("field erwartet Name:Wert eines Suchfelds, "
                                                           "z. B. field=antragsteller:Erika Mustermann."))
    try:
        version = int(args["version"]) if args.get("version") else None
        limit = int(args.get("limit", case_search.PAGE_SIZE))
        if version is not None and not _version_number(version):
            raise ValueError(version)
    except ValueError:
        raise InvalidState("bad number", user_message=_("version (1 bis %(max)s) und limit sind ganze Zahlen.",
                                                        max=MAX_VERSION)) from None
    return CaseQuery(process_key=args.get("process_key") or None, version=version, status=args.get("status") or None,
                     business_key=args.get("business_key") or None, started_from=_moment("started_from"),
                     started_until=_moment("started_until"), ended_from=_moment("ended_from"),
                     ended_until=_moment("ended_until"), field_name=field_name, field_value=field_value,
                     text=args.get("q") or None, limit=limit, after=args.get("cursor") or None)


def _row(row: CaseRow) -> dict[str, Any]:
    return {"id": row.id, "process_key": row.process_key, "version": row.version, "status": row.status,
            "suspended": row.suspended, "business_key": row.business_key, "citizen_status": row.citizen_status,
            "started_by": row.started_by, "started_at": row.started_at.isoformat(),
            "ended_at": row.ended_at.isoformat() if row.ended_at else None, "open_incidents": row.open_incidents,
            "fields": row.fields}


@bp.get("/cases")
def search_cases() -> Any:
    require_api_roles("owner", "admin")
    query = _query()
    page = case_search.search(engine(), query)
    response = jsonify([_row(row) for row in page.rows])
    response.headers["X-Total-Count"] = str(page.total)
    if page.total_capped:
        response.headers["X-Total-Count-Exact"] = "false"
    if page.next_cursor:
        kept = {name: request.args[name] for name in SEARCH_PARAMS if request.args.get(name)}
        following = url_for("api.search_cases", _external=True, limit=query.limit, cursor=page.next_cursor, **kept)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return response


def _case_or_404(case_id: str) -> None:
    try:
        queries.get_case(engine(), case_id, with_history=False)
    except NotFound:
        not_found("case", case_id)


def _comment(body: dict[str, Any]) -> str:
    comment = body.get("comment")
    if not isinstance(comment, str):
        raise InvalidState("comment missing", user_message=_("comment (Text) fehlt: die Begründung des Eingriffs."))
    return comment


@bp.post("/cases/<case_id>/data")
def repair_data(case_id: str) -> Any:
    require_api_roles("owner", "admin")
    _case_or_404(case_id)
    body = json_body()
    changes = body.get("data")
    if not isinstance(changes, dict):
        return problem(400, _("Erwartet: data (Objekt mit den zu ändernden Feldern) und comment (Text)."))
    case_repair.edit_data(engine(), case_id, changes, actor=api_user().username, comment=_comment(body))
    return jsonify(queries.get_case(engine(), case_id))


def _lifecycle(case_id: str, action: Any) -> Any:
    require_api_roles("owner", "admin")
    _case_or_404(case_id)
    action(engine(), case_id, actor=api_user().username, comment=_comment(json_body()))
    return jsonify(queries.get_case(engine(), case_id))


@bp.post("/cases/<case_id>/modify")
def modify_case(case_id: str) -> Any:
    """Skip or cancel an open step, start again before a completed one, or start before any step of a
    running process level, also cancelling the open ones (``move``) (``preview``: only show)."""
    from engine.services import case_modification

    require_api_roles("owner", "admin")
    _case_or_404(case_id)
    body = json_body()
    action, element, preview = body.get("action"), body.get("element_id"), body.get("preview", False)
    if not isinstance(action, str) or not isinstance(element, str) or not isinstance(preview, bool):
        return problem(400, _("Erwartet: action (skip, cancel, restart, start_before, move), element_id (Text), "
                              "preview (ja/nein), "
                              "comment (Text, zum Ausführen)."))
    result = case_modification.modify(engine(), case_id, case_modification.Instruction(action, element),
                                      actor=api_user().username, preview=preview,
                                      comment="" if preview else _comment(body))
    return jsonify(before=result.before, after=result.after, ends_case=result.ends, applied=not preview)


@bp.post("/cases/<case_id>/suspend")
def suspend_case(case_id: str) -> Any:
    return _lifecycle(case_id, case_repair.suspend)


@bp.post("/cases/<case_id>/resume")
def resume_case(case_id: str) -> Any:
    return _lifecycle(case_id, case_repair.resume)


@bp.post("/cases/<case_id>/cancel")
def cancel_case(case_id: str) -> Any:
    return _lifecycle(case_id, case_repair.cancel)


CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}}
COMMENT = {"type": "string", "minLength": case_repair.MIN_COMMENT, "maxLength": case_repair.MAX_COMMENT,
           "description": "Begründung; steht im Verlauf des Vorgangs"}


def openapi_paths(ok: Any, ref: Any) -> dict[str, Any]:
    """This module's part of the OpenAPI document (``ok`` and ``ref`` are the document's helpers)."""
    def repair(summary: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
        return {"post": {"summary": summary, "tags": ["cockpit"], "parameters": [CASE_ID],
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object", "required": required, "properties": properties}}}},
                         "responses": ok("Der Vorgang danach", ref("Case"), writes=True)}}

    search = ok("Eine Seite Vorgänge, die neuesten zuerst", {"type": "array", "items": ref("CaseRow")})
    search["200"]["headers"] = {
        "X-Total-Count": {"description": "Anzahl der Treffer (bis 10.000)", "required": True,
                          "schema": {"type": "string", "pattern": "^[0-9]+$"}},
        "X-Total-Count-Exact": {"description": "false: es gibt mehr Treffer", "schema": {"type": "string"}},
        "Link": {"description": "<URL der nächsten Seite>; rel=\"next\"", "schema": {"type": "string"}}}
    text_params = ("process_key", "business_key", "q", "field", "cursor")
    moments = ("started_from", "started_until", "ended_from", "ended_until")
    return {
        "/cases": {"get": {
            "summary": "Vorgänge suchen (Prozessverantwortung, Administration)", "tags": ["cockpit"],
            "description": "Filter: process_key, version, status (running, waiting, completed, failed, cancelled, "
                           "suspended, incident), business_key (genau), started_/ended_from und _until (ISO 8601 "
                           "mit Zeitzone; bis: ausschließlich), field=Name:Wert (ein Suchfeld, genau), q (enthält, "
                           "in den Suchfeldern; ein Aktenzeichen genau).",
            "parameters": [*({"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                             for n in text_params),
                           *({"name": n, "in": "query", "required": False,
                              "schema": {"type": "string", "format": "date-time"}} for n in moments),
                           {"name": "status", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": list(case_search.STATUSES)}},
                           {"name": "version", "in": "query", "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_VERSION}},
                           {"name": "limit", "in": "query", "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": case_search.MAX_PAGE_SIZE,
                                       "default": case_search.PAGE_SIZE}}],
            "responses": search}},
        "/cases/{case_id}/data": repair("Daten eines Vorgangs korrigieren (nur vom Prozess vorgesehene Felder)",
                                        {"data": {"type": "object"}, "comment": COMMENT}, ["data", "comment"]),
        "/cases/{case_id}/modify": {"post": {
            "summary": "Position ändern: offenen Schritt überspringen oder abbrechen, vor erledigtem neu beginnen",
            "tags": ["cockpit"], "parameters": [CASE_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["action", "element_id"], "properties": {
                    "action": {"type": "string", "enum": ["skip", "cancel", "restart", "start_before", "move"]},
                    "element_id": {"type": "string"}, "preview": {"type": "boolean", "default": False},
                    "comment": COMMENT}}}}},
            "responses": ok("Offene Schritte vorher und nachher", {"type": "object", "properties": {
                "before": {"type": "array", "items": {"type": "string"}},
                "after": {"type": "array", "items": {"type": "string"}},
                "ends_case": {"type": "boolean"}, "applied": {"type": "boolean"}}}, writes=True)}},
        "/cases/{case_id}/suspend": repair("Vorgang anhalten", {"comment": COMMENT}, ["comment"]),
        "/cases/{case_id}/resume": repair("Vorgang fortsetzen", {"comment": COMMENT}, ["comment"]),
        "/cases/{case_id}/cancel": repair("Vorgang abbrechen", {"comment": COMMENT}, ["comment"]),
    }


CASE_ROW_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "id": {"type": "string"}, "process_key": {"type": "string"}, "version": {"type": "integer"},
    "status": {"type": "string"}, "suspended": {"type": "boolean"}, "business_key": {"type": ["string", "null"]},
    "citizen_status": {"type": ["string", "null"]}, "started_by": {"type": ["string", "null"]},
    "started_at": {"type": "string", "format": "date-time"},
    "ended_at": {"type": ["string", "null"], "format": "date-time"},
    "open_incidents": {"type": "integer"},
    "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}


# -- migrations --------------------------------------------------------------------------------
@bp.post("/migrations")
def create_migration() -> Any:
    """A dry run (``dry_run: true``, default) or a batch of the cases of one version."""
    from engine.services import case_migration

    require_api_roles("owner")
    body = json_body()
    key, source, target = body.get("process_key"), body.get("source_version"), body.get("target_version")
    mapping, dry_run = body.get("mapping", {}), body.get("dry_run", True)
    case_ids = body.get("case_ids")
    if (not isinstance(key, str) or not _version_number(source) or not _version_number(target)
            or not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values())
            or not isinstance(dry_run, bool)
            or not (case_ids is None or (isinstance(case_ids, list) and all(isinstance(c, str) for c in case_ids)))):
        return problem(400, _("Erwartet: process_key (Text), source_version und target_version (Zahlen), mapping "
                              "(Objekt alt → neu, optional), dry_run (ja/nein), case_ids (Liste, optional), "
                              "comment (Text, zum Migrieren)."))
    source_version, target_version = cast(int, source), cast(int, target)
    proposal = case_migration.propose(engine(), key, source_version, target_version)
    plan = case_migration.MigrationPlan(key, source_version, target_version, {**proposal.plan.mapping, **mapping})
    if dry_run:
        case_migration.check_plan(engine(), plan)
        ids = case_ids or case_migration.running_cases(engine(), key, source_version, 10)
        results = [case_migration.migrate_case(engine(), case_id, plan, actor=api_user().username, dry_run=True)
                   for case_id in ids]
        return jsonify(mapping=plan.mapping, unmapped=[e for e in proposal.unmapped if e not in plan.mapping],
                       cases=[{"case_id": r.case_id, "would_migrate": not r.issues,
                               "issues": [i.message for i in r.issues],
                               "position": sorted(r.position.values())} for r in results])
    batch_id = case_migration.start_batch(engine(), plan, actor=api_user().username,
                                          comment=_comment(body), case_ids=case_ids)
    return jsonify(_batch(case_migration.get_batch(engine(), batch_id))), 202


@bp.get("/migrations/<batch_id>")
def get_migration(batch_id: str) -> Any:
    from engine.services import case_migration

    require_api_roles("owner", "admin")
    try:
        return jsonify(_batch(case_migration.get_batch(engine(), batch_id)))
    except NotFound:
        not_found("migration", batch_id)


def _version_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_VERSION


def _batch(batch: Any) -> dict[str, Any]:
    return {"id": batch.id, "process_key": batch.process_key, "source_version": batch.source_version,
            "target_version": batch.target_version, "status": batch.status, "total": batch.total,
            "migrated": batch.migrated, "refused": batch.refused,
            "cases": [{"case_id": c["case_id"], "status": c["status"], "message": c["message"]} for c in batch.cases]}


MIGRATION_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "id": {"type": "string"}, "process_key": {"type": "string"}, "source_version": {"type": "integer"},
    "target_version": {"type": "integer"}, "status": {"type": "string", "enum": ["running", "done"]},
    "total": {"type": "integer"}, "migrated": {"type": "integer"}, "refused": {"type": "integer"},
    "cases": {"type": "array", "items": {"type": "object", "properties": {
        "case_id": {"type": "string"}, "status": {"type": "string", "enum": ["pending", "migrated", "refused"]},
        "message": {"type": ["string", "null"]}}}}}}


def migration_paths(ok: Any, ref: Any) -> dict[str, Any]:
    body = {"type": "object", "required": ["process_key", "source_version", "target_version"], "properties": {
        "process_key": {"type": "string"},
        "source_version": {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
        "target_version": {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
        "mapping": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "Element-ID alt → neu; gleiche IDs werden von selbst zugeordnet"},
        "dry_run": {"type": "boolean", "default": True}, "case_ids": {"type": "array", "items": {"type": "string"}},
        "comment": COMMENT}}
    created = ok("Probelauf (200) oder gestartete Migration (202)", {"type": "object"}, "202", writes=True)
    created["200"] = {"description": "Ergebnis des Probelaufs", "content": {"application/json": {
        "schema": {"type": "object"}}}}
    return {
        "/migrations": {"post": {"summary": "Laufende Vorgänge auf eine andere Version migrieren (Probelauf zuerst)",
                                 "tags": ["cockpit"], "requestBody": {"required": True, "content": {
                                     "application/json": {"schema": body}}}, "responses": created}},
        "/migrations/{batch_id}": {"get": {
            "summary": "Stand einer Migration", "tags": ["cockpit"],
            "parameters": [{"name": "batch_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": ok("Stand und Ergebnis je Vorgang", ref("Migration"))}},
    }
