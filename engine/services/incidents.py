"""Incidents: what an operator sees when a job ran out of retries or a workflow step failed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from engine.bootstrap import Engine
from engine.domain.errors import InvalidState, NotFound
from engine.persistence import tables as t
from engine.persistence.db import unit_of_work
from engine.services.read_models import IncidentView
from engine.services import inbound
from engine.services.case_events import append_case_event
from engine.services.commands import Command, run_case_command


def _view(row: Any, *, details: bool = False) -> IncidentView:
    view: IncidentView = {"id": row.id, "case_id": row.case_id, "job_id": row.job_id, "element_id": row.element_id,
            "kind": row.kind, "message": row.message, "status": row.status,
            "created_at": row.created_at.isoformat(),
            "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None}
    if details:
        view["details"] = row.details
    return view


def list_incidents(engine: Engine, *, status: str | None = "open", case_id: str | None = None) -> list[IncidentView]:
    query = select(t.incidents).order_by(t.incidents.c.created_at.desc()).limit(500)
    if status:
        query = query.where(t.incidents.c.status == status)
    if case_id:
        query = query.where(t.incidents.c.case_id == case_id)
    with engine.db.connect() as conn:
        return [_view(r) for r in conn.execute(query)]


def get_incident(engine: Engine, incident_id: str) -> IncidentView:
    with engine.db.connect() as conn:
        row = conn.execute(select(t.incidents).where(t.incidents.c.id == incident_id)).first()
    if row is None:
        raise NotFound(f"incident {incident_id} not found", user_message="Die Störung wurde nicht gefunden.")
    return _view(row, details=True)


def retry_incident(engine: Engine, incident_id: str, actor: str, retries: int = 1, comment: str = "") -> None:
    """Give the job ``retries`` more attempts now, or re-run a failed workflow step."""
    incident = get_incident(engine, incident_id)
    if incident["status"] != "open":
        raise InvalidState(f"incident {incident_id} is {incident['status']}", user_message="Die Störung ist bereits erledigt.")
    now = engine.clock.now()
    if incident["kind"] == "workflow":
        def retry(cmd: Command) -> None:
            cmd.engine.runner.retry_errored(cmd.wf)
            cmd.uow.conn.execute(update(t.incidents).where(t.incidents.c.id == incident_id)
                                 .values(status="resolved", resolved_at=now, resolved_by=actor))
            cmd.audit_details["incident"] = incident_id
            if comment:
                cmd.audit_details["comment"] = comment

        case_id = incident["case_id"]
        assert case_id is not None   # a workflow incident always belongs to a case
        run_case_command(engine, case_id, actor, "incident_retried", retry)
        return
    with unit_of_work(engine.db) as uow:
        job = uow.conn.execute(update(t.jobs).where(t.jobs.c.id == incident["job_id"])
                               .values(retries=retries, due_at=now, lock_owner=None, lock_expires_at=None))
        if job.rowcount != 1:
            raise InvalidState(f"the job of incident {incident_id} no longer exists")
        uow.conn.execute(update(t.incidents).where(t.incidents.c.id == incident_id)
                         .values(status="resolved", resolved_at=now, resolved_by=actor))
        if incident["case_id"] is not None:
            append_case_event(uow.conn, incident["case_id"], now, actor, "incident_retried",
                              {"incident": incident_id, **({"comment": comment} if comment else {})}, status="running")
        uow.commit()


def resolve_incident(engine: Engine, incident_id: str, actor: str, note: str = "") -> None:
    """Mark an incident as handled outside the engine (no retry)."""
    inbound.check_text(note, "note", where=f"resolve incident {incident_id}")
    incident = get_incident(engine, incident_id)
    if incident["status"] != "open":
        raise InvalidState(f"incident {incident_id} is {incident['status']}", user_message="Die Störung ist bereits erledigt.")
    with unit_of_work(engine.db) as uow:
        uow.conn.execute(update(t.incidents).where(t.incidents.c.id == incident_id)
                         .values(status="resolved", resolved_at=engine.clock.now(), resolved_by=actor))
        if incident["case_id"] is not None:
            append_case_event(uow.conn, incident["case_id"], engine.clock.now(), actor, "incident_resolved",
                              {"incident": incident_id, "note": note})
        uow.commit()
