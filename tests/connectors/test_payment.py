"""ePayBL-shaped payment: the citizen pays on the simulator's page, the signed callback arrives."""

from __future__ import annotations

import json
import time
from typing import Callable

import pytest

from connectors.payment import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_callback
from connectors.signing import CallbackRefused, ReplayCache, sign

from .conftest import PAYMENT_SECRET, Receiver, Rig, WEB

TX = {"betrag_cent": 3050, "verwendungszweck": "Bewohnerparkausweis Zone A", "kassenzeichen": "5.0100.000123.4",
      "rueckkehr_url": "https://musterstadt.example/portal/vorgang/BK-1"}


@pytest.mark.parametrize("action,status", [("bezahlen", "BOOKED"), ("fehlschlag", "FAILED"),
                                           ("abbrechen", "CANCELED")])
def test_payment_page_outcome_reaches_us_signed(rig: Callable[[str], Rig], receiver: Receiver,
                                                action: str, status: str) -> None:
    r = rig("payment")
    created = r.call("create_transaction", TX).data
    assert created["status"] == "INITIAL"
    page = WEB.get(created["zahlungs_url"])
    assert page.status_code == 200 and 'lang="de"' in page.text and "30,50 €" in page.text
    answer = WEB.post(created["zahlungs_url"], data={"aktion": action})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(TX["rueckkehr_url"] + "?transaktion=")
    headers, body = receiver.wait(1)[0]
    note = verify_callback(headers, body, PAYMENT_SECRET, time.time(), ReplayCache())
    assert (note.transaktions_id, note.status, note.betrag_cent, note.referenz) == \
        (created["transaktions_id"], status, 3050, "case-1")
    assert note.message_id == f"payment:{created['transaktions_id']}:{status}"
    assert r.call("get_status", {"transaktions_id": created["transaktions_id"]}).data["status"] == status


def test_unpaid_outcomes_can_be_bpmn_errors(rig: Callable[[str], Rig], receiver: Receiver) -> None:
    r = rig("payment")
    created = r.call("create_transaction", TX).data
    WEB.post(created["zahlungs_url"], data={"aktion": "fehlschlag"})
    result = r.call("get_status", {"transaktions_id": created["transaktions_id"], "fail_on_unpaid": True})
    assert result.bpmn_error == "ZAHLUNG_FEHLGESCHLAGEN"
    second = r.call("create_transaction", TX, key="case-1:task-1:2").data      # a failed payment frees the number
    assert r.call("cancel_transaction", {"transaktions_id": second["transaktions_id"]}).data["status"] == "CANCELED"
    result = r.call("get_status", {"transaktions_id": second["transaktions_id"], "fail_on_unpaid": True})
    assert result.bpmn_error == "ZAHLUNG_ABGEBROCHEN"


def test_business_rules_of_the_platform(rig: Callable[[str], Rig]) -> None:
    r = rig("payment")
    created = r.call("create_transaction", TX).data
    again = r.call("create_transaction", TX, key="case-2:task-1:1")
    assert again.bpmn_error == "KASSENZEICHEN_BEREITS_VERWENDET"
    too_much = r.call("create_transaction", dict(TX, betrag_cent=2_000_000, kassenzeichen="5.0100.999"), key="x")
    assert too_much.bpmn_error == "BETRAG_UNZULAESSIG"
    WEB.post(created["zahlungs_url"], data={"aktion": "bezahlen"})
    booked = r.call("cancel_transaction", {"transaktions_id": created["transaktions_id"]}, key="y")
    assert booked.bpmn_error == "BEREITS_GEBUCHT"
    assert WEB.post(created["zahlungs_url"], data={"aktion": "bezahlen"}).status_code == 409


def test_forged_stale_and_replayed_payment_callbacks_are_refused() -> None:
    body = json.dumps({"transaktions_id": "t-1", "kassenzeichen": "5.0100.1", "status": "BOOKED",
                       "betrag_cent": 3050}).encode()
    now = 1_767_600_000
    good = {TIMESTAMP_HEADER: str(now), SIGNATURE_HEADER: "sha256=" + sign(PAYMENT_SECRET, now, body, "sha256")}
    cache = ReplayCache(clock=lambda: now)
    assert verify_callback(good, body, PAYMENT_SECRET, now, cache).status == "BOOKED"
    with pytest.raises(CallbackRefused, match="replay"):
        verify_callback(good, body, PAYMENT_SECRET, now, cache)
    with pytest.raises(CallbackRefused, match="signature"):
        verify_callback(good, body.replace(b"BOOKED", b"FAILED"), PAYMENT_SECRET, now)
    with pytest.raises(CallbackRefused, match="stale"):
        verify_callback(good, body, PAYMENT_SECRET, now + 301)
    odd = json.dumps({"status": "PAID"}).encode()
    forged = {TIMESTAMP_HEADER: str(now), SIGNATURE_HEADER: "sha256=" + sign(PAYMENT_SECRET, now, odd, "sha256")}
    with pytest.raises(CallbackRefused, match="not a payment notification"):
        verify_callback(forged, odd, PAYMENT_SECRET, now)


def test_a_kassenzeichen_is_unique_within_the_municipalitys_mandant(rig: Callable[[str], Rig]) -> None:
    """One installation, several municipalities: each counts its Aktenzeichen from 1, so two of
    them send the same Kassenzeichen, each on its own account (Mandant) of the platform."""
    from engine.ports import ServiceRequest

    r = rig("payment")
    r.connector.mandants["bad_homburg"] = "06434001"   # AMTSFLOW_CONNECTOR_PAYMENT_MANDANT_BAD_HOMBURG

    def create(tenant: str | None, key: str) -> object:
        return r.connector.call("create_transaction", ServiceRequest("payment.create_transaction", TX, key,
                                                                      f"case-{key}", "BP-1", tenant_id=tenant))

    first = create(None, "1")
    assert first.bpmn_error is None and first.data["kassenzeichen"] == TX["kassenzeichen"]
    assert create("musterstadt", "2").bpmn_error is None     # another municipality: another account
    assert create("bad-homburg", "3").bpmn_error is None
    assert create("musterstadt", "4").bpmn_error == "KASSENZEICHEN_BEREITS_VERWENDET"   # within one: refused
    assert create("default", "5").bpmn_error == "KASSENZEICHEN_BEREITS_VERWENDET"       # None is the default
    assert [r.connector.mandant(t) for t in (None, "musterstadt", "bad-homburg")] == ["default", "musterstadt",
                                                                                       "06434001"]
