"""``amtsflow overrides``: a tenant's own files for a shared process (engine.services.overrides)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from webui.cli_engine import command_engine

TENANT = click.option("--tenant", "tenant_id", required=True, help="the tenant (municipality), e.g. musterstadt")


def _fail(exc: Exception) -> None:
    from engine.domain.errors import DeploymentError

    if isinstance(exc, DeploymentError):
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(2)
    click.echo(f"error: {getattr(exc, 'message', exc)}", err=True)
    sys.exit(1)


@click.group("overrides")
def overrides() -> None:
    """A tenant's overrides of shared processes (DMN tables, forms, service.toml)."""


@overrides.command("list")
@TENANT
@click.option("--process", "process_key", default=None, help="only this process key")
def list_overrides(tenant_id: str, process_key: str | None) -> None:
    """The overrides in force: PROCESS FILE vN RANGE BY AT."""
    from engine.services import overrides as service

    for o in service.list_current(command_engine(), tenant_id, process_key):
        click.echo(f"{o.process_key}  {o.file_name}  v{o.version}  {o.range_text}  {o.created_by}  "
                   f"{o.created_at:%Y-%m-%d %H:%M}" + (f"  {o.comment}" if o.comment else ""))


@overrides.command("upload")
@TENANT
@click.argument("process_key")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", "file_name", default=None, help="the shared file it replaces (default: PATH's name)")
@click.option("--min-version", type=click.IntRange(min=1), default=None, help="first definition version")
@click.option("--max-version", type=click.IntRange(min=1), default=None, help="last definition version")
@click.option("--comment", default=None)
@click.option("--user", default="cli", help="who uploads (audit log)")
def upload(tenant_id: str, process_key: str, path: Path, file_name: str | None, min_version: int | None,
           max_version: int | None, comment: str | None, user: str) -> None:
    """Upload PATH as the tenant's new version of a file of PROCESS_KEY; problems as
    FILE:LINE: element: message and exit status 2."""
    from engine.domain.errors import AmtsflowError
    from engine.services import overrides as service

    try:
        o = service.upload(command_engine(), tenant_id, process_key, file_name or path.name, path.read_bytes(),
                           actor=user, min_version=min_version, max_version=max_version, comment=comment)
    except AmtsflowError as exc:
        _fail(exc)
        return
    click.echo(f"{o.process_key} {o.file_name} v{o.version} ({o.range_text})")


@overrides.command("show")
@TENANT
@click.argument("process_key")
@click.argument("file_name")
def show(tenant_id: str, process_key: str, file_name: str) -> None:
    """Every version of one override, newest first."""
    from engine.services import overrides as service

    versions = service.history(command_engine(), tenant_id, process_key, file_name)
    if not versions:
        click.echo(f"error: no override of {process_key}/{file_name} for {tenant_id}", err=True)
        sys.exit(1)
    for o in versions:
        what = "zurückgezogen" if o.withdrawn else f"{o.sha256}  {o.range_text}"
        click.echo(f"v{o.version}  {what}  {o.created_by}  {o.created_at:%Y-%m-%d %H:%M}"
                   + (f"  {o.comment}" if o.comment else ""))


@overrides.command("diff")
@TENANT
@click.argument("process_key")
@click.argument("file_name")
@click.option("--version", type=click.IntRange(min=1), default=None, help="the shared file of this version")
def diff(tenant_id: str, process_key: str, file_name: str, version: int | None) -> None:
    """The shared file against the tenant's current override (unified diff)."""
    from engine.domain.errors import AmtsflowError
    from engine.services import overrides as service

    try:
        comparison = service.compare(command_engine(), tenant_id, process_key, file_name, version)
    except AmtsflowError as exc:
        _fail(exc)
        return
    if comparison.override is None:
        click.echo(f"no override: {tenant_id} uses the shared {file_name} of v{comparison.definition_version}")
        return
    for line in comparison.diff:
        click.echo(line)


@overrides.command("delete")
@TENANT
@click.argument("process_key")
@click.argument("file_name")
@click.option("--comment", default=None)
@click.option("--user", default="cli", help="who withdraws it (audit log)")
def delete(tenant_id: str, process_key: str, file_name: str, comment: str | None, user: str) -> None:
    """Withdraw the override (a new version without content): new cases use the shared file."""
    from engine.domain.errors import AmtsflowError
    from engine.services import overrides as service

    try:
        o = service.withdraw(command_engine(), tenant_id, process_key, file_name, actor=user, comment=comment)
    except AmtsflowError as exc:
        _fail(exc)
        return
    click.echo(f"{o.process_key} {o.file_name} v{o.version}: withdrawn")


commands = [overrides]
