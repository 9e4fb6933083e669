"""Hundesteuer-Anmeldung: every path of processes/hundesteuer-anmeldung against the simulators."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import text, update

from engine.domain.errors import InvalidInput, InvalidState, PermissionDenied
from engine.persistence import tables as t
from engine.services import identity, withdrawals
from tests.conftest import in_scope

from .conftest import Scenario

KEY = "hundesteuer-anmeldung"


def anmeldung(**changes: Any) -> dict[str, Any]:
    """Leyla Yılmaz, Marktplatz 3 (register seed), first dog, no exemption."""
    data: dict[str, Any] = {
        "antragsteller": {"familienname": "Yılmaz", "vornamen": "Leyla", "geburtsdatum": "1978-01-30",
                          "email": "leyla.yilmaz@example.org"},
        "hund": {"name": "Bello", "rasse": "Labrador Retriever", "haltung_seit": "2025-12-20",
                 "chipnummer": "276098106543210"},
        "weitere_hunde": 0, "befreiung": "keine", "elektronische_bekanntgabe": True,
    }
    for key, value in changes.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and isinstance(data.get(key), dict) else value
    return data


@pytest.fixture
def s(scenario: Scenario) -> Scenario:
    scenario.deploy(KEY)
    return scenario


def test_happy_path_runs_without_any_clerk_work_item(s: Scenario) -> None:
    case_id = s.start(KEY, anmeldung())
    key = s.case(case_id)["business_key"]
    data = s.data(case_id)
    assert (data["jahressteuer_cent"], data["steuerklasse"], data["befreit"]) == (9600, "erster Hund", False)
    assert data["steuerpflicht_ab"] == "2026-01-01" and data["steuermarke"].startswith("HM-FV-")
    assert data["bescheid"]["filename"].startswith("bescheid_hundesteuer")
    konto = s.bo.record(data["steuerkonto"]["body"]["id"])["daten"]
    assert konto["jahressteuer_cent"] == 9600 and konto["hund"]["name"] == "Bello"
    assert s.bo.record(data["versandauftrag"]["body"]["id"])["daten"]["steuermarke"] == data["steuermarke"]
    assert any("zum Abruf bereit" in m["subject"] for m in s.bo.mails(key))
    assert s.message("bescheid_abgerufen", key) == "delivered"
    assert s.status(case_id) == "completed" and s.data(case_id)["ergebnis"] == "festgesetzt"
    assert s.work_items(case_id) == []


@pytest.mark.parametrize(("weitere", "rasse", "cent"), [(1, "Mops", 14400), (4, "Mischling", 18000)])
def test_further_dogs_pay_more(s: Scenario, weitere: int, rasse: str, cent: int) -> None:
    case_id = s.start(KEY, anmeldung(weitere_hunde=weitere, hund={"rasse": rasse}))
    assert s.data(case_id)["jahressteuer_cent"] == cent and s.clerk_work_items(case_id) == []


def test_listed_breed_goes_to_the_clerk_and_pays_the_higher_rate(s: Scenario) -> None:
    case_id = s.start(KEY, anmeldung(hund={"rasse": "Rottweiler"}))
    data = s.data(case_id)
    assert (data["gefaehrlich"], data["rasseliste"], data["jahressteuer_cent"]) == (True, "Kategorie 2", 60000)
    assert data["pruefhinweise"] == ["Gefährlicher Hund: Erlaubnis nach dem Landeshundegesetz prüfen"]
    s.complete(case_id, "pruefen", {"entscheidung": "genehmigen"}, actor="sb1")
    assert s.data(case_id)["ergebnis"] == "festgesetzt"


def test_assistance_dog_exemption_proof_requested_and_answered(s: Scenario) -> None:
    case_id = s.start(KEY, anmeldung(befreiung="assistenzhund"))
    key = s.case(case_id)["business_key"]
    assert s.data(case_id)["pruefhinweise"] == ["Nachweis für Befreiung/Ermäßigung prüfen"]
    s.complete(case_id, "pruefen", {"entscheidung": "nachfordern",
                                    "nachforderung_unterlagen": "Ausweis über die Assistenzhund-Prüfung"}, actor="sb1")
    assert any("Unterlagen fehlen" in m["subject"] for m in s.bo.mails(key))
    upload = s.upload()
    s.complete(case_id, "unterlagen_nachreichen", {"nachgereichte_unterlagen": upload.id, "nachricht": "anbei"},
               actor="buerger1", uploads=[upload])
    s.complete(case_id, "pruefen", {"entscheidung": "genehmigen"}, actor="sb2")
    data = s.data(case_id)
    assert (data["jahressteuer_cent"], data["befreit"], data["ergebnis"]) == (0, True, "festgesetzt")


def test_unanswered_request_then_taxed_without_exemption(s: Scenario) -> None:
    case_id = s.start(KEY, anmeldung(befreiung="tierheim"))
    assert s.data(case_id)["jahressteuer_cent"] == 4800
    s.complete(case_id, "pruefen", {"entscheidung": "nachfordern", "nachforderung_unterlagen": "Abgabevertrag"},
               actor="sb1")
    s.advance(days=14, hours=1)
    assert s.data(case_id)["nachforderung_status"] == "frist_abgelaufen"
    s.complete(case_id, "pruefen", {"entscheidung": "ohne_befreiung"}, actor="sb1")
    data = s.data(case_id)
    assert (data["befreiung"], data["jahressteuer_cent"], data["ergebnis"]) == ("keine", 9600, "festgesetzt")


def test_rejection_needs_a_second_clerk(s: Scenario) -> None:
    case_id = s.start(KEY, anmeldung(antragsteller={"familienname": "Unbekannt", "vornamen": "Bodo",
                                                    "geburtsdatum": "1970-01-01", "email": "bodo@example.org"}))
    assert s.data(case_id)["pruefhinweise"][0] == "Person im Melderegister nicht eindeutig gefunden"
    s.complete(case_id, "pruefen", {"entscheidung": "ablehnen",
                                    "begruendung": "Sie sind nicht in Musterstadt gemeldet; hier besteht keine "
                                                   "Steuerpflicht."}, actor="sb1")
    with pytest.raises(PermissionDenied):
        s.complete(case_id, "ablehnung_freigeben", {"freigabe": "ja"}, actor="sb1")
    s.complete(case_id, "ablehnung_freigeben", {"freigabe": "ja"}, actor="sb2")
    assert s.data(case_id)["ergebnis"] == "abgelehnt"
    s.advance(days=10, hours=1)
    s.complete(case_id, "postversand", {"versandt_am": "2026-01-16"}, actor="sb1")
    assert s.status(case_id) == "completed"


def _withdrawn(s: Scenario, case_id: str, key: str) -> None:
    assert s.status(case_id) == "completed" and s.case(case_id)["citizen_status"] == "Antrag zurückgenommen"
    data = s.data(case_id)
    assert data["ergebnis"] == "zurueckgenommen" and "bescheid" not in data
    assert [w.state for w in s.work_items(case_id)][-1] == "cancelled" and s.open_tasks(case_id) == []
    assert s.elements_waiting(case_id) == []
    [mail] = [m for m in s.bo.mails(key) if "Rücknahme" in m["subject"]]
    assert mail["to"] == ["leyla.yilmaz@example.org"] and "ein Bescheid ergeht nicht" in mail["body"]


def test_the_applicant_withdraws_during_the_clerks_review(s: Scenario) -> None:
    case_id = s.start(KEY, anmeldung(hund={"rasse": "Rottweiler"}))
    key = s.case(case_id)["business_key"]
    assert withdrawals.withdrawal_message(s.engine, case_id) == "antrag_zurueckgenommen"
    withdrawals.withdraw(s.engine, case_id, "buerger1", "  Der Hund bleibt doch bei meiner Schwester.\x07 ")
    s.run()
    _withdrawn(s, case_id, key)
    assert s.data(case_id)["ruecknahme_grund"] == "Der Hund bleibt doch bei meiner Schwester."
    assert withdrawals.withdrawal_message(s.engine, case_id) is None
    with pytest.raises(InvalidState):
        withdrawals.withdraw(s.engine, case_id, "buerger1")


def test_a_claim_the_withdrawal_waits_for_is_told_of_it(s: Scenario) -> None:
    """PostgreSQL: a clerk's claim of the task is not committed yet when the withdrawal ends the
    task, so the withdrawal waits for the row; once the claim commits, the withdrawal reads the
    task's holder in its own transaction and mails that clerk. (On SQLite writers take turns:
    tests/web/test_withdrawal_page.py claims between the withdrawal's look and its step.)"""
    if s.engine.db.dialect.name != "postgresql":
        pytest.skip("row locks that one writer waits for: PostgreSQL")
    identity.create_user(s.engine, "sb1", "Sabine Beispiel", roles=["clerk"], email="sb1@musterstadt.example")
    case_id = s.start(KEY, anmeldung(hund={"rasse": "Rottweiler"}))
    key = s.case(case_id)["business_key"]
    [task] = s.open_tasks(case_id)
    failures: list[BaseException] = []

    def withdraw() -> None:
        try:
            withdrawals.withdraw(s.engine, case_id, "buerger1")
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)

    with s.engine.db.connect() as clerk:
        clerk.execute(update(t.work_items).where(t.work_items.c.id == task["id"]).values(assignee="sb1"))
        pid = clerk.execute(text("SELECT pg_backend_pid()")).scalar()
        citizen = threading.Thread(target=in_scope(withdraw))
        citizen.start()
        assert _waits_for_a_lock(s, pid), "the withdrawal never waited for the claimed task's row"
        clerk.commit()
    citizen.join(30)
    assert not citizen.is_alive() and not failures, failures
    s.run()
    _withdrawn(s, case_id, key)
    [mail] = [m for m in s.bo.mails(key) if m["to"] == ["sb1@musterstadt.example"]]
    assert mail["subject"].startswith("Aufgabe entfallen")


