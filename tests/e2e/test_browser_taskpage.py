"""Issue 14, items 7 and 8 as a clerk sees them: the task page of a parking-permit case that came to
manual review (reasons first, summary, the data as entered, technical data behind a disclosure),
and the four-eyes offer (the clerk who rejected does not get the approval, a colleague does).
axe on every page; screenshots in artifacts/screenshots/taskpage-*.png."""

from __future__ import annotations

from typing import Any

from engine.services import cases, queries
from tests.processes.conftest import Scenario, backoffices  # noqa: F401 - the simulators fixture
from tests.processes.test_bewohnerparkausweis import KEY, antrag


def _clerk(open_page: Any, server: dict[str, Any], username: str) -> Any:
    p = open_page()
    p.goto("/anmelden")
    p.page.fill("#f-username", username)
    p.page.fill("#f-password", server["passwords"][username])
    p.page.click("#form-start button[type=submit], main button[type=submit]")
    p.page.wait_for_url("**/inbox/")
    return p


def test_clerk_task_page_and_four_eyes_offer(open_page, server, backoffices):  # noqa: F811
    engine = server["engine"]
    engine.connectors.update(backoffices.connectors)
    s = Scenario(engine, None, backoffices)  # type: ignore[arg-type]
    s.deploy(KEY)
    case_id = s.start(KEY, antrag(antragsteller={"geburtsdatum": "1984-08-12"},
                                  fahrzeug={"kennzeichen": "MS-EM 2024", "nutzung": "firmenwagen"}), actor="erika")
    [task] = queries.list_tasks(engine, case_id=case_id)

    sb1 = _clerk(open_page, server, "sb1")
    sb1.goto(f"/inbox/aufgaben/{task['id']}")
    notes = sb1.page.locator("#review-notes li").all_inner_texts()
    assert notes == ["Person im Melderegister nicht eindeutig gefunden",
                     "Fahrzeugregister: Halter/in weicht ab oder Fahrzeug unbekannt"]
    assert "12.08.1984" in sb1.page.inner_text("#summary")
    assert not sb1.page.locator("#technical-data dl").is_visible()       # technical data only on request
    sb1.check("taskpage-review")
    sb1.page.click("#technical-data summary")
    assert sb1.page.locator("#technical-data dl").is_visible()
    assert "portal_url" in sb1.page.inner_text("#technical-data")
    sb1.check("taskpage-review-technical")

    cases.complete_task(engine, task["id"], {"entscheidung": "ablehnen", "begruendung": "Kein Wohnsitz in der Zone."},
                        actor="sb1")
    [approval] = queries.list_tasks(engine, case_id=case_id)
    sb1.goto("/inbox/")
    assert approval["id"] not in sb1.page.content()
    sb1.check("taskpage-inbox-four-eyes")
    sb1.goto(f"/inbox/aufgaben/{approval['id']}")
    assert "Vier-Augen-Prinzip" in sb1.page.inner_text("#four-eyes")
    assert sb1.page.locator("text=Übernehmen").count() == 0 and sb1.page.locator("#form-start").count() == 0
    sb1.check("taskpage-four-eyes-excluded")

    sb2 = _clerk(open_page, server, "sb2")
    row = sb2.page.locator("#task-table tr", has=sb2.page.locator(f"a[href='/inbox/aufgaben/{approval['id']}']"))
    assert row.count() == 1
    sb2.goto(f"/inbox/aufgaben/{approval['id']}")
    sb2.page.click("text=Übernehmen")
    sb2.page.wait_for_selector("text=Sie haben die Aufgabe übernommen.")
    assert "Kein Wohnsitz in der Zone." in sb2.page.inner_text("#summary")
    sb2.check("taskpage-four-eyes-colleague")


def test_citizen_sees_which_documents_are_missing_and_until_when(open_page, server, backoffices):  # noqa: F811
    from tests.e2e.test_browser import _citizen_signs_in
    engine = server["engine"]
    engine.connectors.update(backoffices.connectors)
    s = Scenario(engine, None, backoffices)  # type: ignore[arg-type]
    s.deploy(KEY)
    case_id = s.start(KEY, antrag(privater_stellplatz=True), actor="erika")
    [review] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, review["id"], {"entscheidung": "nachfordern",
                                               "nachforderung_unterlagen": "Arbeitgeberbestätigung"}, actor="sb1")
    s.run()
    [task] = queries.list_tasks(engine, case_id=case_id)
    citizen = open_page()
    _citizen_signs_in(citizen)
    citizen.goto(f"/meine-antraege/{case_id}/aufgaben/{task['id']}")
    assert "Arbeitgeberbestätigung" in citizen.page.inner_text("#asked")
    deadline = citizen.page.inner_text("#task-deadline")
    assert deadline.startswith("Frist: bis ") and "01:00" not in deadline and "," not in deadline
    assert _words_broken_across_lines(citizen.page, "#asked dt") == []   # KERN broke "Nachzureichend|e"
    citizen.check("taskpage-citizen-missing-documents")


def _words_broken_across_lines(page, selector: str) -> list[str]:
    """The words in the elements that the browser laid out over more than one line."""
    return page.evaluate("""(selector) => {
      const broken = [];
      for (const element of document.querySelectorAll(selector)) {
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          for (const match of node.data.matchAll(/\\S+/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            if (new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1) broken.push(match[0]);
          }
        }
      }
      return broken;
    }""", selector)


def test_clerk_saves_a_draft_and_finds_it_again(open_page, server, backoffices):  # noqa: F811
    engine = server["engine"]
    engine.connectors.update(backoffices.connectors)
    s = Scenario(engine, None, backoffices)  # type: ignore[arg-type]
    s.deploy(KEY)
    case_id = s.start(KEY, antrag(fahrzeug={"kennzeichen": "MS-EM 2024", "nutzung": "firmenwagen"}), actor="erika")
    [task] = queries.list_tasks(engine, case_id=case_id)

    sb1 = _clerk(open_page, server, "sb1")
    sb1.goto(f"/inbox/aufgaben/{task['id']}")
    sb1.page.fill("#f-vermerk", "Rückruf beim Arbeitgeber am Montag")
    sb1.page.click("#form-start-draft")                      # no decision chosen yet: saved all the same
    sb1.page.wait_for_selector("text=Ihr Zwischenstand ist gespeichert.")
    assert sb1.page.locator("#error-summary").count() == 0
    assert "Zwischenstand von sb1" in sb1.page.inner_text("#draft-notice")
    sb1.check("taskpage-draft")

    sb1.goto("/inbox/")                                     # away and back: the form is as it was left
    sb1.goto(f"/inbox/aufgaben/{task['id']}")
    assert sb1.page.input_value("#f-vermerk") == "Rückruf beim Arbeitgeber am Montag"
    assert sb1.page.inner_text("#assignee") == "sb1"
    sb1.page.click("#draft-notice button")
    sb1.page.wait_for_selector("text=Der Zwischenstand wurde verworfen.")
    assert sb1.page.input_value("#f-vermerk") == "" and sb1.page.locator("#draft-notice").count() == 0
