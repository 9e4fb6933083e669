"""Issue 14.4: after the demo is stopped and started again, the payment link a case stored
("Jetzt bezahlen") still leads to the payment page: fixed simulator ports, state on disk."""

from __future__ import annotations

import socket
from pathlib import Path

import click
import httpx
import pytest

from connectors.registry import close_connectors, load_connectors
from connectors.simulators import runner
from engine.bootstrap import bootstrap
from engine.services import queries
from engine.settings import Settings
from webui.demo_cli import deploy_process_library, simulator_state_dir, start_simulators
from webui.demo_data import seed_demo_cases

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


def _free_base() -> int:
    """A first port with len(PORT_ORDER) free ports after it."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + len(runner.PORT_ORDER) > 65535:
            continue
        try:
            taken = []
            for port in range(base, base + len(runner.PORT_ORDER)):
                s = socket.socket()
                taken.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in taken:
                s.close()
    pytest.skip("no block of free ports")


def test_payment_link_still_works_after_the_demo_restarts(sqlite_url):
    base = _free_base()
    urls = start_simulators(base, sqlite_url)
    try:
        assert urls["melderegister"] == f"http://127.0.0.1:{base}"
        assert urls["payment"] == f"http://127.0.0.1:{base + 2}"
        connectors = load_connectors(runner.connector_config(urls))
        engine = bootstrap(Settings(database_url=sqlite_url, demo=True), connectors=connectors)
        deploy_process_library(engine, PROCESSES)
        seed_demo_cases(engine)
        waiting = [queries.get_case(engine, c["id"]) for c in queries.list_cases(engine, started_by="erika")]
        link = next(v["data"]["zahlung"]["zahlungs_url"] for v in waiting
                    if isinstance(v["data"].get("zahlung"), dict) and v["data"].get("zahlung_status") is None)
        assert httpx.get(link).status_code == 200
        engine.db.dispose()
        close_connectors(connectors)
    finally:
        runner.stop()
    with pytest.raises(httpx.ConnectError):          # the demo is stopped
        httpx.get(link)

    start_simulators(base, sqlite_url)               # ... and started again
    try:
        page = httpx.get(link)
        assert page.status_code == 200, page.text
        assert "Jetzt bezahlen" in page.text
    finally:
        runner.stop()


def test_state_lives_beside_the_sqlite_file(tmp_path):
    assert simulator_state_dir(f"sqlite:///{tmp_path}/x.sqlite") == tmp_path / "simulators"
    assert simulator_state_dir("postgresql+psycopg://u@h/db") == Path("instance", "simulators").resolve()


def test_a_taken_port_is_one_line_saying_what_to_do(sqlite_url):
    base = _free_base()
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", base + 3))
        blocker.listen()
        with pytest.raises(click.ClickException, match="--simulator-port"):
            start_simulators(base, sqlite_url)
    assert runner._servers == []                      # nothing left running
