"""The ``amtsflow`` console script: thin commands over the engine's services.

Only ``serve`` and ``demo`` build the web app; every other command imports what it needs when
it runs (``amtsflow tasks`` loads no Flask), so the engine's commands start fast."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from engine.domain.errors import AmtsflowError, ConfigurationError, DeploymentError, FormValidationError
from engine.tenancy import DEFAULT_TENANT, InvalidTenantId, tenant_scope
from webui.cli_engine import command_engine as _engine, command_reader as _reader


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


class _Commands(click.Group):
    """The command group; a setting to correct (ConfigurationError), a database that cannot be
    reached or has an old schema is reported in one line with what to do, not as a stack trace."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigurationError as exc:
            click.echo(f"error: configuration: {exc}", err=True)
            sys.exit(2)
        except Exception as exc:
            if type(exc).__name__ == "SchemaMismatch":   # engine.persistence.migrate (not imported for --help)
                click.echo(f"error: database: {exc}", err=True)
                sys.exit(1)
            import sys as _sys

            exc_module = _sys.modules.get("sqlalchemy.exc")
            if exc_module is None or not isinstance(exc, (exc_module.OperationalError, exc_module.ProgrammingError)):
                raise
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            click.echo(f"error: database: {reason}", err=True)
            click.echo("  is AMTSFLOW_DATABASE_URL right, and is the schema current? run: amtsflow db upgrade", err=True)
            sys.exit(1)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--tenant", default=DEFAULT_TENANT, envvar="AMTSFLOW_TENANT", show_default=True,
              help="The municipality (tenant) whose cases, tasks and deployments the command acts on.")
@click.pass_context
def main(ctx: click.Context, tenant: str) -> None:
    """amtsflow: BPMN process automation for municipal administrative services."""
    try:
        ctx.with_resource(tenant_scope(tenant))   # every command acts for one tenant
    except InvalidTenantId as exc:
        raise click.BadParameter(str(exc), param_hint="--tenant") from None


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    from engine.persistence.migrate import pending, upgrade

    db = _engine().db
    current, todo = pending(db)
    if not todo:
        click.echo(f"database is up to date (schema {current})")
        return
    click.echo(f"schema {current or '(none)'}: applying {len(todo)} migration(s) up to {todo[-1]}")
    upgrade(db, applied=lambda revision, doc, seconds: click.echo(f"  {revision} {doc} ({seconds:.1f} s)"))
    click.echo(f"database is up to date (schema {todo[-1]})")


def _database_url() -> str:
    """The database the command acts on, without building the engine (a restored backup may
    have an older schema)."""
    root = click.get_current_context().find_root()
    if hasattr(root.obj, "settings"):   # tests hand the CLI an engine
        return str(root.obj.settings.database_url)
    from engine.settings import Settings

    return Settings.from_env().database_url


def _size(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{size / 1024:.0f} kB"


@db.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(path: Path) -> None:
    """Copy the SQLite database to PATH (a new file), consistent while serve and the worker
    run, checked before it gets its name. PostgreSQL: use pg_dump."""
    from engine.persistence.backup import BackupRefused, backup

    try:
        made = backup(_database_url(), path)
    except BackupRefused as exc:
        click.echo(f"error: backup: {exc}", err=True)
        sys.exit(1)
    click.echo(f"backup written: {made.path} ({_size(made.size)}, schema {made.revision}, {made.cases} case(s), "
               f"{made.seconds:.1f} s)")


@db.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="restore although a worker reported within the last 30 s")
def db_restore(path: Path, force: bool) -> None:
    """Replace the SQLite database by the backup PATH. Stop serve and the workers first; the
    current database is kept beside it (<name>.before-restore-<time>)."""
    from engine.persistence.backup import BackupRefused, restore, running_workers

    url = _database_url()
    try:
        running = running_workers(url)
        if running and not force:
            raise BackupRefused(f"{len(running)} worker(s) reported within the last 30 s ({', '.join(running)}): "
                                "stop amtsflow serve and amtsflow worker first (--force restores anyway)")
        restored, kept = restore(url, path)
    except BackupRefused as exc:
        click.echo(f"error: restore: {exc}", err=True)
        sys.exit(1)
    if kept is not None:
        click.echo(f"the database before the restore is kept as {kept.path} ({kept.cases} case(s))")
    click.echo(f"restored {path} into {restored.path} (schema {restored.revision}, {restored.cases} case(s))")
    click.echo("next: amtsflow db upgrade and amtsflow replay (if the backup is from an older release), "
               "then start serve and the workers")


