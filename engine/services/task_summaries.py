"""The summary each task-list row shows: the case field the process declares in its service.toml
(``[aufgabenliste] spalte``/``titel``, engine/runtime/task_list.py), read from the case_fields
projection for the page's cases in one query."""

from __future__ import annotations


from sqlalchemy import select

from engine.bootstrap import Engine
from engine.persistence import tables as t
from engine.services import queries
from engine.services.read_models import TaskView


def declared(engine: Engine, process_keys: set[str]) -> dict[str, tuple[str, str]]:
    """process key -> (case field, label), from each process's newest version."""
    newest: dict[str, str] = {}
    for row in queries.list_definitions(engine):          # ordered by key, newest version first
        if row["key"] in process_keys and row["key"] not in newest:
            newest[row["key"]] = row["id"]
    found = {}
    for key, definition_id in newest.items():
        parsed = engine.definitions.get(definition_id)
        model = parsed.models.get(key, parsed.model)
        if model.summary:
            found[key] = model.summary
    return found


def add_summaries(engine: Engine, items: list[TaskView]) -> list[TaskView]:
    """``items`` (task views) with ``summary``: {"label", "value"}, or None where there is none."""
    fields = declared(engine, {i["process_key"] for i in items})
    cases = {i["case_id"] for i in items if i["process_key"] in fields}
    values: dict[tuple[str, str], str | None] = {}
    if cases:
        cf = t.case_fields
        with engine.db.connect() as conn:
            rows = conn.execute(select(cf.c.case_id, cf.c.name, cf.c.value).where(
                cf.c.case_id.in_(cases), cf.c.name.in_({f for f, _ in fields.values()}))).all()
        values = {(r.case_id, r.name): r.value for r in rows}
    for item in items:
        field = fields.get(item["process_key"])
        value = values.get((item["case_id"], field[0])) if field else None
        item["summary"] = {"label": field[1], "value": value} if field and value not in (None, "") else None
    return items
