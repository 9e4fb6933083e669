"""POST /api/v1/callbacks/payment: signed ePayBL outcomes become messages; tampered, stale,
unsigned and replayed callbacks are refused with 401, also when the replay reaches another web process."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.payment import SIGNATURE_HEADER, TIMESTAMP_HEADER
from connectors.signing import sign
from engine.services import cases, queries
from engine.services.deploy import deploy, read_paths
from tests.web.conftest import make_app
from tests.web.helpers import MODELS

SECRET = "test-payment-callback-secret"
URL = "/api/v1/callbacks/payment"
PAYMENT = {"zahlungs_url": "https://bezahlen.example/tx-1", "betrag_cent": 3000, "kassenzeichen": "2026-PAY001",
           "status": "INITIAL", "transaktions_id": "tx-12345678"}


def notification(status: str = "BOOKED", referenz: str | None = None, kassenzeichen: str = "2026-PAY001") -> bytes:
    return json.dumps({"transaktions_id": "tx-12345678", "kassenzeichen": kassenzeichen, "status": status,
                       "betrag_cent": 3000, "fachverfahren_referenz": referenz}).encode()


def signed(body: bytes, ts: float, secret: str = SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", TIMESTAMP_HEADER: str(int(ts)),
            SIGNATURE_HEADER: "sha256=" + sign(secret, int(ts), body, "sha256")}


@pytest.fixture
def pay_app(web_engine: Any) -> Any:
    return make_app(web_engine, connector_config={"payment_callback_secret": SECRET})


@pytest.fixture
def pay_client(pay_app: Any) -> Any:
    return pay_app.test_client()


@pytest.fixture
def gebuehr(web_engine: Any) -> str:
    deploy(web_engine, read_paths([str(MODELS / "gebuehr.bpmn")]), actor="po")
    return cases.start_case(web_engine, "gebuehr", {"zahlung": PAYMENT}, business_key="2026-PAY001", actor="erika", internal=True)


def test_booked_payment_reaches_the_waiting_case(pay_client, web_engine, gebuehr, clock):
    body = notification()
    answer = pay_client.post(URL, data=body, headers=signed(body, clock.now().timestamp()))
    assert answer.status_code == 200 and answer.json == {"status": "delivered"}
    assert "Set-Cookie" not in answer.headers                      # no session for machines
    view = queries.get_case(web_engine, gebuehr)
    assert view["status"] == "completed"
    assert view["data"]["zahlung_status"] == "BOOKED" and view["data"]["zahlung_betrag_cent"] == 3000
    assert view["history"][-1]["actor"] == "epaybl"


@pytest.mark.parametrize("status,end", [("FAILED", "nicht_bezahlt"), ("CANCELED", "nicht_bezahlt")])
def test_failed_and_cancelled_payments_use_their_message(pay_client, web_engine, gebuehr, clock, status, end):
    body = notification(status)
    assert pay_client.post(URL, data=body, headers=signed(body, clock.now().timestamp())).json["status"] == "delivered"
    view = queries.get_case(web_engine, gebuehr)
    assert view["status"] == "completed" and view["data"]["zahlung_status"] == status


def test_initial_status_changes_nothing(pay_client, web_engine, gebuehr, clock):
    body = notification("INITIAL")
    assert pay_client.post(URL, data=body, headers=signed(body, clock.now().timestamp())).json == {"status": "ignored"}
    assert queries.get_case(web_engine, gebuehr)["status"] == "waiting"


def test_reference_names_the_case_when_the_kassenzeichen_differs(pay_client, web_engine, gebuehr, clock):
    body = notification(referenz=gebuehr, kassenzeichen="KZ-ANDERS-1")
    assert pay_client.post(URL, data=body, headers=signed(body, clock.now().timestamp())).json["status"] == "delivered"
    assert queries.get_case(web_engine, gebuehr)["status"] == "completed"


def test_replay_is_refused_and_a_fresh_retry_is_a_duplicate(pay_client, pay_app, web_engine, gebuehr, clock):
    body = notification()
    headers = signed(body, clock.now().timestamp())
    assert pay_client.post(URL, data=body, headers=headers).status_code == 200
    replay = pay_client.post(URL, data=body, headers=headers)
    assert replay.status_code == 401 and "abgelehnt" in replay.json["error"]
    other_process = make_app(web_engine, connector_config={"payment_callback_secret": SECRET}).test_client()
    assert other_process.post(URL, data=body, headers=headers).status_code == 401
    retry = pay_client.post(URL, data=body, headers=signed(body, clock.now().timestamp() + 1))
    assert retry.status_code == 200 and retry.json == {"status": "duplicate"}


@pytest.mark.parametrize("change", ["body", "timestamp", "secret", "stale", "future", "unsigned", "garbage"])
def test_tampered_stale_and_unsigned_callbacks_are_refused(pay_client, web_engine, gebuehr, clock, change):
    body, now = notification(), clock.now().timestamp()
    headers = signed(body, now)
    if change == "body":
        body = notification().replace(b"3000", b"3")
    elif change == "timestamp":
        headers[TIMESTAMP_HEADER] = str(int(now) - 1)
    elif change == "secret":
        headers = signed(body, now, "falsches-geheimnis")
    elif change in ("stale", "future"):
        headers = signed(body, now - 301 if change == "stale" else now + 301)
    elif change == "unsigned":
        headers = {"Content-Type": "application/json"}
    else:
        body = b"kein json"
        headers = signed(body, now)
    answer = pay_client.post(URL, data=body, headers=headers)
    assert answer.status_code == 401 and answer.is_json and set(answer.json) == {"error"}
    assert queries.get_case(web_engine, gebuehr)["status"] == "waiting"


def test_without_a_configured_secret_every_callback_is_refused(client, web_engine, gebuehr, clock):
    body = notification()
    assert client.post(URL, data=body, headers=signed(body, clock.now().timestamp(), "")).status_code == 401


def test_oversized_callback_is_refused(pay_client, clock):
    body = b"{" + b" " * (300 * 1024) + b"}"
    assert pay_client.post(URL, data=body, headers=signed(body, clock.now().timestamp())).status_code == 413