# With --user the data are that person's submission (only the form's fields, as in the portal);
# without it they are the operator's own write on the server (any variables, as a script's).
USER_HELP = ("act as this person: only the form's fields are accepted and, for tasks, only if the task is "
             "theirs to do (default: the operator, any variables)")

@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--user", default="cli", help="who deploys (audit log)")
@click.option("--shared", is_flag=True,
              help="for every tenant: the provider's process library, which each municipality may adapt with "
                   "overrides (without it: for the --tenant only)")
def deploy(paths: tuple[str, ...], user: str, shared: bool) -> None:
    """Deploy BPMN/DMN/form files or folders; prints KEY vN per process."""
    from engine.services.deploy import deploy as do_deploy, read_paths

    try:
        result = do_deploy(_engine(), read_paths(list(paths)), actor=user, shared=shared)
    except AmtsflowError as exc:
        _fail(exc)
        return
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for p in result.processes:
        click.echo(f"{p.key} v{p.version}" + ("" if p.created else " (unchanged)") + (" for every tenant" if shared else ""))


@main.command()
@click.argument("key")
@click.option("--data", default=None, help="JSON object or @file")
@click.option("--business-key", default=None, help="e.g. an Aktenzeichen")
@click.option("--user", default=None, help=USER_HELP)
def start(key: str, data: str | None, business_key: str | None, user: str | None) -> None:
    """Start a case of process KEY; prints the new case id."""
    from engine.services.cases import start_case

    try:
        click.echo(start_case(_engine(), key, _load_data(data), business_key=business_key, actor=user or "cli",
                              internal=user is None))
    except AmtsflowError as exc:
        _fail(exc)


@main.command()
@click.option("--group", default=None)
@click.option("--case", "case_id", default=None)
@click.option("--json", "as_json", is_flag=True)
def tasks(group: str | None, case_id: str | None, as_json: bool) -> None:
    """List open tasks."""
    from engine.services.queries import list_tasks

    rows = list_tasks(_reader(), group=group, case_id=case_id)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        groups = ",".join(r["candidate_groups"]) or "-"
        click.echo(f"{r['id']}  {r['name']}  case={r['case_id']}  groups={groups}  assignee={r['assignee'] or '-'}")


@main.command()
@click.argument("task_id")
@click.option("--data", default=None, help="JSON object or @file")
@click.option("--user", default=None, help=USER_HELP)
def complete(task_id: str, data: str | None, user: str | None) -> None:
    """Complete a user task with data."""
    from engine.services import queries, task_access
    from engine.services.cases import complete_task

    try:
        engine = _engine()
        if user is not None:   # that person's submission: checked as in the inbox and the portal
            user = task_access.require(engine, queries.get_task(engine, task_id), user).username
        complete_task(engine, task_id, _load_data(data), actor=user or "cli", internal=user is None)
    except AmtsflowError as exc:
        _fail(exc)
    click.echo("completed")


@main.command()
@click.argument("case_id")
@click.option("--json", "as_json", is_flag=True)
def case(case_id: str, as_json: bool) -> None:
    """Show a case: status, data, open tasks, history."""
    from engine.services.queries import get_case

    try:
        view = get_case(_reader(), case_id)
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


@main.command()
@click.argument("name")
@click.option("--key", default=None, help="correlation key (the case's business key unless the model says otherwise)")
@click.option("--data", default=None, help="JSON object or @file")
@click.option("--message-id", default=None, help="sender's message id: the same id twice is delivered once")
def message(name: str, key: str | None, data: str | None, message_id: str | None) -> None:
    """Send message NAME to the case waiting for it (or start/buffer)."""
    from engine.services.messages import correlate_message

    try:
        outcome = correlate_message(_engine(), name, key, _load_data(data), message_id=message_id, actor="cli")
    except AmtsflowError as exc:
        _fail(exc)
        return
    click.echo(f"{outcome.status}" + (f" {outcome.case_id}" if outcome.case_id else ""))


@main.command()
@click.argument("name")
@click.option("--data", default=None, help="JSON object or @file")
def signal(name: str, data: str | None) -> None:
    """Broadcast signal NAME to every waiting case."""
    from engine.services.messages import broadcast_signal

    click.echo(f"delivered to {broadcast_signal(_engine(), name, _load_data(data), actor='cli')} case(s)")