def _waits_for_a_lock(s: Scenario, holder: int) -> bool:
    """Whether, within 10 s, a server process waits for a lock the one with id ``holder`` holds."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with s.engine.db.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))"),
                            {"holder": holder}).scalar():
                return True
        time.sleep(0.02)
    return False


def test_the_applicant_withdraws_instead_of_sending_documents(s: Scenario) -> None:
    case_id = s.start(KEY, anmeldung(befreiung="assistenzhund"))
    s.complete(case_id, "pruefen", {"entscheidung": "nachfordern", "nachforderung_unterlagen": "Ausweis"}, actor="sb1")
    withdrawals.withdraw(s.engine, case_id, "buerger1")
    s.run()
    _withdrawn(s, case_id, s.case(case_id)["business_key"])
    assert s.data(case_id)["ruecknahme_grund"] == ""


def test_the_applicant_withdraws_before_the_rejection_is_released(s: Scenario) -> None:
    case_id = s.start(KEY, anmeldung(hund={"rasse": "Rottweiler"}))
    s.complete(case_id, "pruefen", {"entscheidung": "ablehnen", "begruendung": "Keine Erlaubnis."}, actor="sb1")
    withdrawals.withdraw(s.engine, case_id, "buerger1", "Ich ziehe weg.")
    s.run()
    _withdrawn(s, case_id, s.case(case_id)["business_key"])


def test_a_decided_application_cannot_be_withdrawn(s: Scenario) -> None:
    case_id = s.start(KEY, anmeldung())            # decided at once, the decision waits to be fetched
    assert s.data(case_id)["ergebnis"] == "festgesetzt" and s.status(case_id) != "completed"
    assert withdrawals.withdrawal_message(s.engine, case_id) is None
    with pytest.raises(InvalidState) as refused:
        withdrawals.withdraw(s.engine, case_id, "buerger1")
    assert "bereits entschieden" in refused.value.user_message and s.data(case_id)["ergebnis"] == "festgesetzt"
    with pytest.raises(InvalidInput):
        withdrawals.withdraw(s.engine, case_id, "buerger1", "x" * 1001)
