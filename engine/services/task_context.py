"""What the clerk's task page shows besides the form: the model's instructions for the task, the
forms that describe the case's data, and what the process declares for the page (service.toml
``[aufgabenseite]``, or ``ui:summary`` in the task form's UI schema):

    [aufgabenseite]
    pruefhinweise = "pruefhinweise"          # variable with the reasons for a manual review
    zusammenfassung = ["antragsteller.familienname", "fahrzeug.kennzeichen", "zone"]
    [aufgabenseite.felder]                   # variables no form names: title, format (datum, cent, euro)
    zone = { titel = "Bewohnerparkzone" }
    [aufgabenseite.aufgaben.ablehnung_freigeben]   # per task (element id): its own summary
    zusammenfassung = ["begruendung", "vermerk"]

A citizen's task (portal) shows only what that task declares (``task_summary``), never the
process-wide summary meant for clerks.

The web layer formats the values; this module only reads the declarations.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from sqlalchemy import select

from engine.domain.errors import NotFound
from engine.persistence import tables as t
from engine.runtime.model import Form
from engine.services import variants

if TYPE_CHECKING:
    from engine.bootstrap import Engine

SECTION = "aufgabenseite"
FORMATS = ("datum", "cent", "euro", "text")


@dataclass(frozen=True)
class FieldSetting:
    title: str = ""
    format: str = ""              # one of FORMATS, or "" (from the form's schema)


@dataclass(frozen=True)
class TaskContext:
    element_id: str
    instructions: list[str]                     # Markdown, in this order: the task's, the form's
    start_form: Form | None
    task_form: Form | None
    other_forms: list[Form]                     # forms of the process's other user tasks
    review_notes_variable: str | None           # the variable holding the reasons for manual review
    summary: list[str]                          # dotted variable names, in order
    task_summary: list[str]                     # only what this task declares (shown to citizens)
    fields: dict[str, FieldSetting] = field(default_factory=dict)


def task_context(engine: "Engine", task: Mapping[str, Any]) -> TaskContext:
    """The task page's context for an open or closed work item (``queries.get_task``)."""
    with engine.db.connect() as conn:
        case = conn.execute(select(t.cases.c.definition_id, t.cases.c.variant_id, t.cases.c.bound_definitions)
                            .where(t.cases.c.id == task["case_id"])).first()
        if case is None:
            raise NotFound(f"case {task['case_id']} not found", user_message="Der Vorgang wurde nicht gefunden.")
        definition_id = str(case.definition_id)
        page = _page_settings(conn, definition_id, case.variant_id, task["process_key"])
    parsed = engine.definitions.for_case(definition_id, None, case.variant_id, case.bound_definitions)
    model = parsed.models.get(task["process_key"], parsed.model)
    info = model.element(task["element_id"])
    start = model.start_form
    others = [e.form for e in model.elements.values()
              if e.form is not None and e.kind != "startEvent" and e.id != info.id]
    own = info.form
    summary = _names((own.ui_schema.get("ui:summary") if own else None))
    per_task = (page.get("aufgaben") or {}).get(info.id) if isinstance(page.get("aufgaben"), dict) else None
    if not summary and isinstance(per_task, dict):
        summary = _names(per_task.get("zusammenfassung"))
    task_summary = list(summary)
    if not summary:
        summary = _names(page.get("zusammenfassung"))
    notes = page.get("pruefhinweise")
    return TaskContext(
        element_id=info.id, instructions=_instructions(info, own), start_form=start, task_form=own,
        other_forms=others, review_notes_variable=notes if isinstance(notes, str) and notes else None,
        summary=summary, task_summary=task_summary, fields=_field_settings(page.get("felder")))


def case_context(engine: "Engine", case: Mapping[str, Any]) -> TaskContext:
    """The same for a case's own page (no task): the process-wide summary, every task form."""
    return task_context(engine, {"case_id": case["id"], "process_key": case["process_key"], "element_id": ""})


def _instructions(info: Any, form: Form | None) -> list[str]:
    texts = [text for text in (info.instructions or info.documentation,) if text]
    description = form.schema.get("description") if form else None
    if isinstance(description, str) and description.strip() and description.strip() not in texts:
        texts.append(description.strip())
    return texts


def _names(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def _field_settings(value: Any) -> dict[str, FieldSetting]:
    settings: dict[str, FieldSetting] = {}
    for name, entry in (value.items() if isinstance(value, dict) else ()):
        if isinstance(entry, dict):
            fmt = str(entry.get("format") or "")
            settings[name] = FieldSetting(str(entry.get("titel") or ""), fmt if fmt in FORMATS else "")
    return settings


def _page_settings(conn: Any, definition_id: str, variant: str | None, process_key: str) -> dict[str, Any]:
    """``[aufgabenseite]`` of the deployment's service.toml for this process (empty without one);
    of the tenant's service.toml when the case runs on a variant that overrides it."""
    d = t.process_definitions
    stored = variants.stored_files(conn, variant) if variant is not None else None
    files = stored[1] if stored is not None else \
        conn.execute(select(d.c.files).where(d.c.id == definition_id)).scalar() or []
    hashes = [f["sha256"] for f in files if str(f["name"]).endswith("service.toml")]
    if not hashes:
        return {}
    for content in conn.execute(select(t.resources.c.content).where(t.resources.c.sha256.in_(hashes))).scalars():
        try:
            data = tomllib.loads(bytes(content).decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if data.get("key") in (None, process_key) and isinstance(data.get(SECTION), dict):
            return dict(data[SECTION])
    return {}