@main.command()
@click.option("--once", is_flag=True, help="run due jobs until none is left, then exit")
@click.option("--poll", default=1.0, show_default=True, help="seconds between polls when idle")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="jobs run at once (default: AMTSFLOW_WORKER_THREADS, else 4 on PostgreSQL, 1 on SQLite)")
@click.option("--only-tenant", "only", multiple=True, metavar="TENANT", envvar="AMTSFLOW_WORKER_ONLY_TENANTS",
              help="run only this municipality's jobs (repeatable; AMTSFLOW_WORKER_ONLY_TENANTS: space-separated)")
@click.option("--skip-tenant", "skip", multiple=True, metavar="TENANT", envvar="AMTSFLOW_WORKER_SKIP_TENANTS",
              help="run every municipality's jobs but this one's (repeatable; AMTSFLOW_WORKER_SKIP_TENANTS)")
def worker(once: bool, poll: float, threads: int | None, only: tuple[str, ...], skip: tuple[str, ...]) -> None:
    """Run due jobs (timers, service calls, retries, buffered messages), of every municipality
    unless --only-tenant or --skip-tenant selects some."""
    import signal as signals

    from engine import logcontext

    logcontext.configure()

    from engine.jobs import JobExecutor, WorkerThread
    from engine.persistence.migrate import check_schema

    from webui.cli_engine import tenant_named, worker_tenants

    engine = _engine()
    check_schema(engine.db)   # not jobs on a schema this release does not run on
    len(engine.connectors)    # built now: a connector's setting to correct stops the worker here, not each job
    tenants = worker_tenants(engine, only, skip)
    if tenant_named():
        click.echo("worker: --tenant (AMTSFLOW_TENANT) does not limit a worker; --only-tenant does", err=True)
    if once:
        click.echo(f"ran {JobExecutor(engine, tenants=tenants).run_until_idle()} job(s)")
        return
    thread = WorkerThread(engine, poll_seconds=poll, kind="process", threads=threads, tenants=tenants)
    for sig in (signals.SIGTERM, signals.SIGINT):
        signals.signal(sig, lambda *_: thread.stop())
    click.echo(f"worker {thread.executor.owner} started: jobs of {tenants.describe()}")
    thread.start()
    while thread.is_alive():
        thread.join(timeout=0.5)


@main.group(name="incidents")
def incidents_group() -> None:
    """Incidents: jobs that ran out of retries and failed workflow steps."""


@incidents_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--all-tenants", is_flag=True,
              help="every municipality's open incidents, each with its tenant (act on one with --tenant T)")
def incident_list(as_json: bool, all_tenants: bool) -> None:
    from engine.services.incidents import list_incidents

    engine = _engine()
    if not all_tenants:
        rows: list[Any] = list(list_incidents(engine))
    else:
        from engine.services.tenants import list_tenants

        rows = []
        for municipality in list_tenants(engine):
            with tenant_scope(municipality.id):
                rows += [{"tenant": municipality.id, **r} for r in list_incidents(engine)]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        tenant = f"tenant={r['tenant']}  " if all_tenants else ""
        click.echo(f"{r['id']}  {tenant}case={r['case_id']}  {r['element_id'] or '-'}  {r['message']}")


@incidents_group.command("show")
@click.argument("incident_id")
def incident_show(incident_id: str) -> None:
    from engine.services.incidents import get_incident

    try:
        view = get_incident(_engine(), incident_id)
    except AmtsflowError as exc:
        _fail(exc)
        return
    for key in ("id", "case_id", "element_id", "kind", "status", "created_at", "message"):
        click.echo(f"{key}: {view[key]}")
    click.echo(view.get("details") or "")


@incidents_group.command("retry")
@click.argument("incident_id")
@click.option("--user", default="cli")
def incident_retry(incident_id: str, user: str) -> None:
    from engine.services.incidents import retry_incident

    try:
        retry_incident(_engine(), incident_id, actor=user)
    except AmtsflowError as exc:
        _fail(exc)
    click.echo("retrying")


