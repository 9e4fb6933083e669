"""Bewohnerparkausweis: every path of processes/bewohnerparkausweis against the simulators."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.domain.errors import PermissionDenied

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
