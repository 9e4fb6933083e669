"""Browser tests for the cockpit (issue 16): an owner finds a failed case, corrects a value and
retries it; migrates ten cases from v1 to v2 and reads the result. axe WCAG 2.1 AA on each page,
screenshots in artifacts/screenshots/cockpit-*.png."""

from __future__ import annotations

from typing import Any

from engine.jobs import JobExecutor
from engine.runtime.parsing import SourceFile
from engine.services import cases, queries
from engine.services.deploy import deploy, read_paths
from tests.conftest import model
from tests.e2e.test_browser_operations import _staff_signs_in


def test_owner_finds_a_failed_case_corrects_it_and_retries(open_page: Any, server: dict[str, Any]) -> None:
    engine = server["engine"]
    deploy(engine, read_paths([str(model("repair"))]), actor="po")
    cases.start_case(engine, "reparatur", {"antragsteller": "Jonas Weber", "teiler": 2}, actor="jonas",
                     business_key="RP-2026-0001")
    failed = cases.start_case(engine, "reparatur", {"antragsteller": "Erika Mustermann", "teiler": 0},
                              actor="erika", business_key="RP-2026-0002")
    owner = open_page()
    _staff_signs_in(owner, server, "po", "/studio/")
    owner.page.click("#cases-link a")
    owner.page.wait_for_selector("#cases")
    owner.page.select_option("#f-status", "failed")
    owner.page.click("form.case-filters button[type=submit]")
    owner.page.wait_for_url("**status=failed**")
    assert "1 Vorgang gefunden." in owner.page.inner_text("#case-total")
    owner.check("cockpit-cases-failed")
    owner.page.click("#cases a:has-text('RP-2026-0002')")
    owner.page.wait_for_selector("#edit-data")
    assert "fehlgeschlagen" in owner.page.inner_text("#case-status")
    owner.check("cockpit-case-failed")
    owner.page.fill("#feld-teiler", "4")
    owner.page.fill("#f-data-comment", "Teiler im Antrag vertippt")
    owner.page.click("#edit-data button[type=submit]")
    owner.page.wait_for_selector("text=Die Daten des Vorgangs wurden geändert.")
    assert "„0“ → „4“" in owner.page.inner_text("#history")
    owner.page.fill("#f-retry-1", "Nach der Korrektur erneut")
    owner.page.click("#retry-1 button[type=submit]")
    owner.page.wait_for_selector("text=Der Schritt wird erneut versucht.")
    assert "wartet" in owner.page.inner_text("#case-status")
    owner.check("cockpit-case-repaired")
    assert queries.get_case(engine, failed)["data"]["anteil"] == 25


def test_owner_migrates_ten_cases_and_sees_the_result(open_page: Any, server: dict[str, Any]) -> None:
    engine = server["engine"]
    folder = model("migration")
    deploy(engine, [SourceFile("m.bpmn", (folder / "v1.bpmn").read_bytes())], actor="po")
    ids = [cases.start_case(engine, "migration_test", {}, actor="t", internal=True) for _ in range(10)]
    deploy(engine, [SourceFile("m.bpmn", (folder / "v2.bpmn").read_bytes())], actor="po")
    owner = open_page()
    _staff_signs_in(owner, server, "po", "/studio/")
    owner.goto("/studio/prozesse/migration_test/aenderungen?von=1&bis=2")
    owner.page.click("#migration-link")
    owner.page.wait_for_selector("#mapping")
    assert "In v1 laufen 10 Vorgänge." in owner.page.inner_text("#running-count")
    owner.check("cockpit-migration-plan")
    owner.page.select_option("#ziel-pruefen", "antrag_pruefen")
    owner.page.click("button[value=probelauf]")
    owner.page.wait_for_selector("#dry-run")
    assert "10 von 10 Vorgängen ließen sich migrieren." in owner.page.inner_text("#dry-run")
    owner.check("cockpit-migration-dry-run")
    owner.page.fill("#f-kommentar", "Neue Freigabe durch die Amtsleitung")
    owner.page.click("button[value=starten]")
    owner.page.wait_for_selector("#batch-progress")
    JobExecutor(engine).run_until_idle()
    owner.page.reload()
    assert "10 migriert, 0 nicht migriert" in owner.page.inner_text("#batch-progress")
    owner.check("cockpit-migration-done")
    assert all(queries.get_case(engine, c)["version"] == 2 for c in ids)


def test_owner_sees_waiting_times_on_the_diagram(open_page: Any, server: dict[str, Any]) -> None:
    engine = server["engine"]                 # webantrag (drawn, with DI) is deployed by the fixture
    data = {"name": "Erika Mustermann", "kennzeichen": "M-AB 1234", "anzahl": 1, "zustellung": "online",
            "einwilligung": True, "adresse": {"strasse": "Hauptstraße 1", "plz": "80331"}}
    for _ in range(2):
        case_id = cases.start_case(engine, "webantrag", data, actor="erika")
        [task] = queries.list_tasks(engine, case_id=case_id)
        cases.complete_task(engine, task["id"], {"entscheidung": "nachforderung"}, actor="sb1")
    owner = open_page()
    _staff_signs_in(owner, server, "po", "/studio/")
    owner.goto("/studio/prozesse/webantrag")
    owner.page.wait_for_selector("#diagram[data-ready]", state="attached")
    assert owner.page.get_attribute("#diagram", "data-ready") == "true", owner.page.inner_text("#diagram")
    assert owner.page.locator(".diagram-wait").count() == 1                    # the review step, with its mean
    assert owner.page.inner_text(".diagram-wait").startswith("Ø ")
    assert "Min." in owner.page.inner_text("#activity-times")                # the table beside it
    owner.check("cockpit-process-waiting-times")


def test_the_case_filters_keep_the_fields_of_a_row_level(open_page: Any, server: dict[str, Any]) -> None:
    """The search field's hint goes under the field; the field itself sits level with the
    others of its row (KERN drops the label's gap when a hint follows the label)."""
    engine = server["engine"]
    deploy(engine, read_paths([str(model("repair"))]), actor="po")
    owner = open_page()
    _staff_signs_in(owner, server, "po", "/studio/")
    owner.page.set_viewport_size({"width": 1280, "height": 900})
    owner.goto("/studio/vorgaenge")
    rows = owner.page.evaluate("""() => {
        const rows = {};
        for (const item of document.querySelectorAll('.filter-grid > .kern-form-input')) {
            const label = item.querySelector('.kern-label').getBoundingClientRect().top;
            const field = item.querySelector('input, select').getBoundingClientRect().top;
            (rows[Math.round(label)] ||= []).push([item.querySelector('input, select').id, Math.round(field)]);
        }
        return Object.values(rows);
    }""")
    assert len(rows) >= 2 and any("f-suche" in [name for name, _ in row] for row in rows)
    for row in rows:
        assert len({top for _, top in row}) == 1, row
