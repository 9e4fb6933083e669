"""``amtsflow demo``: everything for a first look on the embedded default (SQLite)."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click


ROOT = Path(__file__).resolve().parents[1]


def deploy_process_library(engine: Any, folder: Path) -> list[str]:
    """Deploy every process folder below ``folder``; returns 'KEY vN' lines."""
    from engine.domain.errors import DeploymentError
    from engine.services.deploy import deploy, read_paths

    lines: list[str] = []
    for service in sorted(p for p in folder.iterdir() if p.is_dir() and (p / "process.bpmn").exists()):
        try:
            result = deploy(engine, read_paths([str(service)]), actor="demo", shared=True)   # every municipality of the demo uses them
        except DeploymentError as exc:
            for problem in exc.problems:
                click.echo(f"  {problem}", err=True)
            raise click.ClickException(f"the process in {service} could not be deployed") from None
        lines.extend(f"{p.key} v{p.version}" for p in result.processes)
    return lines


def simulator_state_dir(database_url: str) -> Path:
    """Where the demo's simulators keep their state: beside the SQLite file, else in ./instance."""
    from engine.settings import sqlite_file   # here: the settings load SQLAlchemy, other commands need not

    database_file = sqlite_file(database_url)
    if database_file is not None:
        return database_file.resolve().parent / "simulators"
    return Path("instance", "simulators").resolve()


def start_simulators(first_port: int, database_url: str) -> dict[str, str]:
    """The simulators on fixed ports with their state on disk: payment links that cases stored
    stay valid when the demo is stopped and started again."""
    from connectors.simulators import runner

    try:
        return runner.start_all(seed=1, ports=runner.fixed_ports(first_port),
                                state_dir=simulator_state_dir(database_url))
    except OSError as exc:
        runner.stop()
        raise click.ClickException(f"the back-office simulators cannot use ports {first_port}-"
                                   f"{first_port + len(runner.PORT_ORDER) - 1} ({exc.strerror}); "
                                   "choose others with --simulator-port") from None


@click.command("demo")
@click.option("--port", default=8080, show_default=True, help="port of the web UI")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--seed/--no-seed", default=True, show_default=True, help="start a few demo cases")
@click.option("--simulator-port", type=int, default=8101, show_default=True, envvar="AMTSFLOW_DEMO_SIMULATOR_PORT",
              help="first of the fixed ports of the back-office simulators (0: free ports, links die on restart)")
def demo(port: int, host: str, seed: bool, simulator_port: int) -> None:
    """Migrate, deploy processes/, create demo accounts, start the back-office simulators,
    the job worker and the web server; print the URL and the logins."""
    from waitress import serve

    from engine import logcontext

    logcontext.configure()

    from connectors.simulators import runner
    from engine.bootstrap import build_engine
    from engine.jobs import WorkerThread
    from engine.persistence.migrate import upgrade
    from engine.plugins import close_connectors
    from engine.services.identity import create_demo_accounts
    from engine.settings import Settings
    from webui.app import create_app
    from webui.demo_tenants import DEMO_TENANTS, create_tenant_staff, host_of, seed_tenants
    from webui.tenant_paths import app_segments

    if not (ROOT / "node_modules" / "@kern-ux").exists() and not os.environ.get("AMTSFLOW_NODE_MODULES"):
        click.echo("warning: node_modules is missing (run `npm ci`): pages will have no styles", err=True)
    base = f"http://{host}:{port}"
    settings = Settings.from_env(demo=True, public_url=os.environ.get("AMTSFLOW_PUBLIC_URL", base).rstrip("/"))
    urls = start_simulators(simulator_port, settings.database_url)
    config = {**runner.connector_config(urls, payment_callback_url=f"{base}/api/v1/callbacks/payment",
                                        verify_url=f"{base}/pruefen"), **settings.connector_config}
    # the web layer reads the callback secrets and the verification key from the same configuration
    settings = dataclasses.replace(settings, connector_config=config)
    engine = build_engine(settings)
    upgrade(engine.db)
    click.echo("database: " + engine.db.url.render_as_string(hide_password=True))
    for line in deploy_process_library(engine, ROOT / "processes"):
        click.echo(f"deployed {line}")
    app = create_app(settings, engine=engine)
    # two municipalities beside the default tenant, each with its own fee table (issue 17)
    for line in seed_tenants(engine, app_segments(app)):
        click.echo(f"tenant {line}")
    accounts = create_demo_accounts(engine)
    accounts.passwords.update(create_tenant_staff(engine))
    if seed:
        from webui.demo_data import seed_demo_cases

        for line in seed_demo_cases(engine, [t.id for t in DEMO_TENANTS]):
            click.echo(f"demo case: {line}")
    try:
        runner.configure_fitconnect_callback(urls["fitconnect"], f"{base}/api/v1/callbacks/fitconnect")
    except Exception as exc:  # noqa: BLE001 - the demo runs without the intake callback
        click.echo(f"warning: FIT-Connect callback not registered: {exc}", err=True)
    worker = WorkerThread(engine)
    worker.start()
    click.echo(f"\namtsflow demo: {base}/   (Portal)   {base}/inbox/   {base}/studio/   {base}/admin/")
    for tenant in DEMO_TENANTS:
        own_host = host_of(tenant.id)
        click.echo(f"{tenant.name}: {base}/{tenant.id}/" + (f"   or http://{own_host}:{port}/" if own_host else "")
                   + f"   (staff: sb-{tenant.id}, po-{tenant.id})")
    click.echo("back-office simulators: " + ", ".join(f"{k}={v}" for k, v in sorted(urls.items())))
    click.echo("logins (user / password):")
    for username, password in sorted(accounts.passwords.items()):
        click.echo(f"  {username:<16} {password}")
    click.echo("Citizens sign in through the demo identity provider on the portal. Stop with Ctrl+C.")
    sys.stdout.flush()

    def stop(*_: Any) -> None:   # SIGTERM (systemd, docker stop, a terminal closed) as Ctrl+C: the clean-up runs
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        serve(app, host=host, port=port, threads=8, ident="amtsflow")
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
        worker.join(timeout=10)  # lets it unlock the jobs handed to it
        close_connectors(engine.connectors)
        runner.stop()


commands = [demo]
