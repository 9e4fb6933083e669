"""Account commands for the ``amtsflow`` CLI (registered by webui/cli.py from ``commands``)."""

from __future__ import annotations

import sys
from typing import Any

import click

from engine.domain.errors import AmtsflowError
from webui.cli_engine import command_engine as _engine


def _identity() -> Any:
    """Imported when an accounts command runs (password hashing is slow to import)."""
    from engine.services import identity

    return identity


@click.group("accounts")
def accounts() -> None:
    """Local accounts, groups and API tokens."""


@accounts.command("demo")
def demo_accounts() -> None:
    """Create the demo groups and people with fresh random passwords; print the logins."""
    result = _identity().create_demo_accounts(_engine())
    for username, password in result.passwords.items():
        click.echo(f"{username:8} {password}")


@accounts.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="display name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(["citizen", "clerk", "owner", "admin"]))
@click.option("--group", "groups", multiple=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create(username: str, display_name: str, roles: tuple[str, ...], groups: tuple[str, ...], password: str) -> None:
    """Create a local account (clerks, process owners, admins)."""
    try:
        user = _identity().create_user(_engine(), username, display_name, roles=roles, password=password,
                                    groups_=groups)
    except AmtsflowError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    click.echo(f"created {user.username}")


@accounts.command("group")
@click.argument("name")
@click.option("--title", required=True)
def group(name: str, title: str) -> None:
    """Create a group (the lane name in the models)."""
    try:
        _identity().create_group(_engine(), name, title)
    except AmtsflowError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    click.echo(f"created group {name}")


@accounts.command("token")
@click.argument("username")
@click.option("--name", required=True, help="what the token is for")
@click.option("--scope", "scopes", multiple=True,
              help="a system right: business_key (may choose Aktenzeichen), message:NAME (may send a message "
                   "its process reserves for systems); repeat for several")
def token(username: str, name: str, scopes: tuple[str, ...]) -> None:
    """Create an API token for USERNAME; prints it once."""
    try:
        click.echo(_identity().create_api_token(_engine(), username, name, scopes=scopes)[1])
    except AmtsflowError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)


commands: list[click.Command] = [accounts]
