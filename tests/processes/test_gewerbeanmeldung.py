"""Gewerbeanmeldung: every path of processes/gewerbeanmeldung against the simulators."""

from __future__ import annotations

from typing import Any

import pytest

from engine.domain.errors import PermissionDenied

from .conftest import Scenario

KEY = "gewerbeanmeldung"


def anzeige(**betrieb: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "antragsteller": {"familienname": "Mustermann", "vornamen": "Max", "geburtsdatum": "1962-03-01",
                          "email": "max.mustermann@example.org", "staatsangehoerigkeit": "deutsch"},
        "betrieb": {"name": "Fahrradladen Mustermann", "rechtsform": "Einzelunternehmen",
                    "taetigkeit": "Einzelhandel mit Fahrrädern und Zubehör", "beginn": "2026-02-01",
                    "anschrift": {"strasse": "Bahnhofstraße", "hausnummer": "8", "postleitzahl": "12345",
                                  "ort": "Musterstadt"},
                    "handwerk": "nein", "erlaubnispflichtig": False, "nebenerwerb": False},
        "elektronische_bekanntgabe": True,
    }
    data["betrieb"].update(betrieb)
    return data


@pytest.fixture
def s(scenario: Scenario) -> Scenario:
    scenario.deploy(KEY)
    return scenario


def test_happy_path_runs_without_any_clerk_work_item(s: Scenario) -> None:
    case_id = s.start(KEY, anzeige())
    key = s.case(case_id)["business_key"]
    assert (s.data(case_id)["pruefweg"], s.data(case_id)["gebuehr_cent"]) == ("automatisch", 2600)
    assert s.pay(case_id) == "delivered"
    data = s.data(case_id)
    assert s.status(case_id) == "completed" and data["ergebnis"] == "bescheinigt"
    assert data["stelle_name"] == ["Industrie- und Handelskammer Musterstadt", "Finanzamt Musterstadt",
                                   "Statistisches Landesamt"]
    assert [w["empfaenger"] for w in data["weitergeleitet"]] == data["stelle_name"]
    sent = [s.bo.record(w["eingang"])["daten"] for w in data["weitergeleitet"]]
    assert {m["nachrichtenkopf"]["leser"] for m in sent} == set(data["stelle_name"])
    assert all(m["nachrichtenkopf"]["standard"] == "XGewerbeanzeige" for m in sent)
    assert sent[0]["gewerbeanzeige"]["betrieb"]["name"] == "Fahrradladen Mustermann"
    assert data["bescheinigung"]["filename"].startswith("bescheinigung_gewerbeanmeldung")
    assert any("Gewerbeanmeldung ist eingegangen" in m["subject"] for m in s.bo.mails(key))
    assert s.work_items(case_id) == []


def test_craft_business_goes_to_the_chamber_of_crafts_after_proof(s: Scenario) -> None:
    case_id = s.start(KEY, anzeige(handwerk="zulassungspflichtig", name="Elektro Mustermann",
                                   taetigkeit="Elektrotechnikerhandwerk"))
    hint = "Zulassungspflichtiges Handwerk: Eintragung in die Handwerksrolle nachweisen"
    assert s.data(case_id)["pruefhinweise"] == [hint]
    s.complete(case_id, "pruefen", {"entscheidung": "nachfordern",
                                    "nachforderung_unterlagen": "Eintragung in die Handwerksrolle"}, actor="sb1")
    upload = s.upload()
    s.complete(case_id, "unterlagen_nachreichen", {"nachgereichte_unterlagen": upload.id}, actor="buerger1",
               uploads=[upload])
    s.complete(case_id, "pruefen", {"entscheidung": "genehmigen"}, actor="sb1")
    assert s.pay(case_id) == "delivered"
    assert s.data(case_id)["stelle_name"][0] == "Handwerkskammer Musterstadt"


def test_unanswered_request_and_rejection_with_four_eyes(s: Scenario) -> None:
    case_id = s.start(KEY, anzeige(erlaubnispflichtig=True, taetigkeit="Bewachungsgewerbe (§ 34a GewO)"))
    key = s.case(case_id)["business_key"]
    assert s.data(case_id)["pruefhinweise"] == ["Erlaubnispflichtige Tätigkeit ohne Nachweis der Erlaubnis"]
    s.complete(case_id, "pruefen", {"entscheidung": "nachfordern", "nachforderung_unterlagen": "Erlaubnis nach § 34a GewO"},
               actor="sb1")
    s.advance(days=14, hours=1)
    assert s.data(case_id)["nachforderung_status"] == "frist_abgelaufen"
    s.complete(case_id, "pruefen", {"entscheidung": "ablehnen",
                                    "begruendung": "Die Erlaubnis nach § 34a GewO wurde nicht nachgewiesen."}, actor="sb1")
    with pytest.raises(PermissionDenied):
        s.complete(case_id, "ablehnung_freigeben", {"freigabe": "ja"}, actor="sb1")
    s.complete(case_id, "ablehnung_freigeben", {"freigabe": "ja"}, actor="sb2")
    assert s.data(case_id)["ergebnis"] == "zurueckgewiesen"
    assert s.message("bescheid_abgerufen", key) == "delivered"
    assert s.status(case_id) == "completed" and "zahlung" not in s.data(case_id)


def test_payment_not_made_reminder_then_cancellation(s: Scenario) -> None:
    case_id = s.start(KEY, anzeige(rechtsform="GmbH"))
    assert s.data(case_id)["pruefhinweise"] == ["Juristische Person: Handelsregistereintrag prüfen"]
    s.complete(case_id, "pruefen", {"entscheidung": "genehmigen"}, actor="sb1")
    key = s.case(case_id)["business_key"]
    assert s.data(case_id)["gebuehr_cent"] == 3100
    s.advance(days=7, hours=1)
    assert any("Erinnerung" in m["subject"] for m in s.bo.mails(key))
    s.advance(days=7)
    assert s.status(case_id) == "completed" and s.data(case_id)["ergebnis"] == "eingestellt"
    assert s.data(case_id)["storno"]["status"] == "CANCELED"


def test_late_notification_goes_to_the_clerk(s: Scenario) -> None:
    case_id = s.start(KEY, anzeige(beginn="2025-06-01", nebenerwerb=True))
    assert "verspätete Anzeige" in s.data(case_id)["pruefhinweise"][0]
    assert s.data(case_id)["tage_bis_beginn"] == -218
