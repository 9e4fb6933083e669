"""`amtsflow serve` as a production server (issue 13): gunicorn with several processes on
PostgreSQL, waitress with the job worker on SQLite; both stop on SIGTERM, handing jobs back."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import truncate_all

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(database_url: str, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AMTSFLOW_")}
    environ.update(AMTSFLOW_DATABASE_URL=database_url, AMTSFLOW_SECRET_KEY="s" * 64, **(env or {}))
    proc = subprocess.Popen([sys.executable, "-c", "from webui.cli import main; main()", "serve",
                             "--port", str(port), *args], cwd=ROOT, env=environ, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
        if proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"server did not start: {proc.communicate()[0]}")


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=40)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("server did not stop on SIGTERM") from None
    return proc.returncode, out


@pytest.mark.postgres
def test_gunicorn_serves_from_several_processes_and_stops_gracefully(pg_url):
    from engine.persistence.db import make_engine

    db = make_engine(pg_url)
    truncate_all(db)
    db.dispose()
    proc, base = _start(pg_url, "--processes", "2", "--threads", "2", env={"AMTSFLOW_METRICS_TOKEN": "t" * 32})
    try:
        pages = [httpx.get(f"{base}/", timeout=10) for _ in range(6)]
        assert all(p.status_code == 200 and 'lang="de"' in p.text for p in pages)
        assert httpx.get(f"{base}/api/v1/openapi.json", timeout=10).status_code == 200
        ready = httpx.get(f"{base}/health/ready", timeout=10)   # no `amtsflow worker` runs here
        assert ready.status_code == 503 and "no job worker" in ready.json()["checks"]["worker"]
        # request latency is summed over both gunicorn processes (prometheus multiprocess mode)
        scrape = httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer " + "t" * 32}, timeout=10)
        served = sum(s.value for f in text_string_to_metric_families(scrape.text) for s in f.samples
                     if s.name == "amtsflow_http_request_duration_seconds_count"
                     and s.labels["endpoint"] == "portal.index")
        assert served >= 6, scrape.text
    finally:
        code, out = _stop(proc)
    assert code == 0, out
    assert "gunicorn, 2 processes x 2 threads" in out


def test_sqlite_serves_from_one_process_and_refuses_more(sqlite_url):
    proc, base = _start(sqlite_url, env={"AMTSFLOW_EMBEDDED_WORKER": "1"})
    try:
        assert httpx.get(f"{base}/", timeout=10).status_code == 200
        ready = httpx.get(f"{base}/health/ready", timeout=10)   # the embedded worker has beaten
        assert ready.status_code == 200, ready.text
    finally:
        code, out = _stop(proc)
    assert code == 0, out
    assert "with the job worker" in out
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AMTSFLOW_")}
    environ.update(AMTSFLOW_DATABASE_URL=sqlite_url, AMTSFLOW_SECRET_KEY="s" * 64)
    refused = subprocess.run([sys.executable, "-c", "from webui.cli import main; main()", "serve", "--processes", "3"],
                             cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "one writer at a time" in refused.stderr


def test_demo_stops_on_sigterm_as_on_ctrl_c(tmp_path):
    """`amtsflow demo` under systemd or `docker stop` gets SIGTERM: it cleans up as on Ctrl+C (the
    job worker hands its jobs back and leaves the heartbeat table, the simulators stop), exit 0.
    Before, the process died at once and its worker stayed 'live' for 30 s, its jobs locked."""
    import sqlite3

    database = tmp_path / "demo.sqlite"
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AMTSFLOW_")}
    environ.update(AMTSFLOW_DATABASE_URL=f"sqlite:///{database}")
    proc = subprocess.Popen([sys.executable, "-c", "from webui.cli import main; main()", "demo", "--port", str(port),
                             "--no-seed", "--simulator-port", "0"], cwd=ROOT, env=environ, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:   # its worker has beaten
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        else:
            raise AssertionError("the demo did not become ready")
    finally:
        code, out = _stop(proc)
    assert code == 0, out
    conn = sqlite3.connect(database)
    try:
        assert conn.execute("SELECT count(*) FROM workers").fetchone()[0] == 0, out
    finally:
        conn.close()
