"""Issue 14, items 10 and 11 as a citizen sees them: the parking-permit form's checkbox hints read as
lines of text under their label (not one word per line), optional yes/no boxes have no "*", an empty
submission lists each missing field. axe on both pages."""

from __future__ import annotations

from engine.services.deploy import deploy, read_paths
from tests.e2e.test_browser import _citizen_signs_in
from tests.processes.conftest import PROCESSES

KEY = "bewohnerparkausweis"


def test_parking_form_hints_and_errors_read_well(open_page, server):
    deploy(server["engine"], read_paths([str(PROCESSES / KEY)]), actor="test")
    citizen = open_page()
    _citizen_signs_in(citizen)
    citizen.goto(f"/leistungen/{KEY}/antrag")
    for name in ("privater_stellplatz", "sozialpass", "elektronische_bekanntgabe"):
        hint = citizen.page.locator(f"#f-{name}-hint").bounding_box()
        label = citizen.page.locator(f"label[for='f-{name}']").bounding_box()
        assert hint is not None and label is not None
        assert hint["width"] > 300, f"{name}: hint squeezed to {hint['width']} px"
        assert abs(hint["x"] - label["x"]) < 2, f"{name}: hint not under its label"
        assert hint["height"] < 100, f"{name}: hint {hint['height']} px high"
        assert citizen.page.locator(f"label[for='f-{name}'] .required-marker").count() == 0
    citizen.check("parking-form")
    name = citizen.page.locator("#f-antragsteller__familienname")
    assert name.input_value() == "Mustermann"         # from the account (ui:prefill), the citizen may clear it
    name.fill("")
    citizen.page.click("#form-start button[type=submit]")
    citizen.page.wait_for_selector("#error-summary")
    summary = citizen.page.inner_text("#error-summary")
    assert "Familienname: Bitte füllen Sie dieses Feld aus." in summary
    assert "Amtliches Kennzeichen: Bitte füllen Sie dieses Feld aus." in summary
    assert "Fahrzeug:" not in summary and "Antragstellerin / Antragsteller:" not in summary
    citizen.check("parking-form-errors")


def test_citizen_saves_the_form_as_a_draft_and_comes_back_to_it(open_page, server):
    deploy(server["engine"], read_paths([str(PROCESSES / KEY)]), actor="test")
    citizen = open_page()
    _citizen_signs_in(citizen)
    citizen.goto(f"/leistungen/{KEY}/antrag")
    citizen.page.fill("#f-fahrzeug__kennzeichen", "MS-EM 1964")
    citizen.page.click("#form-start-draft")                  # required fields still empty: saved all the same
    citizen.page.wait_for_selector("text=als Entwurf gespeichert, aber noch nicht gestellt")
    assert citizen.page.locator("#error-summary").count() == 0
    citizen.check("application-draft")
    citizen.goto("/meine-antraege")
    citizen.page.click(f"#drafts a[href='/leistungen/{KEY}/antrag']")
    citizen.page.wait_for_selector("#draft-notice")
    assert citizen.page.input_value("#f-fahrzeug__kennzeichen") == "MS-EM 1964"
    citizen.check("application-draft-again")
