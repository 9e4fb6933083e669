"""Repairs of a case by an operator or process owner, each audited with who, why and what.

Every action needs a comment (the reason, for the record). Edits of case data are checked
against the fields the process declares (its forms' fields and its case fields) and written to
the audit trail as before/after; cancel, suspend, resume and retry reuse the engine's commands.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import select

from engine.bootstrap import Engine
from engine.domain.errors import FormValidationError, InvalidState, NotFound
from engine.persistence import tables as t
from engine.runtime.parsing import ParsedProcess
from engine.services import cases, inbound, incidents
from engine.services.commands import Command, run_case_command

MIN_COMMENT = 5
MAX_COMMENT = 2000


@dataclass(frozen=True)
class DeclaredField:
    name: str
    title: str
    schema: dict[str, Any]     # the property's JSON Schema ({} when only a case field, any scalar)


def require_comment(comment: str | None) -> str:
    text = (comment or "").strip()
    if len(text) < MIN_COMMENT:
        raise FormValidationError("a comment is required", {"kommentar": [
            f"Bitte begründen Sie den Eingriff (mindestens {MIN_COMMENT} Zeichen)."]})
    if len(text) > MAX_COMMENT:
        raise FormValidationError("comment too long", {"kommentar": [
            f"Die Begründung darf höchstens {MAX_COMMENT} Zeichen lang sein."]})
    inbound.check_text(text, "comment", where="case repair")
    return text


def declared_fields(parsed: ParsedProcess) -> dict[str, DeclaredField]:
    """Top-level fields of every form of the process (start and user tasks) and its case fields."""
    found: dict[str, DeclaredField] = {}
    for model in parsed.models.values():
        for info in model.elements.values():
            if info.form is None:
                continue
            schema = info.form.schema
            defs = {key: schema[key] for key in ("$defs", "definitions") if key in schema}
            for part in [schema, *schema.get("allOf", [])]:
                for name, prop in (part.get("properties") or {}).items():
                    if name not in found and isinstance(prop, dict):
                        found[name] = DeclaredField(name, str(prop.get("title") or name), {**defs, **prop})
        for name in model.case_fields:
            found.setdefault(name, DeclaredField(name, name, {}))
    return found


def declared_fields_of_case(engine: Engine, case_id: str) -> dict[str, DeclaredField]:
    """:func:`declared_fields` of what a case runs: its definition (its tenant's variant) and the
    called processes its call activities bound when they started (what :func:`edit_data` accepts)."""
    c = t.cases
    with engine.db.connect() as conn:
        row = conn.execute(select(c.c.definition_id, c.c.variant_id, c.c.bound_definitions)
                           .where(c.c.id == case_id)).first()
        if row is None:
            raise NotFound(f"case {case_id} not found", user_message="Der Vorgang wurde nicht gefunden.")
        return declared_fields(engine.definitions.for_case(row.definition_id, conn, row.variant_id,
                                                           row.bound_definitions))


def _check_changes(parsed: ParsedProcess, changes: dict[str, Any]) -> None:
    if not changes:
        raise FormValidationError("no changes", {"daten": ["Bitte ändern Sie mindestens einen Wert."]})
    fields = declared_fields(parsed)
    errors: dict[str, list[str]] = {}
    for name, value in changes.items():
        declared = fields.get(name)
        if declared is None:
            errors[name] = ["Dieses Feld ist im Prozess nicht vorgesehen und kann nicht gesetzt werden."]
            continue
        if not declared.schema and isinstance(value, (dict, list)):
            errors[name] = ["Hier ist ein einzelner Wert erwartet."]
            continue
        problems = sorted(Draft202012Validator(declared.schema).iter_errors(value), key=lambda e: list(e.path))
        if problems:
            errors[name] = [f"Der Wert passt nicht zum Feld „{declared.title}“: {problems[0].message}"]
    if errors:
        raise FormValidationError("case data edit refused", errors)


def edit_data(engine: Engine, case_id: str, changes: dict[str, Any], *, actor: str, comment: str) -> dict[str, Any]:
    """Set declared case variables of a case that has not ended; returns {name: (before, after)}."""
    reason = require_comment(comment)
    inbound.check_data(changes, where=f"repair case {case_id}")

    def mutate(cmd: Command) -> dict[str, Any]:
        if cmd.case.status in ("completed", "cancelled"):
            raise InvalidState(f"case {case_id} has ended", user_message="Der Vorgang ist beendet; "
                               "seine Daten können nicht mehr geändert werden.")
        _check_changes(cmd.parsed, changes)
        before = cmd.case.data or {}
        if not cmd.engine.runner.set_case_data(cmd.wf, changes):
            raise InvalidState(f"case {case_id} has no open step", user_message="Der Vorgang hat keinen offenen "
                               "Schritt, an dem sich Daten ändern lassen.")
        diff = {name: {"vorher": copy.deepcopy(before.get(name)), "nachher": value} for name, value in changes.items()}
        cmd.audit_details.update(comment=reason, changes=diff)
        return diff

    return run_case_command(engine, case_id, actor, "data_edited", mutate, allow_suspended=True)


def cancel(engine: Engine, case_id: str, *, actor: str, comment: str) -> None:
    cases.cancel_case(engine, case_id, actor=actor, reason=require_comment(comment))


def suspend(engine: Engine, case_id: str, *, actor: str, comment: str) -> None:
    cases.set_suspended(engine, case_id, True, actor=actor, comment=require_comment(comment))


def resume(engine: Engine, case_id: str, *, actor: str, comment: str) -> None:
    cases.set_suspended(engine, case_id, False, actor=actor, comment=require_comment(comment))


def retry(engine: Engine, incident_id: str, *, actor: str, comment: str) -> None:
    incidents.retry_incident(engine, incident_id, actor, comment=require_comment(comment))
