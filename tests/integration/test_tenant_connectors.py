"""A municipality with its own back-office endpoint and credentials (`tenants add --connector
payment=URL --connector-secret payment.token=ENV_NAME`): its cases' service calls go there, the
other tenants' to the installation's (engine/tenant_connectors.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from connectors.base import http_client
from connectors.simulators import payment as pay_sim
from connectors.simulators.common import serve_in_thread
from engine.bootstrap import bootstrap
from engine.jobs import JobExecutor
from engine.plugins import close_connectors, load_connectors
from engine.services import cases, queries, tenants
from engine.services.deploy import deploy, read_paths
from engine.settings import Settings
from engine.tenancy import all_tenants, tenant_scope

MODEL = Path(__file__).resolve().parents[1] / "web" / "models" / "gebuehr-online.bpmn"


@pytest.fixture
def platforms() -> Iterator[tuple[str, str]]:
    installation = serve_in_thread(pay_sim.create_app(token="pay-installation"))
    municipality = serve_in_thread(pay_sim.create_app(token="pay-musterstadt"))
    yield installation.url, municipality.url
    installation.stop()
    municipality.stop()


@pytest.fixture
def engine(database_url: str, platforms: tuple[str, str]) -> Iterator[Any]:
    config = {"payment_url": platforms[0], "payment_token": "pay-installation"}
    connectors = load_connectors(config, names=["payment"])
    eng = bootstrap(Settings(database_url=database_url, connector_config=config), connectors=connectors)
    tenants.add_tenant(eng, "musterstadt", "Stadt Musterstadt", path_prefix="musterstadt",
                       connectors={"payment": {"url": platforms[1], "secrets": {"token": "MUSTERSTADT_PAY_TOKEN"}}})
    tenants.add_tenant(eng, "beispieldorf", "Gemeinde Beispieldorf", path_prefix="beispieldorf")
    yield eng
    eng.tenant_connectors.close()
    close_connectors(connectors)
    eng.db.dispose()


def _transaction(engine: Any, tenant: str, business_key: str) -> dict[str, Any]:
    with tenant_scope(tenant):
        deploy(engine, read_paths([str(MODEL)]), actor="po")
        case_id = cases.start_case(engine, "gebuehr_online", {"rueckkehr_url": None}, business_key=business_key,
                                   actor="erika", internal=True)
    JobExecutor(engine, "w1").run_until_idle()
    with all_tenants("the test reads the case it started"):
        view = queries.get_case(engine, case_id)
    assert view["status"] != "failed", view
    return view["data"]["zahlung"]  # type: ignore[no-any-return]


def _known_at(url: str, token: str, transaction: dict[str, Any]) -> bool:
    with http_client(timeout=10) as http:
        answer = http.get(f"{url}/epaybl/v1/transaktionen/{transaction['transaktions_id']}",
                          headers={"Authorization": f"Bearer {token}"})
    return answer.status_code == 200


def test_a_tenants_own_endpoint_and_secret_serve_its_cases(engine, platforms, monkeypatch):
    monkeypatch.setenv("MUSTERSTADT_PAY_TOKEN", "pay-musterstadt")
    own = _transaction(engine, "musterstadt", "2026-MS-1")
    shared = _transaction(engine, "beispieldorf", "2026-BD-1")
    assert _known_at(platforms[1], "pay-musterstadt", own) and not _known_at(platforms[0], "pay-installation", own)
    assert _known_at(platforms[0], "pay-installation", shared)
    assert not _known_at(platforms[1], "pay-musterstadt", shared)
    assert engine.connector("payment", "musterstadt") is engine.connector("payment", "musterstadt")   # built once


def test_a_secret_whose_variable_is_not_set_is_an_incident_that_names_it(engine, monkeypatch):
    monkeypatch.delenv("MUSTERSTADT_PAY_TOKEN", raising=False)
    with tenant_scope("musterstadt"):
        deploy(engine, read_paths([str(MODEL)]), actor="po")
        case_id = cases.start_case(engine, "gebuehr_online", {"rueckkehr_url": None}, business_key="2026-MS-2",
                                   actor="erika", internal=True)
    JobExecutor(engine, "w1").run_until_idle()
    with tenant_scope("musterstadt"):
        view = queries.get_case(engine, case_id)
    assert view["status"] == "failed"
    assert "MUSTERSTADT_PAY_TOKEN, which is not set" in str(view), view


def test_a_tenants_payment_callbacks_are_checked_with_its_own_secret(engine, monkeypatch):
    import json
    import time

    from connectors.payment import SIGNATURE_HEADER, TIMESTAMP_HEADER
    from connectors.signing import sign
    from engine.services.tenants import update_tenant
    from tests.web.conftest import make_app

    monkeypatch.setenv("MUSTERSTADT_PAY_TOKEN", "pay-musterstadt")
    monkeypatch.setenv("MUSTERSTADT_PAY_CALLBACK", "musterstadt-callback-secret")
    update_tenant(engine, "musterstadt", connectors={"payment": {
        "url": engine.tenant_connectors.config("musterstadt", "payment")["payment_url"],
        "secrets": {"token": "MUSTERSTADT_PAY_TOKEN", "callback_secret": "MUSTERSTADT_PAY_CALLBACK"}}})
    engine.tenant_connectors._read.clear()   # noqa: SLF001 - as after REREAD_SECONDS
    client = make_app(engine, connector_config={"payment_callback_secret": "installation-callback-secret"}).test_client()
    body = json.dumps({"transaktions_id": "00000000-aaaa-bbbb-cccc-000000000001", "kassenzeichen": "2026-MS-9",
                       "status": "BOOKED", "betrag_cent": 3050, "fachverfahren_referenz": None}).encode()

    def post(path: str, secret: str) -> int:
        ts = str(int(time.time()))
        return client.post(path, data=body, content_type="application/json",
                           headers={TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: "sha256=" + sign(secret, ts, body, "sha256")}
                           ).status_code

    assert post("/musterstadt/api/v1/callbacks/payment", "installation-callback-secret") == 401
    assert post("/musterstadt/api/v1/callbacks/payment", "musterstadt-callback-secret") == 200
    assert post("/api/v1/callbacks/payment", "musterstadt-callback-secret") == 401
    assert post("/api/v1/callbacks/payment", "installation-callback-secret") == 200


def test_a_connector_replaced_by_changed_settings_is_closed_once_no_call_can_use_it(engine, monkeypatch):
    """Changed settings build a new connector; the old one stays open while a running job may
    still call it, and is closed RETIRE_SECONDS later (its HTTP connections), or when the engine
    closes."""
    from engine import tenant_connectors

    closed: list[Any] = []
    monkeypatch.setattr(tenant_connectors, "_close", closed.append)
    clock = [1000.0]
    monkeypatch.setattr(tenant_connectors.time, "monotonic", lambda: clock[0])
    monkeypatch.setenv("MUSTERSTADT_PAY_TOKEN", "pay-musterstadt")
    first = engine.connector("payment", "musterstadt")
    monkeypatch.setenv("MUSTERSTADT_PAY_TOKEN", "pay-musterstadt-neu")   # a rotated secret
    second = engine.connector("payment", "musterstadt")
    assert second is not first and closed == []
    clock[0] += tenant_connectors.RETIRE_SECONDS
    monkeypatch.setenv("MUSTERSTADT_PAY_TOKEN", "pay-musterstadt")
    third = engine.connector("payment", "musterstadt")
    assert closed == [first] and third is not second
    engine.tenant_connectors.close()
    assert {id(c) for c in closed} == {id(first), id(second), id(third)}
