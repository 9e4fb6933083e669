"""Registration register and vehicle register: the data a residents' parking permit needs."""

from __future__ import annotations

from typing import Callable

import pytest

from connectors import melderegister
from connectors.simulators.kfz import normalize_plate
from connectors.simulators.seed import build_town
from engine.ports import ConnectorError, ServiceRequest

from .conftest import Rig, WEB


def test_find_person_gives_main_residence_zone_and_block(rig: Callable[[str], Rig]) -> None:
    r = rig("melderegister")
    erika = r.call("find_person", {"familienname": "MUSTERMANN", "vornamen": "erika", "geburtsdatum": "1964-08-12"})
    assert erika.data["person_id"] == "MS-0000001" and erika.data["auskunftssperre"] is False
    assert erika.data["hauptwohnung"]["parkzone"] == "A"
    assert erika.data["hauptwohnung"]["anschrift"]["strasse"] == "Hauptstraße"
    anna = r.call("find_person", {"familienname": "Schmidt", "vornamen": "Anna", "geburtsdatum": "1990-05-23"})
    assert anna.data["auskunftssperre"] is True
    leyla = r.call("find_person", {"familienname": "Yilmaz", "geburtsdatum": "1978-01-30"})
    assert leyla.data["familienname"] == "Yılmaz"          # the search folds ı/i, umlauts and case


def test_secondary_residence_is_reported_separately(rig: Callable[[str], Rig]) -> None:
    r = rig("melderegister")
    jonas = r.call("read_addresses", {"person_id": "MS-0000004"}).data
    assert [(w["wohnungsstatus"], w["parkzone"]) for w in jonas["wohnungen"]] == \
        [("Hauptwohnung", None), ("Nebenwohnung", "C")]
    assert jonas["hauptwohnung"]["anschrift"]["strasse"] == "Lindenweg"
    assert r.call("read_addresses", {"person_id": "MS-9999999"}).bpmn_error == "PERSON_NICHT_GEFUNDEN"


def test_register_move_returns_meldebestaetigung_and_changes_the_register(rig: Callable[[str], Rig]) -> None:
    r = rig("melderegister")
    move = {"person_id": "MS-0000004", "einzugsdatum": "2026-01-15",
            "anschrift": {"strasse": "Marktplatz", "hausnummer": "8", "postleitzahl": "12345"}}
    result = r.call("register_move", move).data
    assert result["meldebestaetigung_referenz"].startswith("MB-2026-") and result["parkzone"] == "A"
    now = r.call("read_addresses", {"person_id": "MS-0000004"}, key="read-after-move").data
    assert now["hauptwohnung"]["anschrift"]["strasse"] == "Marktplatz"
    assert [w["wohnungsstatus"] for w in now["wohnungen"]] == ["Hauptwohnung", "Nebenwohnung"]
    unknown = dict(move, anschrift=dict(move["anschrift"], strasse="Elm Street"))
    assert r.call("register_move", unknown, key="other").bpmn_error == "ANSCHRIFT_UNBEKANNT"


def test_reused_idempotency_key_with_other_content_is_refused(rig: Callable[[str], Rig]) -> None:
    r = rig("melderegister")
    move = {"person_id": "MS-0000004", "einzugsdatum": "2026-01-15",
            "anschrift": {"strasse": "Marktplatz", "hausnummer": "8", "postleitzahl": "12345"}}
    r.call("register_move", move, key="same")
    resp = WEB.post(f"{r.url}/ewo/v1/personen/MS-0000004/anmeldungen", json=dict(move, einzugsdatum="2026-02-01"),
                      headers={"Idempotency-Key": "same", "Authorization": "Bearer ewo"})
    assert resp.status_code == 422 and r.actions()["anmeldung"] == 1


def test_wrong_token_is_a_technical_error(rig: Callable[[str], Rig]) -> None:
    r = rig("melderegister")
    connector = melderegister.create({"melderegister_url": r.url, "melderegister_token": "falsch"})
    try:
        with pytest.raises(ConnectorError, match="credentials"):
            connector.call("read_addresses", ServiceRequest("melderegister.read_addresses",
                                                            {"person_id": "MS-0000001"}, "k", "case-1"))
    finally:
        connector.close()


def test_vehicle_holder(rig: Callable[[str], Rig]) -> None:
    r = rig("kfz")
    golf = r.call("get_holder", {"kennzeichen": "ms-ab123"}).data
    assert golf["kennzeichen"] == "MS-AB 123" and golf["halter"]["vornamen"] == "Max"
    assert golf["fahrzeug"]["zulaessige_gesamtmasse_kg"] <= 3500
    firm = r.call("get_holder", {"kennzeichen": "MS-MB 500"}).data
    assert firm["halter"] == {"art": "juristische_person", "firma": "Musterbau GmbH",
                              "anschrift": {"strasse": "Industriestraße", "hausnummer": "20",
                                            "postleitzahl": "12345", "wohnort": "Musterstadt"}}


def test_check_holder(rig: Callable[[str], Rig]) -> None:
    r = rig("kfz")
    ok = r.call("check_holder", {"kennzeichen": "MS-EM 1964", "familienname": "Mustermann", "vornamen": "Erika",
                                 "geburtsdatum": "1964-08-12"})
    assert ok.data["halter_bestaetigt"] is True and ok.data["fahrzeug"]["typ"] == "Zoe"
    other = r.call("check_holder", {"kennzeichen": "MS-AB 123", "familienname": "Mustermann", "vornamen": "Erika",
                                    "geburtsdatum": "1964-08-12"})
    assert other.bpmn_error == "HALTER_ABWEICHEND"
    company = r.call("check_holder", {"kennzeichen": "MS-MB 500", "familienname": "Musterbau",
                                      "geburtsdatum": "2000-01-01"})
    assert company.bpmn_error == "HALTER_ABWEICHEND"


def test_seeded_town_is_deterministic_and_consistent() -> None:
    a, b = build_town(7), build_town(7)
    assert [p.as_dict() for p in a.people.values()] == [p.as_dict() for p in b.people.values()]
    assert len(a.people) > 100 and len(a.vehicles) > 50
    for vehicle in a.vehicles.values():
        assert normalize_plate(vehicle.kennzeichen) == vehicle.kennzeichen
        assert vehicle.halter_om is None or vehicle.halter_om in a.people
    assert normalize_plate("B 1") is None and normalize_plate("MS-AB 0123") == "MS-AB 123"
