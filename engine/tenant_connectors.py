"""The connector a municipality's case calls.

A regional provider's installation serves many municipalities, and each may have its own
back-office endpoint and credentials: its own account on the payment platform, its own DMS.
`amtsflow tenants add|update --connector payment=https://... --connector-secret
payment.token=MUSTERSTADT_PAY_TOKEN` stores them with the tenant (the secret only as the name of
an environment variable). A call for a case of that tenant then goes to a connector built from
the installation's settings (AMTSFLOW_CONNECTOR_*) with the tenant's in their place:
``<connector>_url`` from the endpoint and ``<connector>_<parameter>`` from each named variable.
A tenant without settings for a connector, and every case of the default tenant without them,
uses the installation's connector.

The tenants' settings are read again after REREAD_SECONDS; a connector is built once per tenant
and settings (a changed endpoint or secret builds a new one; the old one is closed RETIRE_SECONDS
later, when the next one is built or the engine closes, since a running job may still call it).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from typing import Any, Iterator, Mapping

from sqlalchemy import select

from engine.persistence.db import reading
from engine.persistence.tenant_tables import tenants
from engine.ports import Connector

REREAD_SECONDS = 30.0
RETIRE_SECONDS = 600.0   # a connector replaced by changed settings is closed this long after (longer than any call)


class TenantConnectorMissing(RuntimeError):
    """A tenant's connector names a secret whose environment variable is not set (an operator
    must set it; retrying does not help)."""


class TenantConnectors:
    def __init__(self, engine: Any) -> None:
        """``engine``: the engine.bootstrap.Engine whose installed connectors and database these are."""
        self.engine = engine
        self._lock = threading.Lock()
        self._read: dict[str, tuple[float, dict[str, Any]]] = {}          # tenant -> (when, its connectors)
        self._built: dict[tuple[str, str], tuple[str, Connector]] = {}    # (tenant, name) -> (settings' hash, connector)
        self._retired: list[tuple[float, Connector]] = []                 # replaced ones, closed RETIRE_SECONDS later

    def get(self, tenant_id: str | None, name: str) -> Connector | None:
        """The connector ``name`` for a case of ``tenant_id`` (None: the installation's)."""
        installed: Connector | None = self.engine.connectors.get(name) if self.engine.connectors else None
        if installed is None or not tenant_id:
            return installed
        own = self._settings(tenant_id).get(name)
        if not own:
            return installed
        config = _with_own(dict(self.engine.settings.connector_config), tenant_id, name, own)
        fingerprint = hashlib.sha256(json.dumps(sorted(config.items())).encode()).hexdigest()
        with self._lock:
            found = self._built.get((tenant_id, name))
            if found is not None and found[0] == fingerprint:
                return found[1]
        from engine.plugins import discover, load_connectors

        if name not in discover():   # not a plug-in (a stand-in a test installed): as installed
            return installed
        connector = load_connectors(config, names=[name])[name]
        with self._lock:
            found = self._built.get((tenant_id, name))
            if found is not None and found[0] == fingerprint:   # another thread built it meanwhile
                _close(connector)
                return found[1]
            self._built[(tenant_id, name)] = (fingerprint, connector)
            if found is not None:   # its settings changed: a job may still be calling the old one
                self._retired.append((time.monotonic(), found[1]))
            expired = [c for at, c in self._retired if time.monotonic() - at >= RETIRE_SECONDS]
            self._retired = [(at, c) for at, c in self._retired if time.monotonic() - at < RETIRE_SECONDS]
        for old in expired:   # closed once no call can still be using them (connections, pools)
            _close(old)
        return connector

    def config(self, tenant_id: str | None, name: str, installation: Mapping[str, str] | None = None) -> dict[str, str]:
        """The settings connector ``name`` runs with for a case of ``tenant_id``: the
        installation's (``installation``, by default the engine's), with the tenant's endpoint
        and secrets in their place (the web layer checks a tenant's callbacks with them too)."""
        config = dict(self.engine.settings.connector_config if installation is None else installation)
        own = self._settings(tenant_id).get(name) if tenant_id else None
        return _with_own(config, tenant_id, name, own) if own else config

    def has_own(self, tenant_id: str | None, name: str) -> bool:
        """Whether ``tenant_id`` has an endpoint or secrets of its own for connector ``name``."""
        return bool(tenant_id) and bool(self._settings(str(tenant_id)).get(name))

    def tenants_with(self, name: str) -> list[str]:
        """The active tenants with settings of their own for connector ``name`` (read now)."""
        with reading(self.engine.db) as conn:
            rows = conn.execute(select(tenants.c.id, tenants.c.connectors).where(tenants.c.active.is_(True))
                                .order_by(tenants.c.id)).all()
        return [row.id for row in rows if (row.connectors or {}).get(name)]

    def _settings(self, tenant_id: str) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock:
            cached = self._read.get(tenant_id)
            if cached is not None and now - cached[0] < REREAD_SECONDS:
                return cached[1]
        with reading(self.engine.db) as conn:
            row = conn.execute(select(tenants.c.connectors).where(tenants.c.id == tenant_id)).first()
        own = dict(row.connectors or {}) if row is not None else {}
        with self._lock:
            self._read[tenant_id] = (now, own)
        return own

    def close(self) -> None:
        with self._lock:
            built, self._built = [c for _f, c in self._built.values()], {}
            retired, self._retired = [c for _at, c in self._retired], []
        for connector in built + retired:
            _close(connector)


def _with_own(config: dict[str, str], tenant_id: str | None, name: str, own: Mapping[str, Any]) -> dict[str, str]:
    """``config`` with the tenant's endpoint and secrets of connector ``name`` in place."""
    if own.get("url"):
        config[f"{name}_url"] = str(own["url"])
    for parameter, variable in (own.get("secrets") or {}).items():
        value = os.environ.get(variable)
        if not value:
            raise TenantConnectorMissing(
                f"tenant {tenant_id}: connector {name}: its secret '{parameter}' names the environment "
                f"variable {variable}, which is not set in this process")
        config[f"{name}_{parameter}"] = value
    return config


def _close(connector: Any) -> None:
    close = getattr(connector, "close", None)
    if callable(close):
        close()


class TenantView(Mapping[str, Connector]):
    """The connectors as a case of one tenant sees them (bean calls look them up by name)."""

    def __init__(self, engine: Any, tenant_id: str | None) -> None:
        self.engine, self.tenant_id = engine, tenant_id

    def __getitem__(self, name: str) -> Connector:
        found: Connector | None = self.engine.connector(name, self.tenant_id)
        if found is None:
            raise KeyError(name)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.engine.connectors or {})

    def __len__(self) -> int:
        return len(self.engine.connectors or {})
