"""CLI commands of the connectors package, registered on the ``amtsflow`` group by webui.cli:

    amtsflow connectors [--json]      list every name.operation with its schemas and BPMN errors
    amtsflow simulators [--seed N]    run all back-office simulators in the foreground
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any, Mapping

import click

from engine.ports import Connector


def _config_from_env() -> dict[str, str]:
    try:
        from engine.settings import Settings

        return dict(Settings.from_env().connector_config)
    except ImportError:
        prefix = "AMTSFLOW_CONNECTOR_"
        return {k[len(prefix):].lower(): v for k, v in os.environ.items() if k.startswith(prefix)}


def _app_connectors() -> Mapping[str, Connector] | None:
    try:
        from flask import current_app

        engine = current_app.extensions.get("amtsflow")
    except RuntimeError:                     # no application context
        return None
    connectors = getattr(engine, "connectors", None)
    return connectors or None


def _summary(schema: Mapping[str, Any]) -> str:
    required = set(schema.get("required") or [])
    return ", ".join(f"{p}{'*' if p in required else ''}" for p in (schema.get("properties") or {}))


@click.command("connectors")
@click.option("--json", "as_json", is_flag=True, help="Print the operations with their JSON Schemas as JSON.")
def connectors_command(as_json: bool) -> None:
    """List the connector operations a process model can call."""
    # here, not at the top: discovering plugins (importlib.metadata) would slow every command
    from connectors.registry import close_connectors, describe, load_connectors

    connectors = _app_connectors()
    owned = connectors is None
    if connectors is None:
        connectors = load_connectors(_config_from_env())
    try:
        rows = describe(connectors)
    finally:
        if owned:
            close_connectors(connectors)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['operation']}({_summary(row['params_schema'])})")
        click.echo(f"    {row['description']}")
        if row["errors"]:
            click.echo(f"    BPMN-Fehler: {', '.join(row['errors'])}")


@click.command("simulators")
@click.option("--seed", default=1, show_default=True, help="Seed of the demo data.")
def simulators_command(seed: int) -> None:
    """Run all back-office simulators until interrupted; print URLs and the connector configuration."""
    from connectors.simulators.runner import connector_config, start_all, stop

    urls = start_all(seed=seed)
    for name, url in sorted(urls.items()):
        click.echo(f"{name:14} {url}")
    click.echo("\n# connector configuration (environment):")
    for key, value in sorted(connector_config(urls).items()):
        click.echo(f"AMTSFLOW_CONNECTOR_{key.upper()}={value}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop()


commands: list[click.Command] = [connectors_command, simulators_command]
