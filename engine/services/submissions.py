"""Data from outside: what a person may write with a form (issue 12, mass assignment).

A submission (portal, REST API, CLI with a user) may write only the fields that the task's or
start event's form declares, validated by that form, and its document references must name
documents of that case uploaded by that person (or uploaded with the same submission).
Internal writes (scripts, connectors, DMN, messages, the embedding program itself) never pass
through here.

"Declared" is read statically from the form: a key is declared at a position when any branch
of the schema there names it (``properties``; ``allOf``/``anyOf``/``oneOf``/``then``/``else``/
``dependentSchemas`` and local ``$ref`` are followed), matches ``patternProperties``, or the
schema there opens itself explicitly (``additionalProperties``/``unevaluatedProperties`` other
than false, or a ``true`` schema). A bare ``{"type": "object"}`` declares no keys: a form that
wants free keys must say so. The schema itself then validates as always.

A task or start event without a form takes no data from people, unless its element declares
the fields with the extension property ``amtsflow:formFields="a, b"`` (for models whose forms
live elsewhere, e.g. Camunda embedded HTML forms): a person completing a task must not be able
to set arbitrary process variables because the model forgot a form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select

from engine.domain.errors import FormValidationError
from engine.persistence.document_tables import documents
from engine.services import forms
from engine.services.documents import Upload

FORM_FIELDS_PROPERTY = "amtsflow:formFields"
# Fields that hold an uploaded document's id: these formats, or the UI schema's file widget.
DOCUMENT_FORMATS = ("document", "data-url", "binary")
UNDECLARED = "Dieses Feld ist im Formular nicht vorgesehen."
NO_FORM = "Zu diesem Schritt gehört kein Formular; diese Angabe ist hier nicht vorgesehen."
NOT_YOURS = ("Dieses Dokument gehört nicht zu Ihren Unterlagen für diesen Vorgang. "
             "Bitte laden Sie die Datei mit diesem Formular hoch.")
_BRANCHES = ("allOf", "anyOf", "oneOf", "then", "else")
_MAX_REF_DEPTH = 32

Schema = Any   # a JSON Schema: a dict or a boolean


class _Walk:
    """One pass over (schema, data): undeclared keys and document references by field path."""

    def __init__(self, root: Schema) -> None:
        self.root = root
        self.undeclared: dict[str, list[str]] = {}
        self.references: list[tuple[str, str]] = []

    def branches(self, schema: Schema, out: list[Schema], depth: int = 0) -> list[Schema]:
        """``schema`` and every subschema that applies to the same instance."""
        if depth > _MAX_REF_DEPTH or any(s is schema for s in out):
            return out
        out.append(schema)
        if not isinstance(schema, dict):
            return out
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = self.resolve(ref)
            if target is not None:
                self.branches(target, out, depth + 1)
        for keyword in _BRANCHES:
            sub = schema.get(keyword)
            for s in (sub if isinstance(sub, list) else [sub] if sub is not None else []):
                self.branches(s, out, depth + 1)
        for s in (schema.get("dependentSchemas") or {}).values():
            self.branches(s, out, depth + 1)
        return out

    def resolve(self, ref: str) -> Schema | None:
        """A local reference ``#/$defs/x`` (JSON pointer into the form); anything else: None."""
        if not ref.startswith("#"):
            return None
        node: Any = self.root
        for part in [p for p in ref[1:].split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def walk(self, schemas: Sequence[Schema], data: Any, path: str, ui: Any) -> None:
        applicable: list[Schema] = []
        for s in schemas:
            self.branches(s, applicable)
        if any(s is True for s in applicable):
            return                                  # explicitly anything
        dicts = [s for s in applicable if isinstance(s, dict)]
        ui = ui if isinstance(ui, dict) else {}
        if isinstance(data, dict):
            self.walk_object(dicts, data, path, ui)
        elif isinstance(data, list):
            self.walk_array(dicts, data, path, ui.get("items"))
        elif isinstance(data, str) and (ui.get("ui:widget") == "file"
                                        or any(s.get("format") in DOCUMENT_FORMATS for s in dicts)):
            self.references.append((path or "_form", data))

    def walk_object(self, dicts: list[dict[str, Any]], data: dict[Any, Any], path: str, ui: dict[str, Any]) -> None:
        named: dict[str, list[Schema]] = {}
        patterns: list[tuple[str, Schema]] = []
        extra: list[Schema] = []
        for s in dicts:
            for name, sub in (s.get("properties") or {}).items():
                named.setdefault(name, []).append(sub)
            patterns += list((s.get("patternProperties") or {}).items())
            for keyword in ("additionalProperties", "unevaluatedProperties"):
                if keyword in s and s[keyword] is not False:
                    extra.append(s[keyword])
        for key, value in data.items():
            field = f"{path}.{key}" if path else str(key)
            subs = named.get(str(key), []) + [sub for pattern, sub in patterns if _matches(pattern, str(key))]
            if not subs and not extra:
                self.undeclared[field] = [UNDECLARED]
                continue
            self.walk(subs or extra, value, field, ui.get(str(key)))

    def walk_array(self, dicts: list[dict[str, Any]], data: list[Any], path: str, ui: Any) -> None:
        for index, value in enumerate(data):
            subs: list[Schema] = []
            for s in dicts:
                prefix = s.get("prefixItems") or []
                if index < len(prefix):
                    subs.append(prefix[index])
                elif "items" in s:
                    subs.append(s["items"])
            if subs:
                self.walk(subs, value, f"{path}.{index}" if path else str(index), ui)


def _matches(pattern: str, key: str) -> bool:
    try:
        return re.search(pattern, key) is not None
    except re.error:
        return False


def check(conn: Any, form: Any, data: Any, *, where: str, actor: str, case_id: str | None = None,
          uploaded: Iterable[str] = (), declared_without_form: Iterable[str] = ()) -> None:
    """Check a person's submission; every refusal at once, field by field (FormValidationError):
    undeclared keys, the form's own schema errors, and document references that name neither a
    document uploaded with this submission nor an attachment of case ``case_id`` by ``actor``.
    ``form`` is the element's form (schema and UI schema) or None."""
    forms.validate(None, data, where=where)         # not an object: the usual message
    if form is None:
        allowed = set(declared_without_form)
        errors = {str(k): [NO_FORM] for k in data if str(k) not in allowed}
        if errors:
            raise FormValidationError(f"{where}: no form declares {', '.join(sorted(errors))} (data from a person; "
                                      f"the embedding program itself passes internal=True)", errors)
        return
    walk = _Walk(form.schema)
    walk.walk([form.schema], data, "", form.ui_schema)
    errors = dict(walk.undeclared)
    try:
        forms.validate(form.schema, data, where=where)
    except FormValidationError as exc:
        for field, messages in exc.field_errors.items():
            if field not in errors and not _explains_undeclared(field, messages, walk.undeclared):
                errors[field] = messages
    references = [(path, doc_id) for path, doc_id in walk.references if path not in errors]
    errors.update(_foreign_documents(conn, references, case_id, actor, set(uploaded)))
    if errors:
        raise FormValidationError(f"{where}: submitted data by {actor} refused ({', '.join(sorted(errors))}); only "
                                  f"the form's fields are data from a person (internal=True: the program's own)", errors)


def _explains_undeclared(field: str, messages: list[str], undeclared: Mapping[str, list[str]]) -> bool:
    """The schema's own "unknown fields" error for an object whose keys are reported one by one."""
    prefix = "" if field == "_form" else field + "."
    return messages == [forms.UNKNOWN_FIELDS] and any(u.startswith(prefix) for u in undeclared)


def _foreign_documents(conn: Any, references: Sequence[tuple[str, str]], case_id: str | None, actor: str,
                       fresh: set[str]) -> dict[str, list[str]]:
    """References to anything but this submission's uploads or ``actor``'s attachments of the case."""
    wanted = {doc_id for _, doc_id in references if doc_id not in fresh}
    known: set[str] = set()
    if wanted and case_id is not None and conn is not None:
        rows = conn.execute(select(documents.c.id).where(
            documents.c.id.in_(sorted(wanted)), documents.c.case_id == case_id,
            documents.c.uploaded_by == actor, documents.c.kind == "attachment"))
        known = {str(r) for r in rows.scalars()}
    return {path: [NOT_YOURS] for path, doc_id in references if doc_id not in fresh and doc_id not in known}


@dataclass(frozen=True)
class Submission:
    """Who sends the data of a start, and what they uploaded with it. ``internal``: the data
    come from the embedding program itself (any variables, validated by the form's schema)."""

    actor: str
    internal: bool = False
    uploads: tuple[Upload, ...] = ()

    def check_start(self, model: Any, data: dict[str, Any], *, where: str) -> None:
        form = model.start_form
        if self.internal:
            forms.validate(form.schema if form else None, data, where=where)
            return
        starts = [i for i in model.elements.values() if i.kind == "startEvent" and not i.nested]
        declared = [f for i in starts for f in declared_without_form(i.properties)]
        check(None, form, data, where=where, actor=self.actor, uploaded=[u.id for u in self.uploads],
              declared_without_form=declared)


def declared_without_form(properties: Mapping[str, str]) -> list[str]:
    """``amtsflow:formFields="a, b"`` on an element without a form."""
    return [f.strip() for f in (properties.get(FORM_FIELDS_PROPERTY) or "").split(",") if f.strip()]
