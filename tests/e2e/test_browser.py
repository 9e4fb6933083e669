"""A citizen applies with the keyboard only, a clerk decides, the citizen downloads the decision;
a process owner uploads models and sees the validation report. axe-core on every page."""

from __future__ import annotations

from typing import Any

from tests.web.helpers import MODELS, PDF, WEBANTRAG


def _citizen_signs_in(p: Any) -> None:
    p.goto("/")
    p.check("portal-start")
    p.tab_to("a[href='/anmelden/buerger']")
    p.page.keyboard.press("Enter")
    p.page.wait_for_url("**/anmelden/buerger")
    p.check("citizen-login")
    p.tab_to("a[href='/anmelden/demo']")
    p.page.keyboard.press("Enter")
    p.page.wait_for_url("**/demo-idp/authorize**")
    p.check("demo-idp")
    p.tab_to("#f-trust-substantial, input[name='trust_level']:checked")
    p.tab_to("button[type=submit]")
    p.page.keyboard.press("Enter")
    p.page.wait_for_url("**/meine-antraege")
    p.check("my-cases-empty")


def _type(p: Any, selector: str, text: str) -> None:
    p.tab_to(selector)
    p.page.keyboard.type(text)


def test_citizen_applies_with_the_keyboard_clerk_decides_citizen_downloads(open_page, server, tmp_path):
    citizen = open_page()
    _citizen_signs_in(citizen)
    citizen.goto("/")
    citizen.tab_to("a[href='/leistungen/webantrag/antrag']")
    citizen.page.keyboard.press("Enter")
    citizen.page.wait_for_url("**/leistungen/webantrag/antrag")
    citizen.check("apply-form")

    # first try with mistakes: the error summary links to the fields
    _type(citizen, "#f-name", "Erika Mustermann")
    _type(citizen, "#f-anzahl", "zwei")
    citizen.tab_to("button[type=submit]")
    citizen.page.keyboard.press("Enter")
    citizen.page.wait_for_selector("#error-summary")
    citizen.check("apply-form-errors")
    assert citizen.page.input_value("#f-name") == "Erika Mustermann"
    citizen.tab_to("#error-summary a[href='#f-kennzeichen']")
    citizen.page.keyboard.press("Enter")
    assert citizen.page.evaluate("() => location.hash") == "#f-kennzeichen"

    _type(citizen, "#f-kennzeichen", "M-AB 1234")
    _type(citizen, "#f-adresse__strasse", "Hauptstraße 1")
    _type(citizen, "#f-adresse__plz", "80331")
    citizen.tab_to("#f-anzahl")
    citizen.page.keyboard.press("Control+A")
    citizen.page.keyboard.type("1")
    citizen.tab_to("#f-zustellung-1")
    citizen.page.keyboard.press("ArrowDown")             # radio group: arrows choose "online"
    citizen.tab_to("#f-einwilligung")
    citizen.page.keyboard.press("Space")
    citizen.tab_to("button[type=submit]")
    citizen.page.keyboard.press("Enter")
    citizen.page.wait_for_url("**/eingang")
    citizen.check("application-received")
    case_number = citizen.page.inner_text(".case-number")
    case_id = citizen.page.url.split("/")[-2]

    clerk = open_page()
    clerk.goto("/anmelden")
    clerk.check("staff-login")
    clerk.page.fill("#f-username", "sb1")
    clerk.page.fill("#f-password", server["passwords"]["sb1"])
    clerk.page.click("button[type=submit]")
    clerk.page.wait_for_url("**/inbox/")
    clerk.check("inbox")
    clerk.page.fill("#f-q", case_number)
    clerk.page.click(".filters button[type=submit]")
    clerk.page.click("#task-table a")
    clerk.page.wait_for_selector("#form-start")
    clerk.page.click("text=Übernehmen")
    clerk.page.wait_for_selector("text=Sie haben die Aufgabe übernommen.")
    clerk.check("inbox-task")
    clerk.goto(f"/inbox/vorgaenge/{case_id}")
    clerk.page.wait_for_selector("#diagram[data-ready]")
    assert clerk.page.get_attribute("#diagram", "data-ready") == "true"
    assert clerk.page.locator("#diagram .highlight").count() >= 1
    decision = tmp_path / "bescheid.pdf"
    decision.write_bytes(PDF)
    clerk.page.set_input_files("#f-file", str(decision))
    clerk.page.check("#f-kind-decision")
    clerk.page.click("text=Hochladen")
    clerk.page.wait_for_selector("text=Das Dokument wurde hinzugefügt.")
    clerk.check("inbox-case")
    clerk.page.go_back()
    clerk.page.go_back()
    clerk.goto("/inbox/?ansicht=meine")
    clerk.page.click("#task-table a")
    clerk.page.check("#f-entscheidung-1")
    clerk.page.fill("#f-begruendung", "Alle Voraussetzungen sind erfüllt.")
    clerk.page.click("text=Aufgabe abschließen")
    clerk.page.wait_for_selector("text=ist erledigt")

    citizen.goto(f"/meine-antraege/{case_id}")
    assert citizen.page.inner_text("#case-status") == "abgeschlossen"
    citizen.check("case-status-decided")
    with citizen.page.expect_download() as download:
        citizen.page.click("a:has-text('Bescheid')")
    assert download.value.suggested_filename == "bescheid.pdf"
    with open(download.value.path(), "rb") as handle:
        assert handle.read() == PDF
    for path, name in (("/barrierefreiheit", "accessibility"), ("/impressum", "imprint"),
                       ("/meine-antraege", "my-cases")):
        citizen.goto(path)
        citizen.check(name)


