"""Scenario rig for the standard processes in processes/: the real connectors against the back-office
simulators over HTTP, the engine on SQLite and PostgreSQL, time driven by the FakeClock.

Every step a test takes (start, complete a task, deliver a message, run due jobs) is one engine
command: the case is loaded from the database, stepped and saved again, so each wait is a
save/restore boundary. The engine here runs without its case cache, and every test checks at
its end that no command took a cached workflow.

The simulators are shared by the session (starting them costs seconds); their action counters
are reset before each test, so a test that checks "no payment was created" sees only its own.

The payment outcome takes the production route: the citizen pays on the simulator's payment page,
the simulator posts the signed callback to a local receiver, the test verifies it with
``connectors.payment.verify_callback`` and correlates ``zahlung_gebucht`` by Kassenzeichen, which is
what the web endpoint for payment callbacks has to do.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from sqlalchemy import select

from connectors.base import http_client
from connectors.payment import verify_callback
from connectors.registry import close_connectors, load_connectors
from connectors.simulators import runner
from connectors.simulators.common import serve_in_thread
from engine.bootstrap import Engine, bootstrap
from engine.jobs import JobExecutor
from engine.persistence import tables as t
from engine.ports import FakeClock
from engine.services import cases, documents, messages, queries
from engine.services.deploy import deploy, read_paths
from engine.settings import Settings
from tests.conftest import TEST_COMMAND_SECONDS
from tests.web.helpers import PDF

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
CITIZEN = "antragsteller"
WEB = http_client(timeout=10)


@dataclass
class Callbacks:
    """Signed payment callbacks posted by the payment simulator."""

    url: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, tx_id: str, timeout: float = 60.0) -> tuple[dict[str, str], bytes]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for headers, body in self.received:
                    if tx_id.encode() in body:
                        return headers, body
                left = deadline - time.monotonic()
                assert left > 0, f"no payment callback for {tx_id}"
                self.arrived.wait(left)


@dataclass
class Backoffices:
    urls: dict[str, str]
    connectors: dict[str, Any]
    callbacks: Callbacks

    def mails(self, aktenzeichen: str) -> list[dict[str, Any]]:
        return [m for m in WEB.get(f"{self.urls['mailbox']}/messages").json() if aktenzeichen in m["subject"] + m["body"]]

    def stats(self, name: str) -> dict[str, int]:
        return WEB.get(f"{self.urls[name]}/_admin/stats").json()["actions"]  # type: ignore[no-any-return]

    def record(self, record_id: str) -> dict[str, Any]:
        token = runner.DEMO_SECRETS["rest_token"]
        return WEB.get(f"{self.urls['rest']}/api/v1/antraege/{record_id}",  # type: ignore[no-any-return]
                       headers={"Authorization": f"Bearer {token}"}).json()


@pytest.fixture
def engine(database_url: str, clock: FakeClock) -> Iterator[Engine]:
    """The engine of tests/conftest.py without its case cache: each command loads the case."""
    eng = bootstrap(Settings(database_url=database_url, max_command_seconds=TEST_COMMAND_SECONDS,
                             case_cache_size=0), clock=clock)
    yield eng
    assert eng.case_cache.hits == 0, "a scenario step used a cached workflow instead of the stored case"
    eng.db.dispose()


@pytest.fixture(scope="session")
def backoffices() -> Iterator[Backoffices]:
    callbacks = Callbacks()
    app = Flask("payment-callbacks")

    @app.post("/zahlung")
    def payment_callback() -> tuple[str, int]:
        with callbacks.arrived:
            callbacks.received.append((dict(request.headers), request.get_data()))
            callbacks.arrived.notify_all()
        return "", 204

    receiver = serve_in_thread(app)
    callbacks.url = f"{receiver.url}/zahlung"
    urls = runner.start_all(seed=1)
    connectors = load_connectors(runner.connector_config(urls, payment_callback_url=callbacks.url))
    yield Backoffices(urls, connectors, callbacks)
    close_connectors(connectors)
    runner.stop()
    receiver.stop()


def new_business_key() -> str:
    return "2026-" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8))


class Scenario:
    """One engine with the processes deployed and the helpers a scenario needs."""

    def __init__(self, engine: Engine, clock: FakeClock, backoffices: Backoffices) -> None:
        self.engine = engine
        self.clock = clock
        self.bo = backoffices
        self.worker = JobExecutor(engine, "scenario")

    def deploy(self, service: str, *, shared: bool = False) -> None:
        result = deploy(self.engine, read_paths([str(PROCESSES / service)]), actor="test", shared=shared)
        assert [p.key for p in result.processes] == [service]

    def start(self, key: str, data: dict[str, Any], business_key: str | None = None, actor: str = "buerger1",
              uploads: Sequence[documents.Upload] = ()) -> str:
        case_id = cases.start_case(self.engine, key, data, business_key=business_key or new_business_key(),
                                   actor=actor, uploads=uploads)
        self.run()
        return case_id

    def run(self) -> int:
        """Run every due job (service calls, timers, buffered messages) until none is due."""
        return self.worker.run_until_idle()

    def advance(self, **delta: float) -> None:
        self.clock.advance(timedelta(**delta))
        self.run()

    def case(self, case_id: str) -> dict[str, Any]:
        return queries.get_case(self.engine, case_id)

    def data(self, case_id: str) -> dict[str, Any]:
        return self.case(case_id)["data"]  # type: ignore[no-any-return]

    def status(self, case_id: str) -> str:
        return self.case(case_id)["status"]  # type: ignore[no-any-return]

    def open_tasks(self, case_id: str) -> list[dict[str, Any]]:
        return queries.list_tasks(self.engine, case_id=case_id)

    def task(self, case_id: str, element_id: str) -> dict[str, Any]:
        found = [t for t in self.open_tasks(case_id) if t["element_id"] == element_id]
        assert found, f"no open task {element_id}; open: {[t['element_id'] for t in self.open_tasks(case_id)]}, " \
                      f"case: {self.case(case_id)['status']} {self.case(case_id).get('incidents')}"
        return found[0]

    def complete(self, case_id: str, element_id: str, data: dict[str, Any], actor: str,
                 uploads: Sequence[documents.Upload] = ()) -> None:
        cases.complete_task(self.engine, self.task(case_id, element_id)["id"], data, actor=actor, uploads=uploads)
        self.run()

    @staticmethod
    def upload(filename: str = "nachweis.pdf") -> documents.Upload:
        """A PDF the person uploads with a submission (its id goes into the form data)."""
        return documents.accept(filename, PDF)

    def message(self, name: str, key: str, data: dict[str, Any] | None = None, message_id: str | None = None) -> str:
        outcome = messages.correlate_message(self.engine, name, key, data or {}, message_id=message_id)
        self.run()
        return outcome.status

    def elements_waiting(self, case_id: str) -> list[str]:
        with self.engine.db.connect() as conn:
            subs = conn.execute(select(t.subscriptions.c.name).where(t.subscriptions.c.case_id == case_id)).scalars()
            timers = conn.execute(select(t.jobs.c.element_id).where(t.jobs.c.case_id == case_id,
                                                                   t.jobs.c.kind == "timer")).scalars()
            return sorted([*subs, *timers])

    def timer_due(self, case_id: str, element_id: str) -> Any:
        with self.engine.db.connect() as conn:
            return conn.execute(select(t.jobs.c.due_at).where(t.jobs.c.case_id == case_id, t.jobs.c.kind == "timer",
                                                              t.jobs.c.element_id == element_id)).scalar_one()

    def clerk_work_items(self, case_id: str) -> list[Any]:
        """Every work item ever created for staff (open, completed or cancelled)."""
        with self.engine.db.connect() as conn:
            rows = conn.execute(select(t.work_items).where(t.work_items.c.case_id == case_id)).all()
        return [r for r in rows if CITIZEN not in (r.candidate_groups or [])]

    def work_items(self, case_id: str) -> list[Any]:
        with self.engine.db.connect() as conn:
            return list(conn.execute(select(t.work_items).where(t.work_items.c.case_id == case_id)
                                     .order_by(t.work_items.c.created_at)).all())

    def incidents(self, case_id: str) -> list[Any]:
        return self.case(case_id)["incidents"]  # type: ignore[no-any-return]

    def pay(self, case_id: str, aktion: str = "bezahlen") -> str:
        """The citizen pays on the payment page; the signed callback is verified and correlated."""
        zahlung = self.data(case_id)["zahlung"]
        tx_id = zahlung["transaktions_id"]
        resp = WEB.post(zahlung["zahlungs_url"], data={"aktion": aktion})
        assert resp.status_code in (200, 303), resp.text
        headers, body = self.bo.callbacks.wait_for(tx_id)
        notification = verify_callback(headers, body, runner.DEMO_SECRETS["payment_callback_secret"], time.time())
        name = {"BOOKED": "zahlung_gebucht", "FAILED": "zahlung_fehlgeschlagen",
                "CANCELED": "zahlung_abgebrochen"}[notification.status]
        return self.message(name, notification.kassenzeichen,
                            {"zahlung_status": notification.status, "zahlung_betrag_cent": notification.betrag_cent},
                            message_id=notification.message_id)


def reset_counters(backoffices: Backoffices) -> None:
    for name, url in backoffices.urls.items():
        if url.startswith("http") and name != "mailbox":
            WEB.delete(f"{url}/_admin/stats").raise_for_status()


@pytest.fixture
def scenario(engine: Engine, clock: FakeClock, backoffices: Backoffices) -> Scenario:
    reset_counters(backoffices)
    engine.connectors.update(backoffices.connectors)
    return Scenario(engine, clock, backoffices)
