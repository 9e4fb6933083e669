"""Read-only queries for process owners: KPIs per process and the diagram source of a version."""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import func, select

from engine.bootstrap import Engine
from engine.domain.errors import NotFound
from engine.persistence import tables as t


def cases_by_status(engine: Engine, process_key: str | None = None) -> dict[str, int]:
    query = select(t.cases.c.status, func.count()).group_by(t.cases.c.status)
    if process_key:
        query = query.where(t.cases.c.process_key == process_key)
    with engine.db.connect() as conn:
        return {status: count for status, count in conn.execute(query)}


def lead_times(engine: Engine, process_key: str | None = None) -> dict[str, Any]:
    """Median and 90th percentile (nearest rank) of ended_at - started_at over completed cases."""
    query = select(t.cases.c.started_at, t.cases.c.ended_at).where(t.cases.c.status == "completed",
                                                                   t.cases.c.ended_at.is_not(None))
    if process_key:
        query = query.where(t.cases.c.process_key == process_key)
    with engine.db.connect() as conn:
        durations = sorted((r.ended_at - r.started_at).total_seconds() for r in conn.execute(query))
    if not durations:
        return {"count": 0, "median": None, "p90": None}
    rank = max(0, -(-len(durations) * 9 // 10) - 1)
    return {"count": len(durations), "median": timedelta(seconds=median(durations)),
            "p90": timedelta(seconds=durations[rank])}


def deadline_breaches(engine: Engine, now: datetime, process_key: str | None = None) -> list[dict[str, Any]]:
    w = t.work_items
    query = select(w.c.id, w.c.case_id, w.c.name, w.c.process_key, w.c.due, w.c.assignee).where(
        w.c.state == "open", w.c.due.is_not(None), w.c.due < now).order_by(w.c.due)
    if process_key:
        query = query.where(w.c.process_key == process_key)
    with engine.db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def open_items_per_element(engine: Engine, definition_id: str) -> dict[str, int]:
    w = t.work_items
    query = (select(w.c.element_id, func.count()).join(t.cases, t.cases.c.id == w.c.case_id)
             .where(w.c.state == "open", t.cases.c.definition_id == definition_id).group_by(w.c.element_id))
    with engine.db.connect() as conn:
        return {element: count for element, count in conn.execute(query)}


def cases_per_definition(engine: Engine) -> dict[str, int]:
    query = select(t.cases.c.definition_id, func.count()).group_by(t.cases.c.definition_id)
    with engine.db.connect() as conn:
        return {definition: count for definition, count in conn.execute(query)}


def process_xml(engine: Engine, definition_id: str) -> str:
    """The BPMN XML of a deployed definition (the file that declares its process)."""
    with engine.db.connect() as conn:
        row = conn.execute(select(t.process_definitions).where(t.process_definitions.c.id == definition_id)).first()
        if row is None:
            raise NotFound(f"definition {definition_id} not found")
        hashes = [f["sha256"] for f in row.files if f["name"].lower().endswith((".bpmn", ".xml"))]
        contents = conn.execute(select(t.resources.c.content).where(t.resources.c.sha256.in_(hashes))).scalars().all()
    for content in contents:
        text = bytes(content).decode("utf-8", "replace")
        if f'id="{row.key}"' in text:
            return text
    raise NotFound(f"definition {definition_id}: no BPMN file declares process {row.key}")


def current_elements(engine: Engine, case_id: str) -> list[str]:
    """Where a case stands, for its diagram: open tasks, pending timers and service calls, and
    elements with an open incident (a case waiting only for a message shows none of these)."""
    w, j, i = t.work_items, t.jobs, t.incidents
    with engine.db.connect() as conn:
        found = {*conn.execute(select(w.c.element_id).where(w.c.case_id == case_id, w.c.state == "open")).scalars(),
                 *conn.execute(select(j.c.element_id).where(j.c.case_id == case_id, j.c.kind.in_(("timer", "service")),
                                                            j.c.element_id.is_not(None))).scalars(),
                 *conn.execute(select(i.c.element_id).where(i.c.case_id == case_id, i.c.status == "open",
                                                            i.c.element_id.is_not(None))).scalars()}
    return sorted(found)