@incidents_group.command("resolve")
@click.argument("incident_id")
@click.option("--user", default="cli")
@click.option("--note", default="")
def incident_resolve(incident_id: str, user: str, note: str) -> None:
    from engine.services.incidents import resolve_incident

    try:
        resolve_incident(_engine(), incident_id, actor=user, note=note)
    except AmtsflowError as exc:
        _fail(exc)
    click.echo("resolved")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True)
@click.option("--processes", default=1, show_default=True, envvar="AMTSFLOW_WEB_PROCESSES",
              help="web worker processes (PostgreSQL only; gunicorn)")
@click.option("--threads", default=8, show_default=True, envvar="AMTSFLOW_WEB_THREADS",
              help="request threads per process")
@click.option("--graceful-timeout", default=30, show_default=True,
              help="seconds running requests may take to finish on SIGTERM")
def serve(host: str, port: int, processes: int, threads: int, graceful_timeout: int) -> None:
    """Serve the web UI and API: gunicorn on PostgreSQL, waitress with the job worker on SQLite."""
    from engine import logcontext
    from webui.server import serve as run_server

    logcontext.configure()

    from engine.persistence.migrate import check_schema

    engine = _engine()
    check_schema(engine.db)   # not requests on a schema this release does not run on
    len(engine.connectors)    # built now: a connector's setting to correct stops serve here
    run_server(engine.settings, host, port, processes, threads, graceful_timeout, engine=engine)


PROGRESS_SECONDS = 5.0   # at most one progress line on stderr per this many seconds


@main.command("audit-verify")
@click.argument("case_id", required=False)
@click.option("--all", "every", is_flag=True,
              help="every case's chain, of every tenant unless --tenant names one (progress on stderr)")
def audit_verify(case_id: str | None, every: bool) -> None:
    """Recompute the hash chain of a case (or of deployments) and report breaks, also a chain
    whose last events were removed (the case row names its head). --all: every case's chain and
    every tenant's chain of deployments."""
    from engine.services import audit as audit_log

    if every and case_id:
        raise click.UsageError("give a CASE_ID or --all, not both")
    engine = _engine()
    if not every:
        with engine.db.connect() as conn:
            problems = audit_log.verify(conn, case_id)
    else:
        from webui.cli_engine import installation_tenants

        problems, checked, last = [], 0, [time.monotonic()]
        for tenant in installation_tenants(engine):
            def progress(done: int, found: int, _tenant: str = tenant) -> None:
                if time.monotonic() - last[0] >= PROGRESS_SECONDS:
                    last[0] = time.monotonic()
                    click.echo(f"audit-verify: tenant {_tenant}: {done} case(s) checked, {found} problem(s)", err=True)

            with tenant_scope(tenant), engine.db.connect() as conn:
                done, found = audit_log.verify_cases(conn, progress)
                found += audit_log.verify(conn, None)   # and the tenant's chain of deployments and overrides
            checked += done
            problems += [f"tenant {tenant}: {p}" for p in found]
        click.echo(f"{checked} case(s) checked", err=True)
    for p in problems:
        click.echo(p, err=True)
    click.echo("audit chain intact" if not problems else f"{len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


def _register_commands() -> None:
    """Commands that live beside the packages they serve."""
    import importlib

    for module in ("connectors.cli", "webui.cli_compat", "webui.cli_migrate", "webui.cli_overrides",
                   "webui.cli_replay", "webui.cli_tenants", "webui.cli_web", "webui.demo_cli"):
        try:
            commands = importlib.import_module(module).commands
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        for command in commands:
            main.add_command(command)


_register_commands()


def run() -> None:
    """The console script ``amtsflow``: :func:`main`, then the end of the process without the
    interpreter's teardown. Freeing every module and object at exit took about 0.14 s on the
    2-core reference machine, a quarter of ``amtsflow tasks``; what an exit must do still
    happens first: the atexit handlers (logging flushes its handlers there) and the flush of
    stdout and stderr. A command that left a thread of its own running (none should) ends the
    usual way instead, so that the thread can finish."""
    try:
        main()   # click in standalone mode: always ends with SystemExit
        code = 0
    except SystemExit as exc:
        code = _exit_status(exc.code)
    _exit_now(code)


def _exit_status(code: object) -> int:
    """The status ``sys.exit(code)`` ends the process with (a text is printed, status 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _exit_now(code: int) -> None:
    import atexit
    import os
    import threading

    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed pipe (``amtsflow tasks | head``): as Python reports it
            code = code or 120
    os._exit(code)
