"""The engine behind an ``amtsflow`` command, built on first use (no Flask, no web app).

A command that needs the engine calls :func:`command_engine`: it returns the engine passed
as the root context's ``obj`` (tests pass one) or builds it once per invocation through the
composition root (engine.bootstrap.build_engine) and closes it when the command ends. The
web app is built only by the commands that serve it (``serve``, ``demo``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

import click

if TYPE_CHECKING:
    from engine.bootstrap import Engine
    from engine.services.queries import Reads
    from engine.tenancy import TenantSelection

_KEY = "amtsflow.engine"


def command_engine() -> "Engine":
    from engine.bootstrap import Engine, build_engine

    root = click.get_current_context().find_root()
    if isinstance(root.obj, Engine):
        return root.obj
    engine: Any = root.meta.get(_KEY)
    if engine is None:
        engine = build_engine()
        root.meta[_KEY] = engine
        root.call_on_close(lambda: _close(engine))
    return engine  # type: ignore[no-any-return]


def command_reader() -> "Reads":
    """What a read-only command needs: the database, without the runtime (SpiffWorkflow, the
    parsers, connectors), so that ``amtsflow tasks`` and ``amtsflow case`` start fast. The engine
    passed as the root context's ``obj`` (tests) or already built serves as well."""
    from engine.services.queries import open_reader

    root = click.get_current_context().find_root()
    if root.obj is not None:
        return root.obj  # type: ignore[no-any-return]
    built: Any = root.meta.get(_KEY)
    if built is not None:
        return built  # type: ignore[no-any-return]
    reader = open_reader()
    root.call_on_close(reader.db.dispose)
    return reader


def tenant_named() -> bool:
    """Whether the command was given a tenant (--tenant or AMTSFLOW_TENANT), not the default."""
    from click.core import ParameterSource

    root = click.get_current_context().find_root()
    return root.get_parameter_source("tenant") in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def installation_tenants(engine: "Engine") -> list[str]:
    """The tenants an installation-wide check covers: every tenant, unless the command was given
    one with --tenant or AMTSFLOW_TENANT (then that one, said on stderr)."""
    from engine.services.tenants import list_tenants
    from engine.tenancy import current_tenant

    if tenant_named():
        click.echo(f"{click.get_current_context().info_name}: only tenant {current_tenant()} (named with --tenant or "
                   "AMTSFLOW_TENANT); without it every tenant's cases are checked", err=True)
        return [current_tenant()]
    return [tenant.id for tenant in list_tenants(engine)]


def _close(engine: "Engine") -> None:
    from engine.plugins import close_connectors

    close_connectors(engine.connectors)
    engine.db.dispose()


def worker_tenants(engine: "Engine", only: Iterable[str], skip: Iterable[str]) -> "TenantSelection":
    """The tenants a worker runs the jobs of, from --only-tenant / --skip-tenant: each must be a
    tenant of this installation (a misspelt name would leave a municipality without a worker)."""
    from engine.services.tenants import list_tenants
    from engine.tenancy import InvalidTenantId, TenantSelection

    named = [*only, *skip]
    try:
        selection = TenantSelection.of(only, skip)
    except InvalidTenantId as exc:
        raise click.BadParameter(str(exc), param_hint="--only-tenant/--skip-tenant") from None
    except ValueError as exc:
        raise click.UsageError(f"{exc}: give --only-tenant or --skip-tenant") from None
    if named:
        known = {tenant.id for tenant in list_tenants(engine)}
        if unknown := sorted(set(named) - known):
            raise click.BadParameter(f"no such tenant: {', '.join(unknown)} (tenants: {', '.join(sorted(known))})",
                                     param_hint="--only-tenant/--skip-tenant")
    return selection
