"""Read models of deployments and process definitions (what engine-rest and Camunda Modeler see)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from engine.bootstrap import Engine
from engine.domain.errors import NotFound
from engine.persistence import tables as t
from engine.persistence.scoping import for_all_tenants
from engine.runtime.parsing import BPMN_SUFFIXES
from engine.tenancy import current_tenant

MAX_ROWS = 500


@dataclass(frozen=True)
class Deployment:
    id: str
    name: str | None
    source: str | None
    created_at: datetime
    created_by: str
    shared: bool = False   # the provider's process library: deployed for every tenant (its definitions' tenant is NULL)


@dataclass(frozen=True)
class Definition:
    id: str
    key: str
    version: int
    name: str
    deployment_id: str
    resource: str          # the BPMN file the process came from
    created_at: datetime
    shared: bool = False   # of the provider's process library (tenant NULL: every tenant sees it)


def _definition(row: object) -> Definition:
    files = [f["name"] for f in getattr(row, "files") or []]
    bpmn = next((os.path.basename(n) for n in files if n.lower().endswith(BPMN_SUFFIXES)), "")
    return Definition(getattr(row, "id"), getattr(row, "key"), getattr(row, "version"), getattr(row, "name"),
                      getattr(row, "deployment_id"), bpmn, getattr(row, "created_at"),
                      getattr(row, "tenant_id") is None)


def list_deployments(engine: Engine, *, deployment_id: str | None = None, name: str | None = None,
                     limit: int = MAX_ROWS, offset: int = 0) -> list[Deployment]:
    d, p = t.deployments, t.process_definitions
    # the tenant's own deployments and those of the shared library, whose definitions every
    # tenant runs (their deployment row belongs to the tenant that deployed them)
    library = select(p.c.deployment_id).where(p.c.tenant_id.is_(None))
    query = for_all_tenants(
        select(d.c.id, d.c.name, d.c.source, d.c.created_at, d.c.created_by, d.c.id.in_(library).label("shared"))
        .where(or_(d.c.tenant_id == current_tenant(), d.c.id.in_(library))))
    if deployment_id is not None:
        query = query.where(d.c.id == deployment_id)
    if name is not None:
        query = query.where(d.c.name == name)
    query = query.order_by(d.c.created_at.desc(), d.c.id).offset(offset).limit(min(limit, MAX_ROWS))
    with engine.db.connect() as conn:
        return [Deployment(r.id, r.name, r.source, r.created_at, r.created_by, bool(r.shared))
                for r in conn.execute(query)]


def list_definitions(engine: Engine, *, key: str | None = None, definition_id: str | None = None,
                     deployment_id: str | None = None, latest: bool = False, limit: int = MAX_ROWS,
                     offset: int = 0, shared: bool | None = None) -> list[Definition]:
    p = t.process_definitions
    query = select(p.c.id, p.c.key, p.c.version, p.c.name, p.c.deployment_id, p.c.files, p.c.created_at, p.c.tenant_id)
    if shared is not None:   # only the shared library's (True) or only the tenant's own (False)
        query = query.where(p.c.tenant_id.is_(None) if shared else p.c.tenant_id.is_not(None))
    for column, value in ((p.c.key, key), (p.c.id, definition_id), (p.c.deployment_id, deployment_id)):
        if value is not None:
            query = query.where(column == value)
    with engine.db.connect() as conn:
        rows = [_definition(r) for r in conn.execute(query.order_by(p.c.key, p.c.version.desc()))]
    if latest:
        newest: dict[str, Definition] = {}
        for d in rows:
            newest.setdefault(d.key, d)
        rows = list(newest.values())
    return rows[offset:offset + min(limit, MAX_ROWS)]


def get_definition(engine: Engine, *, key: str | None = None, definition_id: str | None = None) -> Definition:
    """The latest version of ``key``, or the definition ``definition_id``."""
    found = list_definitions(engine, key=key, definition_id=definition_id, latest=key is not None, limit=1)
    if not found:
        what = f"key '{key}'" if key is not None else f"id '{definition_id}'"
        raise NotFound(f"No matching process definition with {what}",
                       user_message="Die Prozessdefinition wurde nicht gefunden.")
    return found[0]


def definition_xml(engine: Engine, definition: Definition) -> str:
    """The BPMN source the definition was deployed from."""
    p = t.process_definitions
    with engine.db.connect() as conn:
        files = conn.execute(select(p.c.files).where(p.c.id == definition.id)).scalar() or []
        entry = next((f for f in files if os.path.basename(f["name"]) == definition.resource), None)
        if entry is None:
            raise NotFound(f"process definition {definition.id} has no BPMN resource")
        content = conn.execute(select(t.resources.c.content).where(t.resources.c.sha256 == entry["sha256"])).scalar()
    if content is None:
        raise NotFound(f"process definition {definition.id}: its BPMN resource is missing")
    return bytes(content).decode("utf-8", errors="replace")


def definition_of(engine: Engine, case_id: str) -> str | None:
    """The id of the process definition a case runs on (None: no such case)."""
    with engine.db.connect() as conn:
        value = conn.execute(select(t.cases.c.definition_id).where(t.cases.c.id == case_id)).scalar()
    return None if value is None else str(value)


__all__ = ["definition_of", "Definition", "Deployment", "definition_xml", "get_definition", "list_definitions", "list_deployments"]
