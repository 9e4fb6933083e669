"""Portal: "Jetzt bezahlen" redirect to the payment platform and the return page; end to end with the
ePayBL simulator over real HTTP (pay on its page, signed callback to our endpoint, status on return)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlparse

import pytest

from connectors.base import http_client
from connectors.payment import PaymentConnector
from connectors.simulators import payment as pay_sim
from connectors.simulators.common import serve_in_thread
from engine.jobs import JobExecutor
from engine.services import cases, messages, queries
from engine.services.deploy import deploy, read_paths
from tests.web.conftest import login_as, make_app
from tests.web.helpers import MODELS

SECRET = "test-payment-callback-secret"
PAYMENT = {"zahlungs_url": "https://bezahlen.example/bezahlen/tx-1", "betrag_cent": 3050,
           "kassenzeichen": "2026-PAY001", "status": "INITIAL", "transaktions_id": "tx-12345678"}


def start(web_engine: Any, payment: dict[str, Any] | None = None, key: str = "2026-PAY001") -> str:
    deploy(web_engine, read_paths([str(MODELS / "gebuehr.bpmn")]), actor="po")
    return cases.start_case(web_engine, "gebuehr", {"zahlung": payment or PAYMENT}, business_key=key, actor="erika", internal=True)


def test_case_page_offers_payment_and_redirects_to_the_platform(client, web_engine):
    case_id = start(web_engine)
    login_as(client, "erika")
    page = client.get(f"/meine-antraege/{case_id}").get_data(as_text=True)
    assert "Jetzt bezahlen" in page and "30,50 €" in page and "noch nicht bezahlt" in page
    assert f'href="/meine-antraege/{case_id}/bezahlen"' in page
    answer = client.get(f"/meine-antraege/{case_id}/bezahlen")
    assert answer.status_code == 303 and answer.headers["Location"] == PAYMENT["zahlungs_url"]


def test_after_the_booking_the_case_shows_paid_and_offers_no_payment(client, web_engine):
    case_id = start(web_engine)
    messages.correlate_message(web_engine, "zahlung_gebucht", "2026-PAY001", {"zahlung_status": "BOOKED"},
                               message_id="payment:tx-12345678:BOOKED")
    login_as(client, "erika")
    page = client.get(f"/meine-antraege/{case_id}").get_data(as_text=True)
    assert "Jetzt bezahlen" not in page and '<span id="case-payment-status">bezahlt</span>' in page
    answer = client.get(f"/meine-antraege/{case_id}/bezahlen")
    assert answer.status_code == 303 and answer.headers["Location"] == f"/meine-antraege/{case_id}"
    assert "Vielen Dank, Ihre Zahlung ist eingegangen." in client.get(
        f"/meine-antraege/{case_id}/zahlung").get_data(as_text=True)


def test_return_page_says_booking_is_under_way_until_the_callback_arrived(client, web_engine):
    case_id = start(web_engine)
    login_as(client, "erika")
    page = client.get(f"/meine-antraege/{case_id}/zahlung?transaktion=tx-12345678&status=BOOKED").get_data(
        as_text=True)
    assert "Ihre Zahlung wird gerade verbucht." in page and 'id="pay-link"' not in page
    page = client.get(f"/meine-antraege/{case_id}/zahlung?status=CANCELED").get_data(as_text=True)
    assert "noch nicht bezahlt" in page and 'id="pay-link"' in page    # the query string is not trusted


@pytest.mark.parametrize("status,text", [("FAILED", "Zahlung fehlgeschlagen"), ("CANCELED", "Zahlung abgebrochen")])
def test_failed_payment_is_shown(client, web_engine, status, text):
    case_id = start(web_engine)
    name = {"FAILED": "zahlung_fehlgeschlagen", "CANCELED": "zahlung_abgebrochen"}[status]
    messages.correlate_message(web_engine, name, "2026-PAY001", {"zahlung_status": status})
    login_as(client, "erika")
    page = client.get(f"/meine-antraege/{case_id}/zahlung").get_data(as_text=True)
    assert text in page and "Die Zahlung wurde nicht abgeschlossen." in page and 'id="pay-link"' not in page


def test_no_link_for_a_non_web_address_and_no_payment_section_without_one(client, web_engine):
    case_id = start(web_engine, dict(PAYMENT, zahlungs_url="javascript:alert(1)"))
    login_as(client, "erika")
    page = client.get(f"/meine-antraege/{case_id}").get_data(as_text=True)
    assert 'id="payment-title"' in page and "Jetzt bezahlen" not in page and "javascript:" not in page
    assert client.get(f"/meine-antraege/{case_id}/bezahlen").status_code == 303
    other = cases.start_case(web_engine, "gebuehr", {}, business_key="2026-FREI01", actor="erika")
    assert 'id="payment-title"' not in client.get(f"/meine-antraege/{other}").get_data(as_text=True)
    assert "keine Online-Zahlung" in client.get(f"/meine-antraege/{other}/zahlung").get_data(as_text=True)


def test_payment_pages_belong_to_the_applicant_only(client, web_engine):
    case_id = start(web_engine)
    from engine.services import identity
    identity.sign_in_citizen(web_engine, "demo:max", "Max Muster", "substantial")
    login_as(client, "demo:max")
    assert client.get(f"/meine-antraege/{case_id}/bezahlen").status_code == 404
    assert client.get(f"/meine-antraege/{case_id}/zahlung").status_code == 404
    login_as(client, None)
    assert client.get(f"/meine-antraege/{case_id}/bezahlen").status_code == 302


def test_shared_status_link_shows_the_payment_state_without_a_pay_button(client, web_engine):
    from engine.services import identity
    case_id = start(web_engine)
    token = identity.create_case_link(web_engine, case_id, "erika")
    page = client.get(f"/status/{token}").get_data(as_text=True)
    assert "noch nicht bezahlt" in page and "Jetzt bezahlen" not in page


def test_pay_on_the_simulated_platform_and_return(web_engine, clock):
    """The whole round trip over HTTP: the model creates the transaction (service task), the citizen is
    redirected, pays on the platform's page, the signed callback completes the case, the return page says so."""
    clock.advance(datetime.now(timezone.utc) - clock.now())
    platform = serve_in_thread(pay_sim.create_app(token="pay", secret=SECRET))
    app = make_app(web_engine, connector_config={"payment_callback_secret": SECRET})
    web = serve_in_thread(app)
    connector = PaymentConnector({"payment_url": platform.url, "payment_token": "pay",
                                  "payment_callback_url": f"{web.url}/api/v1/callbacks/payment"})
    web_engine.connectors["payment"] = connector
    try:
        deploy(web_engine, read_paths([str(MODELS / "gebuehr-online.bpmn")]), actor="po")
        case_id = cases.start_case(web_engine, "gebuehr_online",
                                   {"rueckkehr_url": f"{web.url}/zahlung/zurueck?aktenzeichen=2026-RUND01"},
                                   business_key="2026-RUND01", actor="erika", internal=True)
        JobExecutor(web_engine, "w1").run_until_idle()
        assert queries.get_case(web_engine, case_id)["data"]["zahlung"]["status"] == "INITIAL"
        client = app.test_client()
        login_as(client, "erika")
        redirect = client.get(f"/meine-antraege/{case_id}/bezahlen")
        assert redirect.status_code == 303 and redirect.headers["Location"].startswith(platform.url + "/bezahlen/")
        with http_client(timeout=10) as http:
            assert "Jetzt bezahlen" in http.get(redirect.headers["Location"]).text
            paid = http.post(redirect.headers["Location"], data={"aktion": "bezahlen"})
        assert paid.status_code == 303
        back = urlparse(paid.headers["Location"])
        assert back.path == "/zahlung/zurueck" and "status=BOOKED" in back.query
        back = urlparse(client.get(f"{back.path}?{back.query}").headers["Location"])
        assert back.path == f"/meine-antraege/{case_id}/zahlung" and back.query == "status=BOOKED"
        deadline = time.monotonic() + 60   # never reached when it works; a loaded machine is slow
        while queries.get_case(web_engine, case_id)["status"] != "completed" and time.monotonic() < deadline:
            time.sleep(0.02)
        view = queries.get_case(web_engine, case_id)
        assert view["status"] == "completed" and view["data"]["zahlung_status"] == "BOOKED"
        page = client.get(f"{back.path}?{back.query}").get_data(as_text=True)
        assert "Vielen Dank, Ihre Zahlung ist eingegangen." in page
        assert re.search(r'id="payment-status">bezahlt<', page)
    finally:
        connector.close()
        web.stop()
        platform.stop()



def test_return_address_by_business_key_finds_only_own_cases(client, web_engine):
    case_id = start(web_engine)
    login_as(client, "erika")
    answer = client.get("/zahlung/zurueck?aktenzeichen=2026-PAY001&status=BOOKED")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/meine-antraege/{case_id}/zahlung?status=BOOKED"
    from engine.services import identity
    identity.sign_in_citizen(web_engine, "demo:max", "Max Muster", "substantial")
    login_as(client, "demo:max")
    answer = client.get("/zahlung/zurueck?aktenzeichen=2026-PAY001")
    assert answer.status_code == 303 and answer.headers["Location"] == "/meine-antraege"
