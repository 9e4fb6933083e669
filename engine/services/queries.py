"""Read-side queries: case view, inbox, history. Typed dicts (engine.services.read_models), ready for JSON."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import bindparam, literal_column, select
from sqlalchemy.engine import Engine as Database

from engine.domain.errors import NotFound
from engine.persistence import tables as t
from engine.persistence.db import fast_reading, make_engine, reading
from engine.persistence.fast import FastStatement, flush_deferred
from engine.settings import Settings
from engine.services.read_models import CaseSummary, CaseView, DefinitionFile, DefinitionView, TaskView

if TYPE_CHECKING:   # not at run time: the CLI's read commands load no runtime (SpiffWorkflow, parsers)
    from engine.bootstrap import Engine


class Reads(Protocol):
    """What a plain read needs: the database. The engine is one; so is the CLI's light reader
    (webui.cli_engine.command_reader), which builds no runtime."""

    @property
    def db(self) -> Database: ...


@dataclass(frozen=True)
class Reader:
    db: Database


def open_reader(settings: Settings | None = None) -> Reader:
    """A database handle for reads, built as the engine builds its own (engine.bootstrap), but
    without the runtime; the caller disposes of ``reader.db``."""
    settings = settings or Settings.from_env()
    return Reader(make_engine(settings.database_url, busy_seconds=settings.sqlite_busy_seconds,
                              synchronous=settings.sqlite_synchronous))

MAX_ROWS = 500


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def task_view(row: Any) -> TaskView:
    return {
        "id": row.id,
        "case_id": row.case_id,
        "process_key": row.process_key,
        "name": row.name,
        "element_id": row.element_id,
        "state": row.state,
        "candidate_groups": list(row.candidate_groups or []),
        "candidate_users": list(row.candidate_users or []),
        "assignee": row.assignee,
        "due": _iso(row.due),
        "follow_up": _iso(row.follow_up),
        "priority": row.priority,
        "created_at": _iso(row.created_at),
        "business_key": getattr(row, "business_key", None),
    }


def list_tasks(engine: Reads, *, group: str | None = None, groups: list[str] | None = None,
               user: str | None = None, case_id: str | None = None, process_key: str | None = None,
               assignee: str | None = None, search: str | None = None, state: str = "open",
               limit: int = MAX_ROWS) -> list[TaskView]:
    """The first ``limit`` (at most MAX_ROWS) tasks in inbox order; engine.services.task_pages
    pages through all of them."""
    from engine.services import inbox_query, inbox_search

    wanted = list(dict.fromkeys(list(groups or []) + ([group] if group else [])))
    filters = inbox_query.Filters(groups=len(wanted), user=bool(user), case_id=bool(case_id),
                                  process_key=bool(process_key), assignee=bool(assignee), search=bool(search),
                                  open_only=state == "open")
    params = inbox_query.params_for(wanted, state=state, limit=min(limit, MAX_ROWS), user=user, case_id=case_id,
                                    process_key=process_key, assignee=assignee, search=search)
    with reading(engine.db) as conn:
        filters, params = inbox_search.narrowed(conn, filters, params, state)
        query = inbox_query.page_query(filters, False)
        if not filters.expanding:
            return [task_view(r) for r in fast_statement(query).all(conn, params)]
    with engine.db.begin() as conn:   # a transaction: plan_each sets a transaction's setting
        inbox_query.plan_each(conn, filters)
        return [task_view(r) for r in conn.execute(query, params)]   # SQLAlchemy's own execution (lists)


@functools.lru_cache(maxsize=64)
def fast_statement(query: Any) -> FastStatement:
    return FastStatement(query)


_TASK = FastStatement(select(t.work_items).where(t.work_items.c.id == bindparam("task_id")))


def get_task(engine: Reads, task_id: str) -> TaskView:
    with fast_reading(engine.db) as conn:   # one prepared statement, no transaction of its own (PostgreSQL)
        rows = _TASK.all(conn, {"task_id": task_id})
    row = rows[0] if rows else None
    if row is None:
        raise NotFound(f"task {task_id} not found", user_message="Die Aufgabe wurde nicht gefunden.")
    return task_view(row)


_c = t.cases
# The case view's reads, sent together (on PostgreSQL in one round trip). The case row without
# its serialised state, which the view does not show.
_CASE_VIEW = FastStatement(select(_c.c.id, _c.c.process_key, _c.c.version, _c.c.status, _c.c.citizen_status,
                                  _c.c.suspended, _c.c.business_key, _c.c.started_by, _c.c.data, _c.c.error,
                                  _c.c.started_at, _c.c.ended_at).where(_c.c.id == bindparam("case_id")))
# 'open' as a literal in both: with a parameter PostgreSQL cannot use the partial indexes
# (WHERE state/status = 'open') in a generic plan and plans the prepared statement anew on every
# execution (tests/unit/test_partial_index_literals.py)
_CASE_OPEN_TASKS = FastStatement(select(t.work_items).where(t.work_items.c.case_id == bindparam("case_id"),
                                                            t.work_items.c.state == literal_column("'open'")))
_CASE_HISTORY = FastStatement(select(t.audit_events).where(t.audit_events.c.case_id == bindparam("case_id"))
                              .order_by(t.audit_events.c.id))
_CASE_OPEN_INCIDENTS = FastStatement(select(t.incidents).where(t.incidents.c.case_id == bindparam("case_id"),
                                                               t.incidents.c.status == literal_column("'open'")))


_CASE_STARTER = FastStatement(select(_c.c.started_by).where(_c.c.id == bindparam("case_id")))


def case_starter(engine: Reads, case_id: str) -> str | None:
    """Who started the case (None: no one, e.g. a timer or message start), for a check of who
    may follow it that needs no more of the case (one short read instead of :func:`get_case`'s)."""
    with fast_reading(engine.db) as conn:   # one prepared statement, no transaction of its own (PostgreSQL)
        found = _CASE_STARTER.first(conn, {"case_id": case_id})
    if found is None:
        raise NotFound(f"case {case_id} not found", user_message="Der Vorgang wurde nicht gefunden.")
    return found.started_by  # type: ignore[no-any-return]


def get_case(engine: Reads, case_id: str, *, with_history: bool = True) -> CaseView:
    params = {"case_id": case_id}
    with fast_reading(engine.db) as conn:
        found, open_tasks, open_incidents = (_CASE_VIEW.all_deferred(conn, params),
                                             _CASE_OPEN_TASKS.all_deferred(conn, params),
                                             _CASE_OPEN_INCIDENTS.all_deferred(conn, params))
        events = _CASE_HISTORY.all_deferred(conn, params) if with_history else None
        flush_deferred(conn)
    if not found.rows:
        raise NotFound(f"case {case_id} not found", user_message="Der Vorgang wurde nicht gefunden.")
    row, tasks, incidents = found.rows[0], open_tasks.rows or [], open_incidents.rows or []
    history = (events.rows or []) if events is not None else []
    return {
        "id": row.id,
        "process_key": row.process_key,
        "version": row.version,
        "status": row.status,
        "citizen_status": row.citizen_status,
        "suspended": bool(row.suspended),
        "business_key": row.business_key,
        "started_by": row.started_by,
        "data": row.data,
        "error": row.error,
        "started_at": _iso(row.started_at),
        "ended_at": _iso(row.ended_at),
        "open_tasks": [task_view(r) for r in tasks],
        "incidents": [{"id": i.id, "message": i.message, "element_id": i.element_id, "kind": i.kind,
                       "created_at": _iso(i.created_at)} for i in incidents],
        "history": [{"at": _iso(h.at), "actor": h.actor, "action": h.action, "details": _shown(h.details)}
                    for h in history],
    }


def _shown(details: Any) -> Any:
    """Audit details as the case view shows them: without the stack trace of a failed step
    (it stays in the audit log and in the incident, which only operators read)."""
    if isinstance(details, dict) and "stack" in details:
        return {k: v for k, v in details.items() if k != "stack"}
    return details


def list_cases(engine: Reads, *, process_key: str | None = None, status: str | None = None,
               started_by: str | None = None, limit: int = 100) -> list[CaseSummary]:
    c = t.cases
    query = select(c.c.id, c.c.process_key, c.c.version, c.c.status, c.c.citizen_status, c.c.business_key,
                   c.c.started_at, c.c.ended_at, c.c.started_by)
    if process_key:
        query = query.where(c.c.process_key == process_key)
    if status:
        query = query.where(c.c.status == status)
    if started_by:
        query = query.where(c.c.started_by == started_by)
    query = query.order_by(c.c.started_at.desc()).limit(min(limit, MAX_ROWS))
    with engine.db.connect() as conn:
        return [{"id": r.id, "process_key": r.process_key, "version": r.version, "status": r.status,
                 "citizen_status": r.citizen_status, "business_key": r.business_key, "started_at": _iso(r.started_at), "ended_at": _iso(r.ended_at),
                 "started_by": r.started_by} for r in conn.execute(query)]


def waiting_for(engine: Reads, case_ids: list[str], group: str) -> dict[str, list[dict[str, Any]]]:
    """The open tasks of these cases that ``group`` works (for the citizen's list of their
    applications: what each one waits for from them), per case: id, name and due date, those
    due first first. Cases without one are left out."""
    if not case_ids:
        return {}
    w, g = t.work_items, t.work_item_groups
    query = (select(w.c.id, w.c.case_id, w.c.name, w.c.due).join(g, g.c.work_item_id == w.c.id)
             .where(w.c.case_id.in_(case_ids), w.c.state == "open", g.c.group_name == group)
             .order_by(w.c.due.is_(None), w.c.due, w.c.created_at, w.c.id))
    found: dict[str, list[dict[str, Any]]] = {}
    with engine.db.connect() as conn:
        for r in conn.execute(query):
            found.setdefault(r.case_id, []).append({"id": r.id, "name": r.name, "due": _iso(r.due)})
    return found


def case_data(engine: Reads, case_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The data of these cases, by case id."""
    if not case_ids:
        return {}
    c = t.cases
    with engine.db.connect() as conn:
        return {r.id: r.data for r in conn.execute(select(c.c.id, c.c.data).where(c.c.id.in_(case_ids)))}


def list_definitions(engine: Reads) -> list[DefinitionView]:
    d = t.process_definitions
    with engine.db.connect() as conn:
        rows = conn.execute(select(d.c.id, d.c.key, d.c.version, d.c.name, d.c.created_at)
                            .order_by(d.c.key, d.c.version.desc())).all()
    return [{"id": r.id, "key": r.key, "version": r.version, "name": r.name, "created_at": _iso(r.created_at)}
            for r in rows]


def definition_files(engine: Reads, definition_id: str) -> list[DefinitionFile]:
    """The stored source files of one deployed version: name, sha256 and content (bytes)."""
    d = t.process_definitions
    with engine.db.connect() as conn:
        row = conn.execute(select(d.c.files).where(d.c.id == definition_id)).first()
        if row is None:
            raise NotFound(f"definition {definition_id} not found", user_message="Die Prozessversion wurde nicht gefunden.")
        hashes = [f["sha256"] for f in row.files]
        contents: dict[str, bytes] = dict(conn.execute(select(t.resources.c.sha256, t.resources.c.content)
                                                       .where(t.resources.c.sha256.in_(hashes))).tuples().all())
    return [{"name": f["name"], "sha256": f["sha256"], "content": bytes(contents.get(f["sha256"], b""))}
            for f in row.files]


def data_labels(engine: Engine, case_id: str) -> dict[str, str]:
    """Human labels for a case's data keys ("antragsteller.familienname" -> "Familienname"),
    from the titles of the process's forms (start form and task forms)."""
    with engine.db.connect() as conn:
        case = conn.execute(select(t.cases.c.definition_id, t.cases.c.variant_id, t.cases.c.bound_definitions)
                            .where(t.cases.c.id == case_id)).first()
    if case is None:
        raise NotFound(f"case {case_id} not found", user_message="Der Vorgang wurde nicht gefunden.")
    parsed = engine.definitions.for_case(case.definition_id, None, case.variant_id, case.bound_definitions)
    labels: dict[str, str] = {}
    for model in parsed.models.values():
        for info in model.elements.values():
            if info.form is not None:
                _collect_titles(info.form.schema, "", labels)
    return labels


def _collect_titles(schema: Any, prefix: str, labels: dict[str, str]) -> None:
    if not isinstance(schema, dict):
        return
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        path = f"{prefix}{name}"
        if isinstance(prop.get("title"), str):
            labels.setdefault(path, prop["title"])
        _collect_titles(prop, path + ".", labels)