def test_citizen_answers_a_request_for_documents(open_page, server, tmp_path):
    from engine.services import cases, queries
    engine = server["engine"]
    case_id = cases.start_case(engine, "webantrag", {"name": "Erika", "kennzeichen": "M-A 1", "anzahl": 1,
                                                     "zustellung": "post", "einwilligung": True}, actor="erika", internal=True)
    [task] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, task["id"], {"entscheidung": "nachforderung"}, actor="sb1", internal=True)
    citizen = open_page()
    _citizen_signs_in(citizen)
    citizen.goto(f"/meine-antraege/{case_id}")
    citizen.check("case-status-request")
    citizen.page.click("text=Unterlagen nachreichen")
    citizen.check("citizen-task")
    proof = tmp_path / "nachweis.pdf"
    proof.write_bytes(PDF)
    citizen.page.set_input_files("#f-nachweis_neu", str(proof))
    citizen.page.click("button:has-text('Absenden')")
    citizen.page.wait_for_selector("text=Vielen Dank")
    assert queries.list_tasks(engine, case_id=case_id)[0]["element_id"] == "pruefen"


def test_process_owner_uploads_models_and_sees_the_report(open_page, server):
    owner = open_page()
    owner.goto("/anmelden")
    owner.page.fill("#f-username", "po")
    owner.page.fill("#f-password", server["passwords"]["po"])
    owner.page.click("button[type=submit]")
    owner.page.wait_for_url("**/studio/")
    owner.shot("studio")
    field = owner.page.locator("#f-files").bounding_box()
    button = owner.page.locator("button:has-text('Prüfen und bereitstellen')").bounding_box()
    assert field and button and button["y"] >= field["y"] + field["height"] + 8, "the button touches the file field"
    owner.page.set_input_files("#f-files", [str(MODELS / "broken.bpmn")])
    owner.page.click("text=Prüfen und bereitstellen")
    owner.page.wait_for_selector("#problems")
    text = owner.page.inner_text("#problems")
    assert "broken.bpmn" in text and "rechnen" in text
    assert "Der Name „__import__“ ist nicht erlaubt" in text          # German, file/line/element apart
    owner.check("studio-report-broken")
    owner.goto("/studio/")
    owner.page.set_input_files("#f-files", [str(MODELS / n) for n in WEBANTRAG])
    owner.page.click("text=Prüfen und bereitstellen")
    owner.page.wait_for_selector("#deployed")
    assert "webantrag v1" in owner.page.inner_text("#deployed")
    owner.check("studio-report-ok")
    owner.page.click("#deployed a")
    owner.page.wait_for_selector("#diagram[data-ready]")
    assert owner.page.get_attribute("#diagram", "data-ready") == "true"
    owner.check("studio-process")
