"""The ``amtsflow`` console script: a Flask CLI group over create_app (thin commands)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from flask import current_app

from engine.domain.errors import AmtsflowError, DeploymentError, FormValidationError


def _create_app() -> Flask:
    from webui.app import create_app

    return create_app()


def _engine() -> Any:
    return current_app.extensions["amtsflow"]


def _load_data(value: str | None) -> dict[str, Any]:
    if not value:
        return {}
    text = Path(value[1:]).read_text(encoding="utf-8") if value.startswith("@") else value
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise click.BadParameter("data must be a JSON object")
    return data


def _fail(exc: AmtsflowError) -> None:
    if isinstance(exc, DeploymentError):
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(2)
    click.echo(f"error: {exc.message}", err=True)
    if isinstance(exc, FormValidationError):
        for field, messages in exc.field_errors.items():
            for m in messages:
                click.echo(f"  {field}: {m}", err=True)
    sys.exit(1)


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def main() -> None:
    """amtsflow: BPMN process automation for municipal administrative services."""


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    from engine.persistence.migrate import upgrade

    upgrade(_engine().db)
    click.echo("database is up to date")


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--user", default="cli", help="who deploys (audit log)")
@with_appcontext
def deploy(paths: tuple[str, ...], user: str) -> None:
    """Deploy BPMN/DMN/form files or folders; prints KEY vN per process."""
    from engine.services.deploy import deploy as do_deploy, read_paths

    try:
        result = do_deploy(_engine(), read_paths(list(paths)), actor=user)
    except AmtsflowError as exc:
        _fail(exc)
        return
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for p in result.processes:
        click.echo(f"{p.key} v{p.version}" + ("" if p.created else " (unchanged)"))


@main.command()
@click.argument("key")
@click.option("--data", default=None, help="JSON object or @file")
@click.option("--business-key", default=None, help="e.g. an Aktenzeichen")
@click.option("--user", default="cli")
@with_appcontext
def start(key: str, data: str | None, business_key: str | None, user: str) -> None:
    """Start a case of process KEY; prints the new case id."""
    from engine.services.cases import start_case

    try:
        click.echo(start_case(_engine(), key, _load_data(data), business_key=business_key, actor=user))
    except AmtsflowError as exc:
        _fail(exc)


@main.command()
@click.option("--group", default=None)
@click.option("--case", "case_id", default=None)
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def tasks(group: str | None, case_id: str | None, as_json: bool) -> None:
    """List open tasks."""
    from engine.services.queries import list_tasks

    rows = list_tasks(_engine(), group=group, case_id=case_id)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        groups = ",".join(r["candidate_groups"]) or "-"
        click.echo(f"{r['id']}  {r['name']}  case={r['case_id']}  groups={groups}  assignee={r['assignee'] or '-'}")


@main.command()
@click.argument("task_id")
@click.option("--data", default=None, help="JSON object or @file")
@click.option("--user", default="cli")
@with_appcontext
def complete(task_id: str, data: str | None, user: str) -> None:
    """Complete a user task with data."""
    from engine.services.cases import complete_task

    try:
        complete_task(_engine(), task_id, _load_data(data), actor=user)
    except AmtsflowError as exc:
        _fail(exc)
    click.echo("completed")


@main.command()
@click.argument("case_id")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def case(case_id: str, as_json: bool) -> None:
    """Show a case: status, data, open tasks, history."""
    from engine.services.queries import get_case

    try:
        view = get_case(_engine(), case_id)
    except AmtsflowError as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(json.dumps(view, indent=2, ensure_ascii=False))
        return
    click.echo(f"case {view['id']}  {view['process_key']} v{view['version']}  status={view['status']}"
               f"  business_key={view['business_key'] or '-'}")
    click.echo("data: " + json.dumps(view["data"], ensure_ascii=False))
    for task in view["open_tasks"]:
        click.echo(f"open task {task['id']}  {task['name']}")
    for incident in view["incidents"]:
        click.echo(f"incident {incident['id']}: {incident['message']}")
    for event in view["history"]:
        click.echo(f"  {event['at']}  {event['actor']}  {event['action']}")
