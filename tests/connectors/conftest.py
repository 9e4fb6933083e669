"""Rigs: a connector wired to its simulator on 127.0.0.1 (random port), torn down after the test."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import pytest
from flask import Flask, request

from connectors import dms, fitconnect_client, http, kfz, melderegister, payment
from connectors.base import http_client
from connectors.simulators import dms as dms_sim
from connectors.simulators import fitconnect as fit_sim
from connectors.simulators import kfz as kfz_sim
from connectors.simulators import melderegister as ewo_sim
from connectors.simulators import payment as pay_sim
from connectors.simulators import rest as rest_sim
from connectors.simulators.common import RunningServer, serve_in_thread
from engine.ports import ServiceRequest, ServiceResult

CLIENT_TIMEOUT = "10"           # seconds: no answer under test comes near it, even on a loaded machine
SHORT_TIMEOUT = "0.3"           # only for the timeout tests, whose latency knob is well above it
PAYMENT_SECRET = "test-payment-callback-secret"
FIT_SECRET = "test-fitconnect-callback-secret"
WEB = http_client(timeout=10)          # one client for the tests' own requests to simulators


@pytest.fixture(scope="session", autouse=True)
def _close_web_client() -> Iterator[None]:
    yield
    WEB.close()


@dataclass
class Rig:
    connector: Any
    url: str
    server: RunningServer

    def call(self, operation: str, params: dict[str, Any], key: str = "case-1:task-1:1") -> ServiceResult:
        return self.connector.call(operation, ServiceRequest(f"{self.connector.name}.{operation}", params, key,
                                                             "case-1", "BK-1"))

    def knobs(self, **values: Any) -> None:
        WEB.post(f"{self.url}/_admin/knobs", json=values).raise_for_status()

    def actions(self) -> dict[str, int]:
        return WEB.get(f"{self.url}/_admin/stats").json()["actions"]  # type: ignore[no-any-return]


@dataclass
class Receiver:
    """A tiny web endpoint that records the callbacks a simulator posts."""

    url: str
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    handler: Callable[[dict[str, str], bytes], int] | None = None

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[tuple[dict[str, str], bytes]]:
        while len(self.calls) < count:
            assert self.arrived.wait(timeout), f"expected {count} callbacks, got {len(self.calls)}"
            self.arrived.clear()
        return self.calls


def _build(name: str, receiver_url: str | None, t: str = CLIENT_TIMEOUT) -> tuple[Flask, Callable[[str], Any]]:
    if name == "melderegister":
        return ewo_sim.create_app(token="ewo"), lambda u: melderegister.create(
            {"melderegister_url": u, "melderegister_token": "ewo", "melderegister_timeout": t})
    if name == "kfz":
        return kfz_sim.create_app(token="kfz"), lambda u: kfz.create(
            {"kfz_url": u, "kfz_token": "kfz", "kfz_timeout": t})
    if name == "payment":
        return pay_sim.create_app(token="pay", secret=PAYMENT_SECRET), lambda u: payment.create(
            {"payment_url": u, "payment_token": "pay", "payment_timeout": t,
             "payment_callback_url": receiver_url or "", "payment_callback_secret": PAYMENT_SECRET})
    if name == "dms":
        return dms_sim.create_app(token="dms"), lambda u: dms.create(
            {"dms_url": u, "dms_token": "dms", "dms_timeout": t})
    if name == "http":
        return rest_sim.create_app(token="rest"), lambda u: http.create(
            {"http_credential_fv_url": f"{u}/api/", "http_credential_fv_bearer": "rest", "http_timeout": t})
    if name == "fitconnect":
        return fit_sim.create_app(), lambda u: fitconnect_client.create(
            {"fitconnect_url": u, "fitconnect_client_id": "amtsflow-receiver",
             "fitconnect_client_secret": "receiver-secret", "fitconnect_timeout": t})
    raise KeyError(name)


@pytest.fixture
def cleanup() -> Iterator[list[Callable[[], None]]]:
    todo: list[Callable[[], None]] = []
    yield todo
    for fn in reversed(todo):
        fn()


@pytest.fixture
def receiver(cleanup: list[Callable[[], None]]) -> Receiver:
    app = Flask("receiver")
    rec = Receiver(url="")

    @app.post("/callback")
    def callback() -> tuple[str, int]:
        rec.calls.append((dict(request.headers), request.get_data()))
        status = rec.handler(*rec.calls[-1]) if rec.handler else 204
        rec.arrived.set()
        return "", status

    server = serve_in_thread(app)
    cleanup.append(server.stop)
    rec.url = f"{server.url}/callback"
    return rec


@pytest.fixture
def rig(cleanup: list[Callable[[], None]], receiver: Receiver) -> Callable[[str], Rig]:
    def make(name: str, timeout: str = CLIENT_TIMEOUT) -> Rig:
        app, connect = _build(name, receiver.url, timeout)
        server = serve_in_thread(app)
        connector = connect(server.url)
        cleanup.append(server.stop)
        cleanup.append(connector.close)
        return Rig(connector, server.url, server)

    return make
