"""Two municipalities on the demo installation (issue 17): Stadt Musterstadt and Gemeinde
Beispieldorf, each reachable under its path prefix (``/musterstadt/``, ``/beispieldorf/``) and,
if configured, under its own host name (``AMTSFLOW_DEMO_HOST_MUSTERSTADT=musterstadt.localhost``;
once tenants have host names, other hosts get 404, so give the default tenant one too:
``AMTSFLOW_DEMO_HOST_DEFAULT=localhost``).
Both use the shared process library; each has its own parking-permit fee table
(webui/demo_overrides/<tenant>/<process>/<file>, uploaded as the tenant's override), its own staff
and its own demo cases. The default tenant keeps everything the single-tenant demo had."""

from __future__ import annotations

import os
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.bootstrap import Engine
from engine.domain.errors import AmtsflowError
from engine.services import identity, overrides, tenants
from engine.tenancy import DEFAULT_TENANT, tenant_scope

OVERRIDES = Path(__file__).resolve().parent / "demo_overrides"


@dataclass(frozen=True)
class DemoTenant:
    id: str
    name: str
    settings: dict[str, Any]


DEMO_TENANTS = [
    DemoTenant("musterstadt", "Stadt Musterstadt", {"primary_colour": "#004b87"}),
    DemoTenant("beispieldorf", "Gemeinde Beispieldorf", {"primary_colour": "#1f5f2e"}),
]
# username suffix, display name, roles, groups: each tenant's own staff
STAFF = [("sb", "Sachbearbeitung", ["clerk"], ["sachbearbeitung"]), ("po", "Prozessverantwortung", ["owner"], [])]


def host_of(tenant_id: str) -> str | None:
    """The host name configured for a demo tenant (AMTSFLOW_DEMO_HOST_<ID>), if any."""
    return os.environ.get(f"AMTSFLOW_DEMO_HOST_{tenant_id.upper()}") or None


def seed_tenants(engine: Engine, reserved_prefixes: Collection[str] = ()) -> list[str]:
    """Create the demo tenants (once) and bring their overrides up to the files in
    webui/demo_overrides; returns lines for the demo's start-up report."""
    lines: list[str] = []
    known = {t.id: t for t in tenants.list_tenants(engine)}
    for tenant in DEMO_TENANTS:
        if tenant.id not in known:
            tenants.add_tenant(engine, tenant.id, tenant.name, host=host_of(tenant.id), path_prefix=tenant.id,
                               settings=tenant.settings, reserved_prefixes=reserved_prefixes)
        elif known[tenant.id].host != host_of(tenant.id):
            tenants.update_tenant(engine, tenant.id, host=host_of(tenant.id))
        for line in _upload_overrides(engine, tenant.id):
            lines.append(f"{tenant.id}: {line}")
    default = known.get(DEFAULT_TENANT)
    if default is not None and default.host != host_of(DEFAULT_TENANT):
        tenants.update_tenant(engine, DEFAULT_TENANT, host=host_of(DEFAULT_TENANT))
    return lines


def _upload_overrides(engine: Engine, tenant_id: str) -> list[str]:
    lines = []
    folder = OVERRIDES / tenant_id
    current = {(o.process_key, o.file_name): o for o in overrides.list_current(engine, tenant_id)}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []:
        process_key, content = path.parent.name, path.read_bytes()
        existing = current.get((process_key, path.name))
        if existing is not None and overrides.content_of(engine, existing) == content:
            continue
        try:
            o = overrides.upload(engine, tenant_id, process_key, path.name, content, actor="demo",
                                 min_version=1, comment="Demo: eigene Gebührensatzung")
        except AmtsflowError as exc:   # a process missing from processes/ must not stop the demo
            lines.append(f"override {process_key}/{path.name} skipped: {exc.message}")
            continue
        lines.append(f"override {process_key}/{path.name} v{o.version}")
    return lines


def create_tenant_staff(engine: Engine) -> dict[str, str]:
    """Each demo tenant's own clerk and process owner (created in the tenant's scope), with fresh
    passwords: username -> password."""
    passwords: dict[str, str] = {}
    for tenant in DEMO_TENANTS:
        with tenant_scope(tenant.id):
            known = {g["name"] for g in identity.list_groups(engine)}
            for group, title in identity.DEMO_GROUPS.items():
                if group not in known:
                    identity.create_group(engine, group, title)
            for suffix, role_name, roles, groups in STAFF:
                username, password = f"{suffix}-{tenant.id}", secrets.token_urlsafe(9)
                display = f"{role_name} {tenant.name}"
                if identity.get_user(engine, username) is None:
                    identity.create_user(engine, username, display, roles=roles, password=password, groups_=groups)
                else:
                    identity.update_user(engine, username, password=password, roles=roles, groups_=groups,
                                         active=True)
                passwords[username] = password
    return passwords


__all__ = ["DEMO_TENANTS", "DemoTenant", "create_tenant_staff", "host_of", "seed_tenants"]
