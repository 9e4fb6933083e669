"""``amtsflow serve``: the web UI and API under a maintained WSGI server.

* PostgreSQL (a regional provider): gunicorn with ``processes`` worker processes of
  ``threads`` threads each (gthread). SIGTERM or SIGINT shuts down gracefully: gunicorn stops
  accepting connections and lets running requests finish (up to ``graceful_seconds``); each
  process's job worker, when it runs one (AMTSFLOW_EMBEDDED_WORKER=1), hands its jobs back.
* SQLite (the embedded default): one process, waitress with ``threads`` threads and the job
  worker thread. SIGTERM or SIGINT stops the job worker first (it unlocks the jobs handed to
  it), then closes the server. SQLite allows one writer at a time, so more processes would
  only queue behind its lock: refused with a message.
"""

from __future__ import annotations

import os
import signal
from typing import Any

import click

from engine.settings import Settings


def serve(settings: Settings, host: str, port: int, processes: int, threads: int,
          graceful_seconds: int = 30, engine: Any = None) -> None:
    publish_server_size(processes, threads)
    from webui.config import web_config

    web_config(settings, None)   # a setting to correct stops `serve` here in one line, not each worker's boot
    _check_secret(settings)
    if settings.database_url.startswith("sqlite"):
        if processes != 1:
            raise click.UsageError("SQLite allows one writer at a time: serve it from one process "
                                   "(--processes 1) or move to PostgreSQL for more")
        _serve_waitress(settings, host, port, threads, engine)
    else:
        if engine is not None:   # gunicorn builds one engine per worker process (after the fork)
            engine.db.dispose()
        _serve_gunicorn(settings, host, port, processes, threads, graceful_seconds)


def _check_secret(settings: Settings) -> None:
    """The key that signs sessions and forms: set, and not short enough to be guessed."""
    from engine.domain.errors import ConfigurationError
    from webui.app import MIN_SECRET_LENGTH, NO_SECRET

    if settings.demo:
        return   # the demo makes a random one per start
    if not settings.secret_key:
        raise ConfigurationError(NO_SECRET)
    if len(settings.secret_key) < MIN_SECRET_LENGTH:
        raise ConfigurationError(f"AMTSFLOW_SECRET_KEY has {len(settings.secret_key)} characters: a key that short "
                                 f"can be guessed and sessions forged; use at least {MIN_SECRET_LENGTH} random "
                                 "characters (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)")


def publish_server_size(processes: int, threads: int) -> None:
    """The size ``serve`` was given (options or environment), for what the app sizes by it (the
    long-poll caps: half the request threads, webui/engine_rest/long_polls.py) in this process
    and in gunicorn's workers (forked after): `serve --threads 16` allows 8 waiting polls."""
    os.environ["AMTSFLOW_WEB_PROCESSES"] = str(processes)
    os.environ["AMTSFLOW_WEB_THREADS"] = str(threads)


def _serve_waitress(settings: Settings, host: str, port: int, threads: int, engine: Any) -> None:
    from waitress.server import create_server

    from engine.jobs import WorkerThread
    from webui.app import create_app

    app = create_app(settings, engine=engine)
    engine = app.extensions["amtsflow"]
    worker = WorkerThread(engine) if settings.runs_embedded_worker else None
    server = create_server(app, host=host, port=port, threads=threads, ident="amtsflow")

    def shutdown(*_: Any) -> None:
        if worker is not None:
            worker.stop()
        server.close()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, shutdown)
    if worker is not None:
        worker.start()
    click.echo(f"amtsflow on http://{host}:{server.effective_port}/ (waitress, {threads} threads"
               + (", with the job worker)" if worker else ")"), err=False)
    try:
        server.run()
    except OSError:
        pass  # the listening socket was closed by shutdown()
    finally:
        if worker is not None:
            worker.stop()
            worker.join(timeout=10)   # lets it unlock the jobs handed to it
        engine.db.dispose()


def _serve_gunicorn(settings: Settings, host: str, port: int, processes: int, threads: int,
                    graceful_seconds: int) -> None:
    from gunicorn.app.base import BaseApplication

    metrics_dir = _shared_metrics_dir()
    workers_of: dict[int, Any] = {}

    def post_worker_init(worker: Any) -> None:
        if settings.runs_embedded_worker:
            from engine.jobs import WorkerThread

            job_worker = WorkerThread(worker.wsgi.extensions["amtsflow"])
            job_worker.start()
            workers_of[worker.pid] = job_worker

    def worker_exit(_server: Any, worker: Any) -> None:
        job_worker = workers_of.pop(worker.pid, None)
        if job_worker is not None:
            job_worker.stop()
            job_worker.join(timeout=10)
        app = getattr(worker, "wsgi", None)
        if app is not None:
            app.extensions["amtsflow"].db.dispose()

    def child_exit(_server: Any, worker: Any) -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, metrics_dir)  # type: ignore[no-untyped-call]

    class Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{port}", "workers": processes, "threads": threads,
                "worker_class": "gthread", "graceful_timeout": graceful_seconds, "timeout": 120,
                "proc_name": "amtsflow", "accesslog": None, "post_worker_init": post_worker_init,
                "worker_exit": worker_exit, "child_exit": child_exit,
            }.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from webui.app import create_app

            # one engine per worker process, built after the fork; its request threads live as
            # long as the process and keep their database connection across requests
            return create_app(settings, keep_connections=True)

    click.echo(f"amtsflow on http://{host}:{port}/ (gunicorn, {processes} processes x {threads} threads)")
    Application().run()


def _shared_metrics_dir() -> str:
    """Request metrics summed over all gunicorn processes: prometheus_client's multiprocess mode
    keeps each process's values in files here (set before any process imports the library)."""
    import os
    import sys
    import tempfile

    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        if "prometheus_client" in sys.modules:
            raise RuntimeError("prometheus_client was imported before PROMETHEUS_MULTIPROC_DIR was set")
        path = tempfile.mkdtemp(prefix="amtsflow-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path
