"""The citizen's status after each milestone of the parking permit (processes/bewohnerparkausweis
against the back-office simulators): status page and "Meine Anträge", axe and screenshots."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_browser import _citizen_signs_in
from tests.processes.conftest import Scenario, backoffices  # noqa: F401 - the simulators fixture
from tests.processes.test_bewohnerparkausweis import KEY, antrag


def _shows(citizen: Any, case_id: str, expected: str, name: str) -> None:
    citizen.goto(f"/meine-antraege/{case_id}")
    assert citizen.page.inner_text("#case-status") == expected
    citizen.check(f"status-{name}")
    citizen.goto("/meine-antraege")
    row = citizen.page.locator("tr", has=citizen.page.locator(f"a[href='/meine-antraege/{case_id}']"))
    assert expected in row.inner_text()


def test_citizen_sees_each_milestone_of_the_parking_permit(open_page, server, backoffices):  # noqa: F811
    engine = server["engine"]
    engine.connectors.update(backoffices.connectors)
    s = Scenario(engine, None, backoffices)  # type: ignore[arg-type]  # the clock is not advanced here
    s.deploy(KEY)
    citizen = open_page()
    _citizen_signs_in(citizen)

    case_id = s.start(KEY, antrag(privater_stellplatz=True), actor="erika")
    _shows(citizen, case_id, "In Prüfung", "in-pruefung")
    s.complete(case_id, "pruefen", {"entscheidung": "nachfordern", "nachforderung_unterlagen": "Mietvertrag"},
               actor="sb1")
    _shows(citizen, case_id, "Unterlagen angefordert", "unterlagen-angefordert")
    upload = s.upload("mietvertrag.pdf")
    s.complete(case_id, "unterlagen_nachreichen", {"nachgereichte_unterlagen": upload.id}, actor="erika",
               uploads=[upload])
    s.complete(case_id, "pruefen", {"entscheidung": "genehmigen"}, actor="sb1")
    _shows(citizen, case_id, "Zahlung ausstehend", "zahlung-ausstehend")
    assert s.pay(case_id) == "delivered"
    _shows(citizen, case_id, "Bescheid erteilt", "bescheid-erteilt")

    rejected = s.start(KEY, antrag(privater_stellplatz=True), actor="erika")
    s.complete(rejected, "pruefen", {"entscheidung": "ablehnen", "begruendung": "Privater Stellplatz."}, actor="sb1")
    s.complete(rejected, "ablehnung_freigeben", {"freigabe": "ja"}, actor="sb2")
    _shows(citizen, rejected, "Abgelehnt", "abgelehnt")
    citizen.goto("/meine-antraege")
    citizen.check("status-meine-antraege")


def test_citizen_withdraws_a_dog_tax_registration_under_review(open_page, server, backoffices):  # noqa: F811
    from tests.processes.test_hundesteuer import KEY as DOG_TAX, anmeldung

    engine = server["engine"]
    engine.connectors.update(backoffices.connectors)
    s = Scenario(engine, None, backoffices)  # type: ignore[arg-type]
    s.deploy(DOG_TAX)
    citizen = open_page()
    _citizen_signs_in(citizen)
    case_id = s.start(DOG_TAX, anmeldung(hund={"rasse": "Rottweiler"}), actor="erika")

    citizen.goto(f"/meine-antraege/{case_id}")
    citizen.check("withdraw-offered")                       # axe over the form
    citizen.page.fill("#f-grund", "Der Hund bleibt bei meiner Schwester.")
    citizen.page.click("#withdraw-button")                  # not confirmed yet
    citizen.page.wait_for_selector("text=Bitte bestätigen Sie")
    assert citizen.page.inner_text("#case-status") == "In Prüfung"
    citizen.page.check("#f-bestaetigung")
    citizen.page.click("#withdraw-button")
    citizen.page.wait_for_selector("text=Sie haben Ihren Antrag zurückgenommen.")
    assert citizen.page.inner_text("#case-status") == "Antrag zurückgenommen"
    assert citizen.page.locator("#ruecknahme").count() == 0
    citizen.check("withdrawn")
