"""Browser test for the owners' figures (issue 16): charts drawn by ECharts under the CSP, the
same numbers in tables, axe WCAG 2.1 AA; screenshot artifacts/screenshots/cockpit-figures.png."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from engine.ports import FakeClock
from engine.services import cases, queries
from engine.services.deploy import deploy, read_paths
from tests.conftest import model
from tests.e2e.test_browser_operations import _staff_signs_in


def _history(engine: Any) -> None:
    """Eight weeks from Monday 5 January 2026: three cases a week (one automatic, one by citizen
    erika, one a clerk decides after 2 + week days); in the last three weeks one stays open."""
    system = engine.clock
    clock = FakeClock(datetime(2026, 1, 5, 8, tzinfo=timezone.utc))
    engine.clock = clock
    try:
        deploy(engine, read_paths([str(model("figures.bpmn"))]), actor="po")
        for week in range(8):
            cases.start_case(engine, "kennzahlen", {"automatisch": True}, actor="erika", internal=True)
            clock.advance(timedelta(hours=2))
            cases.start_case(engine, "kennzahlen", {"automatisch": False}, actor="erika", internal=True)
            manual = cases.start_case(engine, "kennzahlen", {"automatisch": False}, actor="po", internal=True)
            clock.advance(timedelta(days=2 + week % 4))
            if week < 5:
                [task] = queries.list_tasks(engine, case_id=manual)
                cases.complete_task(engine, task["id"], {}, actor="sb1", internal=True)
            clock.advance(timedelta(days=7) - timedelta(days=2 + week % 4, hours=2))
    finally:
        engine.clock = system


def test_owner_reads_the_figures_of_a_process(open_page: Any, server: dict[str, Any]) -> None:
    _history(server["engine"])
    owner = open_page()
    _staff_signs_in(owner, server, "po", "/studio/")
    owner.goto("/studio/prozesse/kennzahlen")
    owner.page.click("#figures-link")
    owner.page.wait_for_selector("#figures-period")
    owner.page.fill("#f-von", "2026-01-05")
    owner.page.fill("#f-bis", "2026-03-01")
    owner.page.click("form.case-filters button[type=submit]")
    owner.page.wait_for_url("**von=2026-01-05**")
    for key in ("wochen", "durchlaufzeit", "dunkelverarbeitung", "online", "fristen", "bestand"):
        owner.page.wait_for_selector(f"#chart-{key}[data-drawn=true] canvas")
    assert "05.01.2026 – 01.03.2026" in owner.page.inner_text("#figures-period")
    weeks = owner.page.inner_text("#table-wochen")
    assert "2026-W02" in weeks and "2026-W09" in weeks
    assert "ohne Sachbearbeitung\t8" in owner.page.inner_text("#table-dunkelverarbeitung")
    owner.check("cockpit-figures")
    with owner.page.expect_download() as download:
        owner.page.click("#csv-bestand")
    assert download.value.suggested_filename == "kennzahlen-bestand.csv"
