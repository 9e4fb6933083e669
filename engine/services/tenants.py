"""Tenants (municipalities) of an installation: add, list, show, update, deactivate (issue 17).

A tenant is reached by its host name (``musterstadt.serviceportal.example``) or its path
prefix (``/musterstadt/...``), both unique; the web layer resolves requests with
:func:`routing_table`. Settings hold the presentation (logo, colours within KERN's rules), the
address for letters, imprint, accessibility statement and public portal URL; connectors hold
endpoints and the *names* of environment variables with their secrets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Collection, Mapping

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from engine.bootstrap import Engine
from engine.domain.errors import Conflict, NotFound
from engine.persistence import tables as t
from engine.persistence.db import reading, unit_of_work
from engine.persistence.tenant_tables import tenants
from engine.services import audit
from engine.services.tenant_logo import LogoRefused, sniff_logo
from engine.services.tenant_settings import (
    Problems, TenantInvalid, check_connectors, check_host, check_name, check_path_prefix, check_settings,
)
from engine.tenancy import DEFAULT_TENANT, InvalidTenantId, all_tenants, check_tenant_id, tenant_or_none, tenant_scope

__all__ = ["Tenant", "TenantInvalid", "Route", "add_tenant", "list_tenants", "get_tenant", "update_tenant",
           "deactivate_tenant", "waiting_jobs", "set_logo", "logo", "routing_table", "record_switch"]
UNSET: Any = object()


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    host: str | None
    path_prefix: str | None
    settings: Mapping[str, Any]
    connectors: Mapping[str, Any]
    active: bool
    created_at: datetime | None = None

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_TENANT

    def setting(self, key: str) -> Any:
        return self.settings.get(key)


@dataclass(frozen=True)
class Route:
    """What the web layer needs to resolve a request: active tenants by host and by prefix."""

    by_host: Mapping[str, Tenant] = field(default_factory=dict)
    by_prefix: Mapping[str, Tenant] = field(default_factory=dict)
    default: Tenant | None = None
    count: int = 0          # active tenants


def _tenant(row: Any) -> Tenant:
    return Tenant(row.id, row.name, row.host, row.path_prefix, dict(row.settings or {}), dict(row.connectors or {}),
                  bool(row.active), row.created_at)


def _check_id(tenant_id: str, problems: Problems) -> str:
    try:
        return check_tenant_id(tenant_id)
    except InvalidTenantId as exc:
        problems.add("id", str(exc), f"Die Kennung „{tenant_id}“ ist ungültig: nur Kleinbuchstaben, Ziffern "
                     "und Bindestriche (nicht am Anfang oder Ende), höchstens 63 Zeichen.")
        return tenant_id


def _check_unique(conn: Connection, tenant_id: str, host: str | None, prefix: str | None, problems: Problems) -> None:
    for column, value, en, de in (
            (tenants.c.host, host, "host", "Der Rechnername „{}“ ist schon einem anderen Mandanten zugeordnet."),
            (tenants.c.path_prefix, prefix, "path prefix", "Das Pfadpräfix „{}“ ist schon einem anderen Mandanten zugeordnet.")):
        if value is None:
            continue
        other = conn.execute(select(tenants.c.id).where(column == value, tenants.c.id != tenant_id)).scalar()
        if other is not None:
            problems.add(column.name, f"{en} {value!r} already belongs to tenant {other!r}", de.format(value))


def add_tenant(engine: Engine, tenant_id: str, name: str, *, host: str | None = None, path_prefix: str | None = None,
               settings: Mapping[str, Any] | None = None, connectors: Mapping[str, Any] | None = None,
               reserved_prefixes: Collection[str] = ()) -> Tenant:
    problems = Problems()
    tenant_id = _check_id(tenant_id, problems)
    clean_host = check_host(host or "", problems)
    clean_prefix = check_path_prefix(path_prefix or "", reserved_prefixes, problems)
    row = {"id": tenant_id, "name": check_name(name, problems), "host": clean_host, "path_prefix": clean_prefix,
           "settings": check_settings({k: v for k, v in (settings or {}).items() if k != "logo"}, problems),
           "connectors": check_connectors(connectors or {}, problems), "active": True}
    with unit_of_work(engine.db) as uow:
        if uow.conn.execute(select(tenants.c.id).where(tenants.c.id == tenant_id)).first() is not None:
            raise Conflict(f"tenant {tenant_id!r} exists already",
                           user_message=f"Einen Mandanten mit der Kennung „{tenant_id}“ gibt es schon.")
        _check_unique(uow.conn, tenant_id, clean_host, clean_prefix, problems)
        problems.raise_if_any(tenant_id)
        uow.conn.execute(insert(tenants).values(**row, created_at=engine.clock.now()))
        uow.commit()
    return get_tenant(engine, tenant_id)


def list_tenants(engine: Engine, *, active_only: bool = False) -> list[Tenant]:
    query = select(tenants).order_by(tenants.c.name, tenants.c.id)
    if active_only:
        query = query.where(tenants.c.active.is_(True))
    with reading(engine.db) as conn:
        return [_tenant(row) for row in conn.execute(query)]


def get_tenant(engine: Engine, tenant_id: str) -> Tenant:
    with reading(engine.db) as conn:
        row = conn.execute(select(tenants).where(tenants.c.id == tenant_id)).first()
    if row is None:
        raise NotFound(f"tenant {tenant_id!r} not found", user_message="Diesen Mandanten gibt es nicht.")
    return _tenant(row)


def update_tenant(engine: Engine, tenant_id: str, *, name: str = UNSET, host: str | None = UNSET,
                  path_prefix: str | None = UNSET, settings: Mapping[str, Any] = UNSET,
                  connectors: Mapping[str, Any] = UNSET, active: bool = UNSET,
                  reserved_prefixes: Collection[str] = ()) -> Tenant:
    """Change the given fields; ``settings`` and ``connectors`` are merged key by key (a key with
    the value None or "" is removed). The logo changes only through :func:`set_logo`."""
    current = get_tenant(engine, tenant_id)
    problems = Problems()
    values: dict[str, Any] = {}
    if name is not UNSET:
        values["name"] = check_name(name, problems)
    if host is not UNSET:
        values["host"] = check_host(host or "", problems)
    if path_prefix is not UNSET:
        values["path_prefix"] = check_path_prefix(path_prefix or "", reserved_prefixes, problems)
    if settings is not UNSET:
        merged = {**current.settings, **{k: v for k, v in settings.items() if k != "logo"}}
        values["settings"] = check_settings({k: v for k, v in merged.items() if v not in (None, "", [])}, problems)
    if connectors is not UNSET:
        merged = {**current.connectors, **connectors}
        values["connectors"] = check_connectors({k: v for k, v in merged.items() if v}, problems)
    if active is not UNSET:
        values["active"] = bool(active)
    with unit_of_work(engine.db) as uow:
        _check_unique(uow.conn, tenant_id, str(values.get("host") or "") or None,
                      str(values.get("path_prefix") or "") or None, problems)
        problems.raise_if_any(tenant_id)
        if values:
            uow.conn.execute(update(tenants).where(tenants.c.id == tenant_id).values(**values))
            if "active" in values and values["active"] != current.active:
                _mark_waiting_jobs(uow.conn, tenant_id, paused=not values["active"])
            uow.commit()
    return get_tenant(engine, tenant_id)


def _mark_waiting_jobs(conn: Connection, tenant_id: str, *, paused: bool) -> None:
    """Mark the jobs a deactivation holds (all but erasures: engine/jobs.py _free_to_take) as
    paused, or clear the mark: the idle worker's next-due read walks an index without them
    (tables.NEXT_DUE_JOBS) instead of walking past a paused city's due backlog with every
    acquisition. A job written for the tenant while it is deactivated stays unmarked; the
    acquisition still leaves it (its tenant is inactive)."""
    j = t.jobs
    held = j.c.kind.not_in(t.ERASURE_KINDS) if paused else j.c.paused.is_(True)
    with tenant_scope(tenant_id):
        conn.execute(update(j).where(j.c.tenant_id == tenant_id, held).values(paused=paused))


def deactivate_tenant(engine: Engine, tenant_id: str) -> Tenant:
    """The tenant's portal and sign-ins stop answering, and its timers and service calls wait: no
    worker takes them until it is active again (engine/jobs.py); its erasures of personal data
    whose retention period ran out still run. Its data stays."""
    return update_tenant(engine, tenant_id, active=False)


def waiting_jobs(engine: Engine, tenant_id: str) -> int:
    """The tenant's jobs that would run (not suspended, retries left) and that a deactivation
    holds (all but erasures, engine/jobs.py _free_to_take), counted as /metrics'
    amtsflow_jobs_paused counts them."""
    with all_tenants("a tenant's open jobs, read by the operator"), reading(engine.db) as conn:
        return int(conn.execute(select(func.count()).select_from(t.jobs).where(
            t.jobs.c.tenant_id == tenant_id, t.jobs.c.suspended.is_(False), t.jobs.c.retries > 0,
            t.jobs.c.kind.not_in(t.ERASURE_KINDS))).scalar_one())


def set_logo(engine: Engine, tenant_id: str, content: bytes | None) -> Tenant:
    """Store an uploaded logo as a resource (content-addressed) and point the tenant to it; None
    removes it."""
    current = get_tenant(engine, tenant_id)
    settings = {k: v for k, v in current.settings.items() if k != "logo"}
    with unit_of_work(engine.db) as uow:
        if content is not None:
            try:
                media_type = sniff_logo(content)
            except LogoRefused as exc:
                raise TenantInvalid(tenant_id, {"logo": (exc.english, exc.german)}) from None
            digest = hashlib.sha256(content).hexdigest()
            if uow.conn.execute(select(t.resources.c.sha256).where(t.resources.c.sha256 == digest)).first() is None:
                uow.conn.execute(insert(t.resources).values(sha256=digest, content=content, created_at=engine.clock.now()))
            settings["logo"] = {"sha256": digest, "type": media_type}
        uow.conn.execute(update(tenants).where(tenants.c.id == tenant_id).values(settings=settings))
        uow.commit()
    return get_tenant(engine, tenant_id)


def logo(engine: Engine, tenant: Tenant) -> tuple[bytes, str] | None:
    """The tenant's logo and its media type, or None."""
    meta = tenant.settings.get("logo")
    if not meta:
        return None
    with reading(engine.db) as conn:
        content = conn.execute(select(t.resources.c.content).where(t.resources.c.sha256 == meta["sha256"])).scalar()
    return None if content is None else (bytes(content), str(meta["type"]))


def routing_table(engine: Engine) -> Route:
    active = list_tenants(engine, active_only=True)
    return Route(by_host={x.host: x for x in active if x.host}, by_prefix={x.path_prefix: x for x in active if x.path_prefix},
                 default=next((x for x in active if x.is_default), None), count=len(active))


def record_switch(engine: Engine, actor: str, tenant_id: str) -> Tenant:
    """The provider's operator ``actor`` acts for ``tenant_id`` from now on: audited (who, which
    tenant, when) in the chain of deployments of the tenant the operator acts from and in the
    municipality's own."""
    tenant = get_tenant(engine, tenant_id)
    now = engine.clock.now()
    with unit_of_work(engine.db) as uow:
        audit.append_change(uow.conn, at=now, actor=actor, action="tenant_switched", details={"tenant": tenant.id})
        if tenant.id != tenant_or_none():   # the municipality's own chain shows who of the provider acts in it
            with tenant_scope(tenant.id):
                audit.append_change(uow.conn, at=now, actor=actor, action="tenant_switched",
                                    details={"tenant": tenant.id})
        uow.commit()
    return tenant
