"""Bewohnerparkausweis: every path of processes/bewohnerparkausweis against the simulators."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.domain.errors import InvalidState, PermissionDenied
from engine.services import withdrawals

from .conftest import Scenario

KEY = "bewohnerparkausweis"


def antrag(**changes: Any) -> dict[str, Any]:
    """Erika Mustermann, Hauptstraße 12 (zone A), holder of MS-EM 1964 (register seed)."""
    data: dict[str, Any] = {
        "antragsteller": {"familienname": "Mustermann", "vornamen": "Erika", "geburtsdatum": "1964-08-12",
                          "email": "erika.mustermann@example.org"},
        "fahrzeug": {"kennzeichen": "MS-EM 1964", "nutzung": "halter"},
        "privater_stellplatz": False, "sozialpass": False, "elektronische_bekanntgabe": True,
    }
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


@pytest.fixture
def s(scenario: Scenario) -> Scenario:
    scenario.deploy(KEY)
    return scenario


def issued(s: Scenario, **changes: Any) -> tuple[str, str]:
    """A case that ran automatically up to the retrieval of the decision."""
    case_id = s.start(KEY, antrag(**changes))
    key = s.case(case_id)["business_key"]
    assert s.pay(case_id) == "delivered"
    assert s.message("bescheid_abgerufen", key) == "delivered"
    return case_id, key


def test_happy_path_runs_without_any_clerk_work_item(s: Scenario) -> None:
    case_id = s.start(KEY, antrag())
    key = s.case(case_id)["business_key"]
    data = s.data(case_id)
    assert (data["zone"], data["pruefweg"], data["gebuehr_cent"]) == ("A", "automatisch", 18000)
    assert data["zahlung"]["kassenzeichen"] == key and s.status(case_id) == "waiting"
    assert s.elements_waiting(case_id) == ["zahlung_gebucht", "zahlung_warten"]
    [mail] = s.bo.mails(key)
    assert mail["to"] == ["erika.mustermann@example.org"] and "180,00 €" in mail["body"]

    assert s.pay(case_id) == "delivered"
    data = s.data(case_id)
    assert data["bezahlt"] is True and data["ergebnis"] == "erteilt"
    assert data["ausweis"]["art"] == "bescheinigung" and data["bescheid"]["art"] == "bescheid"
    assert data["ausweisnummer"] == f"BPA-A-{key}"
    assert (data["gueltig_ab"], data["gueltig_bis"]) == ("2026-01-05", "2027-01-04")
    entry = s.bo.record(data["ueberwachung"]["body"]["id"])["daten"]
    assert entry["aktion"] == "eintragen" and entry["kennzeichen"] == "MS-EM 1964"
    assert s.elements_waiting(case_id) == ["abruf_warten", "bescheid_abgerufen"]

    assert s.message("bescheid_abgerufen", key) == "delivered"
    data = s.data(case_id)
    assert data["bekanntgabe"] == "elektronisch" and data["bekanntgegeben_am"] == "2026-01-06"
    assert s.elements_waiting(case_id) == ["gueltigkeit_warten", "wegzug_aus_zone"]
    assert s.clerk_work_items(case_id) == [] and s.work_items(case_id) == []
    subjects = [m["subject"] for m in s.bo.mails(key)]
    assert any("zum Abruf bereit" in x for x in subjects)


def test_rejection_needs_a_second_clerk(s: Scenario) -> None:
    # Jonas Weber: main residence Lindenweg (no zone), only a secondary residence in zone C
    case_id = s.start(KEY, antrag(antragsteller={"familienname": "Weber", "vornamen": "Jonas",
                                                 "geburtsdatum": "1985-11-02", "email": "jonas.weber@example.org"},
                                  fahrzeug={"kennzeichen": "MS-JW 85"}))
    key = s.case(case_id)["business_key"]
    assert s.data(case_id)["pruefhinweise"] == ["Hauptwohnung liegt in keiner Bewohnerparkzone"]
    s.complete(case_id, "pruefen", {"entscheidung": "ablehnen",
                                    "begruendung": "Ihre Hauptwohnung liegt in keiner Bewohnerparkzone."}, actor="sb1")
    freigabe = s.task(case_id, "ablehnung_freigeben")
    assert freigabe["candidate_groups"] == ["sachbearbeitung"]
    with pytest.raises(PermissionDenied, match="four-eyes"):
        s.complete(case_id, "ablehnung_freigeben", {"freigabe": "ja"}, actor="sb1")
    s.complete(case_id, "ablehnung_freigeben", {"freigabe": "ja"}, actor="sb2")
    data = s.data(case_id)
    assert data["ergebnis"] == "abgelehnt" and data["bescheid"]["filename"].startswith("bescheid_ablehnung")
    assert s.bo.stats("payment").get("transaktion", 0) == 0 and "zahlung" not in data
    assert s.message("bescheid_abgerufen", key) == "delivered"
    assert s.status(case_id) == "completed"
    done = [(w.element_id, w.completed_by) for w in s.work_items(case_id)]
    assert done == [("pruefen", "sb1"), ("ablehnung_freigeben", "sb2")]


def test_second_clerk_can_send_a_rejection_back(s: Scenario) -> None:
    case_id = s.start(KEY, antrag(privater_stellplatz=True))
    assert s.data(case_id)["pruefhinweise"] == ["Privater Stellplatz angegeben"]
    s.complete(case_id, "pruefen", {"entscheidung": "ablehnen", "begruendung": "Sie haben einen privaten Stellplatz."},
               actor="sb1")
    s.complete(case_id, "ablehnung_freigeben", {"freigabe": "nein", "freigabe_anmerkung": "Stellplatz ist vermietet"},
               actor="sb2")
    s.complete(case_id, "pruefen", {"entscheidung": "genehmigen"}, actor="sb1")
    assert s.pay(case_id) == "delivered"
    assert s.data(case_id)["ergebnis"] == "erteilt"


def test_company_car_confirmation_is_requested_and_answered(s: Scenario) -> None:
    # a company van held by Musterbau GmbH: the clerk checks the employer's confirmation
    case_id = s.start(KEY, antrag(fahrzeug={"kennzeichen": "MS-MB 500", "nutzung": "firmenwagen"}))
    key = s.case(case_id)["business_key"]
    data = s.data(case_id)
    assert data["halter_laut_register"] == "Musterbau GmbH" and data["pruefweg"] == "sachbearbeitung"
    s.complete(case_id, "pruefen", {"entscheidung": "nachfordern",
                                    "nachforderung_unterlagen": "Bestätigung des Arbeitgebers über die private Nutzung"},
               actor="sb1")
    task = s.task(case_id, "unterlagen_nachreichen")
    assert task["candidate_groups"] == ["antragsteller"] and task["due"].startswith("2026-01-19")
    [mail] = [m for m in s.bo.mails(key) if "Unterlagen fehlen" in m["subject"]]
    assert "Bestätigung des Arbeitgebers" in mail["body"] and "19.01.2026" in mail["body"]
    s.advance(days=3)
    upload = s.upload("bestaetigung.pdf")
    s.complete(case_id, "unterlagen_nachreichen", {"nachgereichte_unterlagen": upload.id}, actor="buerger1",
               uploads=[upload])
    data = s.data(case_id)
    assert data["nachforderung_status"] == "beantwortet" and data["nachgereicht"][0]["unterlagen"] == upload.id
    s.complete(case_id, "pruefen", {"entscheidung": "genehmigen"}, actor="sb2")
    assert s.pay(case_id) == "delivered"
    assert s.data(case_id)["ergebnis"] == "erteilt"


def test_unanswered_request_goes_back_to_the_clerk_after_the_deadline(s: Scenario) -> None:
    case_id = s.start(KEY, antrag(fahrzeug={"kennzeichen": "MS-MB 500", "nutzung": "firmenwagen"}))
    s.complete(case_id, "pruefen", {"entscheidung": "nachfordern", "nachforderung_unterlagen": "Arbeitgeberbestätigung"},
               actor="sb1")
    s.advance(days=13, hours=23)
    assert s.task(case_id, "unterlagen_nachreichen")
    s.advance(hours=2)
    assert [t["element_id"] for t in s.open_tasks(case_id)] == ["pruefen"]
    data = s.data(case_id)
    assert data["nachforderung_status"] == "frist_abgelaufen"
    assert data["pruefhinweise"][-1] == "Nachforderung unbeantwortet: nach Aktenlage entscheiden"
    s.complete(case_id, "pruefen", {"entscheidung": "ablehnen",
                                    "begruendung": "Die dauerhafte Nutzung des Fahrzeugs ist nicht nachgewiesen."},
               actor="sb1")
    s.complete(case_id, "ablehnung_freigeben", {"freigabe": "ja"}, actor="sb2")
    assert s.data(case_id)["ergebnis"] == "abgelehnt"


def test_payment_not_made_reminder_then_cancellation(s: Scenario) -> None:
    case_id = s.start(KEY, antrag(sozialpass=True))
    key = s.case(case_id)["business_key"]
    assert s.data(case_id)["gebuehr_cent"] == 3000
    s.advance(days=6, hours=23)
    assert not [m for m in s.bo.mails(key) if "Erinnerung" in m["subject"]]
    s.advance(hours=2)
    [reminder] = [m for m in s.bo.mails(key) if "Erinnerung" in m["subject"]]
    assert "30,00 Euro" in reminder["body"] and "19.01.2026" in reminder["body"]
    assert s.status(case_id) == "waiting"
    s.advance(days=7)
    data = s.data(case_id)
    assert s.status(case_id) == "completed" and data["ergebnis"] == "eingestellt"
    assert data["storno"]["status"] == "CANCELED"
    assert any("eingestellt" in m["subject"] for m in s.bo.mails(key))
    assert s.clerk_work_items(case_id) == []


def test_payment_after_the_reminder_still_issues_the_permit(s: Scenario) -> None:
    case_id = s.start(KEY, antrag())
    s.advance(days=8)  # after the reminder
    assert s.pay(case_id) == "delivered"
    assert s.data(case_id)["ergebnis"] == "erteilt"


def test_decision_not_retrieved_within_ten_days_goes_to_postal_delivery(s: Scenario) -> None:
    case_id = s.start(KEY, antrag())
    s.pay(case_id)
    s.advance(days=9, hours=23)
    assert s.open_tasks(case_id) == []
    s.advance(hours=2)
    task = s.task(case_id, "postversand")
    assert task["candidate_groups"] == ["sachbearbeitung"]
    s.complete(case_id, "postversand", {"versandt_am": "2026-01-16"}, actor="sb1")
    data = s.data(case_id)
    assert data["bekanntgabe"] == "post" and data["bekanntgegeben_am"] == "2026-01-19"
    assert s.elements_waiting(case_id) == ["gueltigkeit_warten", "wegzug_aus_zone"]


def test_without_consent_the_decision_goes_by_post_at_once(s: Scenario) -> None:
    case_id = s.start(KEY, antrag(elektronische_bekanntgabe=False))
    s.pay(case_id)
    assert [t["element_id"] for t in s.open_tasks(case_id)] == ["postversand"]


def test_renewal_invitation_one_month_before_expiry_then_expiry(s: Scenario) -> None:
    case_id, key = issued(s)
    assert s.timer_due(case_id, "gueltigkeit_warten").isoformat().startswith("2026-12-04T07:00")
    s.clock.advance(timedelta(days=333))  # 2026-12-04 08:00 UTC
    s.run()
    [invitation] = [m for m in s.bo.mails(key) if "läuft bald ab" in m["subject"]]
    assert "04.01.2027" in invitation["body"]
    assert s.elements_waiting(case_id) == ["ablauf_warten", "wegzug_aus_zone"]
    s.advance(days=32)
    assert s.status(case_id) == "completed"
    assert s.case(case_id)["history"][-1]["details"]["element"] == "ablauf_warten"


def test_move_out_of_the_zone_revokes_the_permit(s: Scenario) -> None:
    case_id, key = issued(s)
    s.advance(days=40)
    assert s.message("wegzug_aus_zone", key, {"umzug_am": "2026-02-10"}) == "delivered"
    data = s.data(case_id)
    assert s.status(case_id) == "completed" and data["ergebnis"] == "widerrufen"
    assert data["widerrufsbescheid"]["filename"].startswith("bescheid_widerruf_bewohnerparkausweis")
    assert s.bo.record(data["austragung"]["body"]["id"])["daten"]["aktion"] == "austragen"


def test_unknown_vehicle_goes_to_the_clerk(s: Scenario) -> None:
    case_id = s.start(KEY, antrag(fahrzeug={"kennzeichen": "MS-XX 9999"}))
    data = s.data(case_id)
    assert "Fahrzeugregister: Halter/in weicht ab oder Fahrzeug unbekannt" in data["pruefhinweise"]
    assert [t["element_id"] for t in s.open_tasks(case_id)] == ["pruefen"]


def test_manual_approval_without_register_data_collects_the_address(s: Scenario) -> None:
    """Issue 14: data the registers do not know, approved by hand, gave "Bewohnerparkzone None
    (None)", no address and permit number "BPA-0-...". The approval now needs the address of the
    main residence; the zone is determined from it as on the automatic path."""
    case_id = s.start(KEY, antrag(antragsteller={"geburtsdatum": "1984-08-12"}, fahrzeug={"kennzeichen": "MS-EM 2024"}))
    key = s.case(case_id)["business_key"]
    assert [t["element_id"] for t in s.open_tasks(case_id)] == ["pruefen"]
    s.complete(case_id, "pruefen", {"entscheidung": "genehmigen"}, actor="sb1")
    assert [t["element_id"] for t in s.open_tasks(case_id)] == ["pruefen"]      # back: the address is missing
    assert s.data(case_id)["pruefhinweise"][0].startswith("Anschrift der Hauptwohnung fehlt")
    s.complete(case_id, "pruefen", {"entscheidung": "genehmigen", "anschrift": {
        "strasse": "Hauptstraße", "hausnummer": "12", "postleitzahl": "12345", "wohnort": "Musterstadt"}}, actor="sb1")
    assert s.pay(case_id) == "delivered"
    data = s.data(case_id)
    assert (data["zone"], data["zonenname"], data["ausweisnummer"]) == ("A", "Altstadt", f"BPA-A-{key}")
    assert data["empfaenger"] == {"name": "Erika Mustermann", "strasse": "Hauptstraße 12",
                                  "plz_ort": "12345 Musterstadt"}
    assert data["ausweis"]["art"] == "bescheinigung" and data["bescheid"]["art"] == "bescheid"
    assert s.incidents(case_id) == []


def test_the_applicant_withdraws_before_the_decision_and_pays_nothing(s: Scenario) -> None:
    case_id = s.start(KEY, antrag(fahrzeug={"nutzung": "firmenwagen"}))
    key = s.case(case_id)["business_key"]
    s.complete(case_id, "pruefen", {"entscheidung": "nachfordern", "nachforderung_unterlagen": "Arbeitgeberbestätigung"},
               actor="sb1")
    withdrawals.withdraw(s.engine, case_id, "buerger1", "Der Firmenwagen wurde zurückgegeben.")
    s.run()
    assert s.status(case_id) == "completed" and s.case(case_id)["citizen_status"] == "Antrag zurückgenommen"
    data = s.data(case_id)
    assert data["ergebnis"] == "zurueckgenommen" and "bescheid" not in data and "zahlung" not in data
    assert data["ruecknahme_grund"] == "Der Firmenwagen wurde zurückgegeben."
    assert s.bo.stats("payment").get("transaktion", 0) == 0 and s.open_tasks(case_id) == []
    [mail] = [m for m in s.bo.mails(key) if "Rücknahme" in m["subject"]]
    assert "eine Gebühr fällt nicht an" in mail["body"]


def test_an_approved_application_is_no_longer_withdrawn(s: Scenario) -> None:
    case_id = s.start(KEY, antrag())                 # approved automatically, waits for the fee
    assert withdrawals.withdrawal_message(s.engine, case_id) is None
    with pytest.raises(InvalidState):
        withdrawals.withdraw(s.engine, case_id, "buerger1")
    assert s.pay(case_id) == "delivered" and s.data(case_id)["ergebnis"] == "erteilt"
