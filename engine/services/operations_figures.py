"""Figures operators watch (read by /metrics): cases, open tasks, due jobs, incidents, workers.

A deactivated tenant's jobs wait (engine/jobs.py): they count as paused, not as due or overdue,
so that an alert on overdue jobs means workers are missing, not that a municipality is paused."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select, text

from engine.bootstrap import Engine
from engine.persistence import tables as t
from engine.services import heartbeats
from engine.persistence.tenant_tables import tenants
from engine.services.tenants import list_tenants
from engine.tenancy import tenant_or_none

log = logging.getLogger("amtsflow.ops")
OVERDUE_SECONDS = 60   # a due job no worker took within a minute: workers are missing or too few


@dataclass(frozen=True)
class OperationsFigures:
    """Per tenant: a provider's scrape covers every municipality (all_tenants scope), a tenant's
    admin sees their own (the scope of the request)."""

    cases: dict[tuple[str, str, str], int]     # (tenant, process key, status) -> count
    open_tasks: dict[tuple[str, str], int]     # (tenant, process key) -> open user tasks
    jobs_due: dict[tuple[str, str], int]       # (tenant, job kind) -> due now
    jobs_overdue: dict[tuple[str, str], int]   # (tenant, job kind) -> due for more than OVERDUE_SECONDS
    jobs_paused: dict[str, int]                # deactivated tenant -> its open jobs that wait (all but erasures)
    incidents_open: dict[str, int]             # tenant -> open incidents
    workers: list[dict[str, Any]]              # live workers with their counters (the installation's)
    workers_serving: dict[str, int]            # tenant -> live workers that run its jobs (0: nobody does)


def snapshot(engine: Engine) -> OperationsFigures:
    """The figures of the current scope's tenants (one, or every one under all_tenants)."""
    now = engine.clock.now()
    c, w, j, i = t.cases, t.work_items, t.jobs, t.incidents
    active = select(tenants.c.id).where(tenants.c.active.is_(True)).scalar_subquery()
    erasure = j.c.kind.in_(t.ERASURE_KINDS)   # runs while its tenant is deactivated (engine/jobs.py)
    runnable = (j.c.suspended.is_(False), j.c.retries > 0, or_(j.c.tenant_id.in_(active), erasure))
    with engine.db.connect() as conn:
        cases = {(row[0], row[1], row[2]): row[3] for row in conn.execute(
            select(c.c.tenant_id, c.c.process_key, c.c.status, func.count())
            .group_by(c.c.tenant_id, c.c.process_key, c.c.status))}
        tasks = {(row[0], row[1]): row[2] for row in conn.execute(
            select(w.c.tenant_id, w.c.process_key, func.count()).where(w.c.state == "open")
            .group_by(w.c.tenant_id, w.c.process_key))}
        due = {(row[0], row[1]): row[2] for row in conn.execute(
            select(j.c.tenant_id, j.c.kind, func.count()).where(j.c.due_at <= now, *runnable)
            .group_by(j.c.tenant_id, j.c.kind))}
        overdue = {(row[0], row[1]): row[2] for row in conn.execute(
            select(j.c.tenant_id, j.c.kind, func.count()).where(
                j.c.due_at <= now - timedelta(seconds=OVERDUE_SECONDS), *runnable).group_by(j.c.tenant_id, j.c.kind))}
        paused = {row[0]: row[1] for row in conn.execute(
            select(j.c.tenant_id, func.count()).where(j.c.suspended.is_(False), j.c.retries > 0, ~erasure,
                                                      j.c.tenant_id.not_in(active)).group_by(j.c.tenant_id))}
        incidents = {row[0]: row[1] for row in conn.execute(
            select(i.c.tenant_id, func.count()).where(i.c.status == "open").group_by(i.c.tenant_id))}
    workers = heartbeats.live_workers(engine)
    scope = tenant_or_none()
    tenant_ids = [tenant.id for tenant in list_tenants(engine, active_only=True)] if scope is None else [scope]
    return OperationsFigures(cases=cases, open_tasks=tasks, jobs_due=due, jobs_overdue=overdue, jobs_paused=paused,
                             incidents_open=incidents, workers=workers,
                             workers_serving=heartbeats.serving(tenant_ids, workers))


def readiness(engine: Engine) -> dict[str, str]:
    """Checks for /health/ready: each value starts with "ok" when it passes."""
    checks: dict[str, str] = {}
    try:
        with engine.db.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any database failure means: not ready
        log.warning("readiness: database check failed: %s", exc)
        return {"database": f"unavailable: {exc.__class__.__name__}", "worker": "unknown: no database"}
    checks["database"] = "ok"
    try:
        seen = heartbeats.live_workers(engine)
    except Exception as exc:  # noqa: BLE001 - e.g. the schema is older than this code
        log.warning("readiness: worker check failed: %s", exc)
        checks["worker"] = f"unknown: {exc.__class__.__name__} (run `amtsflow db upgrade`?)"
    else:
        checks["worker"] = (f"ok ({len(seen)} live)" if seen else
                            f"no job worker seen in the last {heartbeats.LIVE_SECONDS:.0f} s")
        if seen and (unserved := heartbeats.unserved_tenants(
                [tenant.id for tenant in list_tenants(engine, active_only=True)], seen)):
            # workers started with --only-tenant / --skip-tenant leave these municipalities' jobs to nobody
            checks["worker"] = (f"no live job worker runs the jobs of tenant(s) {', '.join(unserved)} "
                                f"({len(seen)} live; see `amtsflow worker --only-tenant/--skip-tenant`)")
    return checks
