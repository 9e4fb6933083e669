"""Wohnsitz-Ummeldung: every path of processes/wohnsitz-ummeldung against the simulators.

The register simulator is shared by the whole session and a move changes it, so every test moves
its own generated residents of the seeded town (never the fixed people other tests rely on).
"""

from __future__ import annotations

from typing import Any

import pytest

from connectors.simulators.seed import build_town
from engine.domain.errors import PermissionDenied

from .conftest import WEB, Scenario

KEY = "wohnsitz-ummeldung"
TOWN = build_town(1)


def resident(om: str, email: bool = True) -> dict[str, Any]:
    p = TOWN.people[om]
    person = {"familienname": p.familienname, "vornamen": p.vornamen, "geburtsdatum": p.geburtsdatum}
    if email:
        person["email"] = "umzug-" + om.lower() + "@example.org"
    return person


def anmeldung(om: str, *mit: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "antragsteller": resident(om),
        "neue_wohnung": {"strasse": "Lindenweg", "hausnummer": "17", "postleitzahl": "12345", "wohnort": "Musterstadt",
                         "wohnungsstatus": "Hauptwohnung", "einzugsdatum": "2026-01-02"},
        "zuzug_aus_ausland": False,
        "familie": {"mitziehende_personen": bool(mit),
                    **{f"person_{i}": resident(m, email=False) for i, m in enumerate(mit, 1)}},
        "wohnungsgeber": {"bestaetigung": "online", "name": "Wohnbau Musterstadt eG",
                          "email": "vermietung@wohnbau-musterstadt.example"},
        "elektronische_bekanntgabe": True,
    }
    for key, value in changes.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and isinstance(data.get(key), dict) else value
    return data


def register(s: Scenario, om: str) -> dict[str, Any]:
    token = "demo-ewo-token"
    return WEB.get(f"{s.bo.urls['melderegister']}/ewo/v1/personen/{om}",  # type: ignore[no-any-return]
                   headers={"Authorization": f"Bearer {token}"}).json()


@pytest.fixture
def s(scenario: Scenario) -> Scenario:
    scenario.deploy(KEY)
    return scenario


def landlord_confirms(s: Scenario, case_id: str, einzug: str = "2026-01-02") -> str:
    return s.message("wohnungsgeber_bestaetigt", s.case(case_id)["business_key"],
                     {"wohnungsgeber_name": "Wohnbau Musterstadt eG", "wohnungsgeber_einzugsdatum": einzug})


def test_happy_path_family_moves_without_any_clerk_work_item(s: Scenario, database_url: str) -> None:
    a, b = ("MS-1000100", "MS-1000101") if database_url.startswith("sqlite") else ("MS-1000102", "MS-1000103")
    case_id = s.start(KEY, anmeldung(a, b))
    key = s.case(case_id)["business_key"]
    data = s.data(case_id)
    assert [g["person_id"] for g in data["gefunden"]] == [a, b] and data["pruefweg"] == "automatisch"
    assert data["tage_seit_einzug"] == 3
    [request] = [m for m in s.bo.mails(key) if "bestätigen Sie einen Einzug" in m["subject"]]
    assert request["to"] == ["vermietung@wohnbau-musterstadt.example"] and "02.01.2026" in request["body"]
    assert landlord_confirms(s, case_id) == "delivered"
    data = s.data(case_id)
    assert s.status(case_id) == "completed" and data["ergebnis"] == "umgemeldet"
    assert [m["person_id"] for m in data["meldebestaetigungen"]] == [a, b]
    for om in (a, b):
        main = next(w for w in register(s, om)["wohnungen"] if w["wohnungsstatus"] == "Hauptwohnung")
        assert main["anschrift"]["strasse"] == "Lindenweg" and main["einzugsdatum"] == "2026-01-02"
    sent = s.bo.record(data["uebermittlung"]["body"]["id"])["daten"]
    assert "Bundeszentralamt für Steuern" in sent["empfaenger"] and sent["personen"] == [a, b]
    assert any("Meldebestätigung liegt bereit" in m["subject"] for m in s.bo.mails(key))
    assert s.work_items(case_id) == []


