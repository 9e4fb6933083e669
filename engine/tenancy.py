"""Tenants: which municipality a unit of work acts for (issue 17).

One installation serves many municipalities (a regional IT provider). Every tenant-owned row
carries a ``tenant_id``; the tenant a piece of work acts for is held in a context variable for
the duration of a request, a CLI command or a job, so that queries and commands are scoped to it
without every call passing it on. Code that must see every tenant (the job worker's
acquisition, the provider's operator views, migrations) says so with :func:`all_tenants`, with a
reason, which is logged.

An installation that never configured tenants lives entirely in :data:`DEFAULT_TENANT` (the
Alembic migration that introduced tenants moved existing rows there).

Tenant ids are DNS labels (``musterstadt``): lower-case letters, digits and inner hyphens, at
most 63 characters, so that they can be used in host names and path prefixes unchanged.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

log = logging.getLogger(__name__)

DEFAULT_TENANT = "default"
TENANT_ID_MAX = 63
_TENANT_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class TenantMissing(RuntimeError):
    """Work touched tenant-owned data without a tenant (a programming error, never a user's)."""


class InvalidTenantId(ValueError):
    pass


def check_tenant_id(tenant_id: str) -> str:
    if not isinstance(tenant_id, str) or not _TENANT_ID.match(tenant_id):
        raise InvalidTenantId(
            f"invalid tenant id {tenant_id!r}: use lower-case letters, digits and inner hyphens, "
            f"at most {TENANT_ID_MAX} characters")
    return tenant_id


@dataclass(frozen=True)
class Scope:
    """Whom the current work acts for: one tenant, or (``tenant_id is None``) every tenant."""

    tenant_id: str | None
    reason: str = ""

    @property
    def is_all(self) -> bool:
        return self.tenant_id is None


_SCOPE: ContextVar[Scope | None] = ContextVar("amtsflow_tenant_scope", default=None)


def current_scope() -> Scope | None:
    return _SCOPE.get()


def current_tenant() -> str:
    """The tenant the current work acts for; TenantMissing when there is none or the work is
    scoped to all tenants (then the caller must name a tenant itself)."""
    scope = _SCOPE.get()
    if scope is None:
        raise TenantMissing("no tenant: run this inside tenant_scope(...) or all_tenants(...)")
    if scope.tenant_id is None:
        raise TenantMissing(f"work scoped to all tenants ({scope.reason}) needs an explicit tenant here")
    return scope.tenant_id


def tenant_or_none() -> str | None:
    scope = _SCOPE.get()
    return None if scope is None else scope.tenant_id


@contextmanager
def tenant_scope(tenant_id: str) -> Iterator[Scope]:
    """Act for one tenant inside the block (nests; the previous scope is restored after)."""
    scope = Scope(check_tenant_id(tenant_id))
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


def enter(tenant_id: str) -> Token[Scope | None]:
    """:func:`tenant_scope` for code that cannot wrap the work in a ``with`` block (a web
    request's before and teardown hooks); :func:`leave` with the token ends it."""
    return _SCOPE.set(Scope(check_tenant_id(tenant_id)))


def leave(token: Token[Scope | None]) -> None:
    _SCOPE.reset(token)


@contextmanager
def all_tenants(reason: str) -> Iterator[Scope]:
    """Act across every tenant inside the block; ``reason`` says why (logged at DEBUG, and audited
    by callers that act for a person, such as the provider's operator)."""
    if not reason:
        raise ValueError("all_tenants() needs a reason")
    log.debug("acting for all tenants: %s", reason)
    scope = Scope(None, reason)
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


@dataclass(frozen=True)
class TenantSelection:
    """The tenants whose jobs a worker runs: every tenant (the default), only the named ones
    (``only``), or every tenant but the named ones (``skip``). A regional provider runs a
    worker of its own for a large city (``only``) and keeps the city's load away from the
    shared workers (``skip``); see `amtsflow worker --only-tenant / --skip-tenant`."""

    only: frozenset[str] | None = None
    skip: frozenset[str] = frozenset()

    @classmethod
    def of(cls, only: Iterable[str] = (), skip: Iterable[str] = ()) -> "TenantSelection":
        only, skip = frozenset(map(check_tenant_id, only)), frozenset(map(check_tenant_id, skip))
        if only and skip:
            raise ValueError("a worker either serves only some tenants or skips some, not both")
        return cls(only or None, skip)

    @property
    def everyone(self) -> bool:
        return self.only is None and not self.skip

    def admits(self, tenant_id: str | None) -> bool:
        if self.only is not None:
            return tenant_id in self.only
        return tenant_id not in self.skip

    def condition(self, column: Any) -> Any:
        """The SQL condition on a ``tenant_id`` column (None when every tenant is admitted).
        Each name a bound value of its own: the statement is compiled once per selection."""
        from sqlalchemy import and_, or_

        if self.only is not None:
            return or_(*(column == tenant for tenant in sorted(self.only)))
        if self.skip:
            return and_(*(column != tenant for tenant in sorted(self.skip)))
        return None

    def to_json(self) -> dict[str, list[str]] | None:
        """As a worker's heartbeat records it (None: every tenant)."""
        if self.only is not None:
            return {"only": sorted(self.only)}
        if self.skip:
            return {"skip": sorted(self.skip)}
        return None

    @classmethod
    def from_json(cls, value: Any) -> "TenantSelection":
        if not isinstance(value, dict):
            return cls()
        return cls.of(value.get("only") or (), value.get("skip") or ())

    def describe(self) -> str:
        if self.only is not None:
            return "only tenant(s) " + ", ".join(sorted(self.only))
        if self.skip:
            return "every tenant but " + ", ".join(sorted(self.skip))
        return "every tenant"


EVERY_TENANT = TenantSelection()
