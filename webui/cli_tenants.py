"""``amtsflow tenants add|list|show|update|deactivate``: the municipalities of an installation.

Messages are English (operators). A path prefix is checked against the first path segments of
the web app's URL map; only then is the (Flask) app built, other commands load no Flask.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection

import click

from engine.domain.errors import AmtsflowError
from webui.cli_engine import command_engine

if TYPE_CHECKING:
    from engine.services.tenants import Tenant

SETTING_KEYS = ("primary_colour", "accent_colour", "contact_phone", "contact_email", "imprint_url",
                "accessibility_url", "portal_url")


def _fail(exc: AmtsflowError) -> None:
    from engine.services.tenant_settings import TenantInvalid

    if isinstance(exc, TenantInvalid):
        for name, (english, _german) in exc.problems.items():
            click.echo(f"error: {name}: {english}", err=True)
    else:
        click.echo(f"error: {exc.message}", err=True)
    sys.exit(1)


def _reserved(path_prefix: str | None) -> Collection[str]:
    if not path_prefix:
        return ()
    import dataclasses
    import secrets

    from webui.app import create_app
    from webui.tenant_paths import app_segments

    engine = command_engine()
    # an app built only to read its URL map serves nothing: a throwaway key where none is set
    settings = dataclasses.replace(engine.settings, secret_key=engine.settings.secret_key or secrets.token_hex(32))
    return app_segments(create_app(settings, engine=engine))


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{what}: expected KEY=VALUE, got {value!r}")
        pairs[key.strip()] = rest.strip()
    return pairs


def _settings(values: tuple[str, ...], address: tuple[str, ...]) -> dict[str, Any]:
    settings: dict[str, Any] = dict(_pairs(values, "--set"))
    unknown = set(settings) - set(SETTING_KEYS)
    if unknown:
        raise click.BadParameter(f"--set: unknown keys {sorted(unknown)}; known: {', '.join(SETTING_KEYS)}")
    if address:
        settings["address"] = [line for line in address if line != "-"]
    return settings


def _connectors(urls: tuple[str, ...], secrets: tuple[str, ...]) -> dict[str, Any]:
    connectors: dict[str, Any] = {name: {"url": url} for name, url in _pairs(urls, "--connector").items()}
    for key, env_name in _pairs(secrets, "--connector-secret").items():
        name, dot, parameter = key.partition(".")
        if not dot:
            raise click.BadParameter("--connector-secret: expected CONNECTOR.PARAMETER=ENV_VAR_NAME")
        connectors.setdefault(name, {}).setdefault("secrets", {})[parameter] = env_name
    return connectors


def _as_dict(tenant: "Tenant") -> dict[str, Any]:
    return {"id": tenant.id, "name": tenant.name, "host": tenant.host, "path_prefix": tenant.path_prefix,
            "active": tenant.active, "settings": dict(tenant.settings), "connectors": dict(tenant.connectors),
            "created_at": tenant.created_at.isoformat() if tenant.created_at else None}


@click.group("tenants")
def tenants_group() -> None:
    """Tenants: the municipalities this installation serves."""


_common = [
    click.option("--host", default=None, help="host name of the tenant's portal (musterstadt.serviceportal.example)"),
    click.option("--path-prefix", default=None, help="first path segment of the tenant's portal (musterstadt)"),
    click.option("--set", "values", multiple=True, metavar="KEY=VALUE", help=f"a setting: {', '.join(SETTING_KEYS)}"),
    click.option("--address", multiple=True, help="one line of the postal address for letters (repeat per line)"),
    click.option("--connector", "connector_urls", multiple=True, metavar="NAME=URL", help="a connector's endpoint"),
    click.option("--connector-secret", "connector_secrets", multiple=True, metavar="NAME.PARAM=ENV_VAR",
                 help="the NAME of the environment variable holding a connector's secret (never the secret)"),
    click.option("--logo", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                 help="logo or coat of arms (PNG, JPEG, GIF, WebP or plain SVG)"),
]


def _options(command: Any) -> Any:
    for option in reversed(_common):
        command = option(command)
    return command


@tenants_group.command("add")
@click.argument("tenant_id")
@click.option("--name", required=True, help='the name shown to people ("Stadt Musterstadt")')
@_options
def add(tenant_id: str, name: str, host: str | None, path_prefix: str | None, values: tuple[str, ...],
        address: tuple[str, ...], connector_urls: tuple[str, ...], connector_secrets: tuple[str, ...],
        logo: Path | None) -> None:
    """Add a tenant."""
    from engine.services import tenants

    engine = command_engine()
    try:
        tenants.add_tenant(engine, tenant_id, name, host=host, path_prefix=path_prefix,
                           settings=_settings(values, address), connectors=_connectors(connector_urls, connector_secrets),
                           reserved_prefixes=_reserved(path_prefix))
        if logo is not None:
            tenants.set_logo(engine, tenant_id, logo.read_bytes())
    except AmtsflowError as exc:
        _fail(exc)
    click.echo(f"tenant {tenant_id} added")


@tenants_group.command("update")
@click.argument("tenant_id")
@click.option("--name", default=None)
@_options
@click.option("--no-logo", is_flag=True, help="remove the logo")
@click.option("--active/--inactive", default=None, help="activate or deactivate the tenant")
def update_command(tenant_id: str, name: str | None, host: str | None, path_prefix: str | None,
                   values: tuple[str, ...], address: tuple[str, ...], connector_urls: tuple[str, ...],
                   connector_secrets: tuple[str, ...], logo: Path | None, no_logo: bool, active: bool | None) -> None:
    """Change a tenant; settings and connectors are merged (KEY= removes a setting; --host "" and
    --path-prefix "" remove them)."""
    from engine.services import tenants

    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if host is not None:
        changes["host"] = host
    if path_prefix is not None:
        changes["path_prefix"] = path_prefix
    settings = _settings(values, address)
    if settings:
        changes["settings"] = settings
    connectors = _connectors(connector_urls, connector_secrets)
    if connectors:
        changes["connectors"] = connectors
    if active is not None:
        changes["active"] = active
    engine = command_engine()
    try:
        tenants.update_tenant(engine, tenant_id, reserved_prefixes=_reserved(path_prefix), **changes)
        if logo is not None or no_logo:
            tenants.set_logo(engine, tenant_id, logo.read_bytes() if logo is not None else None)
    except AmtsflowError as exc:
        _fail(exc)
    click.echo(f"tenant {tenant_id} updated")


@tenants_group.command("deactivate")
@click.argument("tenant_id")
def deactivate(tenant_id: str) -> None:
    """Deactivate a tenant: its portal and sign-ins stop answering and its jobs wait; its data
    stays. `tenants update TENANT --active` resumes it."""
    from engine.services import tenants

    engine = command_engine()
    try:
        tenants.deactivate_tenant(engine, tenant_id)
    except AmtsflowError as exc:
        _fail(exc)
    waiting = tenants.waiting_jobs(engine, tenant_id)
    click.echo(f"tenant {tenant_id} deactivated; its {waiting} open job(s) (timers, service calls) wait until it "
               f"is active again: amtsflow tenants update {tenant_id} --active; erasures of personal data whose "
               f"retention period ran out still run")


@tenants_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_command(as_json: bool) -> None:
    """List the tenants: id, reached at, active, name."""
    from engine.services import tenants

    rows = tenants.list_tenants(command_engine())
    if as_json:
        click.echo(json.dumps([_as_dict(x) for x in rows], indent=2, ensure_ascii=False))
        return
    for x in rows:
        where = " ".join(filter(None, [x.host, f"/{x.path_prefix}/" if x.path_prefix else None])) or "-"
        click.echo(f"{x.id}\t{where}\t{'active' if x.active else 'inactive'}\t{x.name}")


@tenants_group.command("show")
@click.argument("tenant_id")
@click.option("--json", "as_json", is_flag=True)
def show(tenant_id: str, as_json: bool) -> None:
    """Show one tenant with its settings and connectors."""
    from engine.services import tenants

    try:
        tenant = tenants.get_tenant(command_engine(), tenant_id)
    except AmtsflowError as exc:
        _fail(exc)
        return
    data = _as_dict(tenant)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for key in ("id", "name", "host", "path_prefix", "active", "created_at"):
        click.echo(f"{key}: {data[key] if data[key] is not None else '-'}")
    for key, value in sorted(tenant.settings.items()):
        click.echo(f"settings.{key}: {json.dumps(value, ensure_ascii=False)}")
    for key, value in sorted(tenant.connectors.items()):
        click.echo(f"connectors.{key}: {json.dumps(value, ensure_ascii=False)}")


commands = [tenants_group]
