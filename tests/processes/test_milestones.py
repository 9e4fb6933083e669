"""Citizen statuses (milestones, amtsflow:status) of the standard parking-permit process."""

from __future__ import annotations

from engine.services import queries

from .conftest import Scenario
from .test_bewohnerparkausweis import KEY, antrag


def milestone(s: Scenario, case_id: str) -> str | None:
    return s.case(case_id)["citizen_status"]


def test_parking_permit_milestones_automatic_path(scenario: Scenario) -> None:
    s = scenario
    s.deploy(KEY)
    case_id = s.start(KEY, antrag())
    key = s.case(case_id)["business_key"]
    assert milestone(s, case_id) == "Zahlung ausstehend"
    assert s.pay(case_id) == "delivered"
    assert milestone(s, case_id) == "Bescheid erteilt"
    assert s.message("bescheid_abgerufen", key) == "delivered"
    assert milestone(s, case_id) == "Bescheid erteilt"
    # the status is not case data and shows in the case list
    assert "_amtsflow_status" not in s.data(case_id)
    [row] = [c for c in queries.list_cases(s.engine, process_key=KEY) if c["id"] == case_id]
    assert row["citizen_status"] == "Bescheid erteilt"


def test_parking_permit_milestones_manual_review_request_and_rejection(scenario: Scenario) -> None:
    s = scenario
    s.deploy(KEY)
    case_id = s.start(KEY, antrag(privater_stellplatz=True))
    assert milestone(s, case_id) == "In Prüfung"
    s.complete(case_id, "pruefen", {"entscheidung": "nachfordern", "nachforderung_unterlagen": "Mietvertrag"}, actor="sb1")
    assert milestone(s, case_id) == "Unterlagen angefordert"
    upload = s.upload("mietvertrag.pdf")
    s.complete(case_id, "unterlagen_nachreichen", {"nachgereichte_unterlagen": upload.id}, actor="buerger1",
               uploads=[upload])
    assert milestone(s, case_id) == "In Prüfung"
    s.complete(case_id, "pruefen", {"entscheidung": "ablehnen", "begruendung": "Privater Stellplatz."}, actor="sb1")
    assert milestone(s, case_id) == "In Prüfung"            # the second clerk has not approved yet
    s.complete(case_id, "ablehnung_freigeben", {"freigabe": "ja"}, actor="sb2")
    assert milestone(s, case_id) == "Abgelehnt"