@pytest.mark.parametrize(("changes", "hint"), [
    ({"zuzug_aus_ausland": True}, "Zuzug aus dem Ausland: Angaben prüfen"),
    ({"neue_wohnung": {"wohnungsstatus": "Nebenwohnung"}}, "Nebenwohnung: Hauptwohnung bestimmen"),
    ({"neue_wohnung": {"einzugsdatum": "2025-12-01"}},
     "Anmeldung nach Ablauf der Zwei-Wochen-Frist (§ 17 BMG): Ordnungswidrigkeit prüfen"),
])
def test_exclusions_and_late_registration_go_to_the_clerk(s: Scenario, changes: dict[str, Any], hint: str) -> None:
    case_id = s.start(KEY, anmeldung("MS-1000104", **changes))
    assert landlord_confirms(s, case_id, s.data(case_id)["einzugsdatum"]) == "delivered"
    assert s.data(case_id)["pruefhinweise"] == [hint]
    assert [t["element_id"] for t in s.open_tasks(case_id)] == ["pruefen"]


def test_landlord_does_not_confirm_uploaded_confirmation_requested_and_answered(s: Scenario,
                                                                                database_url: str) -> None:
    om = "MS-1000105" if database_url.startswith("sqlite") else "MS-1000106"
    case_id = s.start(KEY, anmeldung(om))
    s.advance(days=6, hours=23)
    assert s.open_tasks(case_id) == []
    s.advance(hours=2)
    assert s.data(case_id)["pruefhinweise"] == ["Wohnungsgeber hat den Einzug nicht fristgerecht bestätigt"]
    s.complete(case_id, "pruefen", {"entscheidung": "nachfordern",
                                    "nachforderung_unterlagen": "Unterschriebene Wohnungsgeberbestätigung"}, actor="sb1")
    upload = s.upload()
    s.complete(case_id, "unterlagen_nachreichen", {"nachgereichte_unterlagen": upload.id}, actor="buerger1",
               uploads=[upload])
    s.complete(case_id, "pruefen", {"entscheidung": "genehmigen"}, actor="sb2")
    assert s.data(case_id)["ergebnis"] == "umgemeldet"
    assert register(s, om)["wohnungen"][0]["anschrift"]["strasse"] == "Lindenweg"


def test_unanswered_request_and_rejection_with_four_eyes(s: Scenario) -> None:
    upload = s.upload("wohnungsgeberbestaetigung.pdf")
    case_id = s.start(KEY, anmeldung("MS-1000107", wohnungsgeber={"bestaetigung": "hochgeladen", "datei": upload.id}),
                      uploads=[upload])
    key = s.case(case_id)["business_key"]
    assert s.data(case_id)["pruefhinweise"] == ["Hochgeladene Wohnungsgeberbestätigung prüfen"]
    s.complete(case_id, "pruefen", {"entscheidung": "nachfordern",
                                    "nachforderung_unterlagen": "Lesbare Wohnungsgeberbestätigung"}, actor="sb1")
    s.advance(days=14, hours=1)
    assert s.data(case_id)["nachforderung_status"] == "frist_abgelaufen"
    s.complete(case_id, "pruefen", {"entscheidung": "ablehnen",
                                    "begruendung": "Der Einzug ist nicht durch den Wohnungsgeber bestätigt."},
               actor="sb1")
    with pytest.raises(PermissionDenied):
        s.complete(case_id, "ablehnung_freigeben", {"freigabe": "ja"}, actor="sb1")
    s.complete(case_id, "ablehnung_freigeben", {"freigabe": "ja"}, actor="sb2")
    assert s.data(case_id)["ergebnis"] == "abgelehnt"
    assert s.message("bescheid_abgerufen", key) == "delivered"
    assert s.status(case_id) == "completed"
    assert register(s, "MS-1000107")["wohnungen"][0]["anschrift"]["strasse"] != "Lindenweg"


def test_landlord_confirms_another_date_and_unknown_family_member(s: Scenario) -> None:
    case_id = s.start(KEY, anmeldung("MS-1000108", familie={"mitziehende_personen": True, "person_1": {
        "familienname": "Niemand", "vornamen": "Nina", "geburtsdatum": "2015-05-05"}}))
    landlord_confirms(s, case_id, "2025-12-15")
    assert s.data(case_id)["pruefhinweise"] == [
        "Nicht im Melderegister gefunden: Nina Niemand",
        "Wohnungsgeber bestätigt ein anderes Einzugsdatum: 2025-12-15",
        "Nicht alle Personen im Melderegister gefunden"]
