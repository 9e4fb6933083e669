"""Issue 14.12, 14.13 and 14.15 as a person sees them in Chromium: the parking permit's diagram
opened at the case's position (and the whole process on request), the inbox sorted and paged,
"Meine Anträge" on a 390 px phone, the admin page's forms; axe on each, screenshots."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from engine.services import cases
from engine.services.deploy import deploy, read_paths
from tests.conftest import MODELS
from tests.e2e.test_browser import _citizen_signs_in
from tests.e2e.test_browser_operations import _staff_signs_in
from tests.processes.conftest import Scenario, backoffices  # noqa: F401 - the simulators fixture
from tests.processes.test_bewohnerparkausweis import KEY, antrag


def _diagram(p: Any) -> dict[str, Any]:
    p.page.wait_for_selector("#diagram[data-ready='true']")
    return {"view": p.page.get_attribute("#diagram", "data-view"),
            "scale": float(p.page.get_attribute("#diagram", "data-scale") or 0)}


def test_the_diagram_opens_at_the_case_position(open_page, server, backoffices):  # noqa: F811
    engine = server["engine"]
    engine.connectors.update(backoffices.connectors)
    s = Scenario(engine, None, backoffices)  # type: ignore[arg-type]  # the clock is not advanced here
    s.deploy(KEY)
    case_id = s.start(KEY, antrag(privater_stellplatz=True), actor="erika")
    s.start(KEY, antrag(privater_stellplatz=True), actor="erika")          # a second task at the same step
    clerk = open_page()
    _staff_signs_in(clerk, server, "sb1", "/inbox/")
    clerk.goto(f"/inbox/vorgaenge/{case_id}")
    opened = _diagram(clerk)
    assert opened["view"] == "focus" and opened["scale"] >= 0.9           # readable, not the whole width
    marked = clerk.page.locator("#diagram .highlight")
    assert marked.count() >= 1 and marked.first.is_visible()
    badge = clerk.page.locator("#diagram .diagram-count").first
    assert badge.is_visible() and badge.inner_text() == "2"
    clerk.check("diagram-current-position")
    clerk.page.click("#diagram-controls [data-action='whole']")
    whole = _diagram(clerk)
    assert whole["view"] == "whole" and whole["scale"] < opened["scale"]
    clerk.check("diagram-whole-process")
    clerk.page.click("#diagram-controls [data-action='focus']")
    assert _diagram(clerk) == opened


def test_the_inbox_sorts_and_pages_with_the_total(open_page, server):
    engine = server["engine"]
    deploy(engine, read_paths([str(MODELS / "inbox_order")]), actor="po")
    for n in range(57):
        engine.clock.now()
        cases.start_case(engine, "sortiert", {
            "name": f"Person {n:02d}", "frist": "", "prio": "90" if n == 44 else "",
            "wiedervorlage": (engine.clock.now() + timedelta(days=3)).isoformat() if n == 44 else ""}, internal=True)
    clerk = open_page()
    _staff_signs_in(clerk, server, "sb1", "/inbox/")
    assert clerk.page.inner_text("#task-count") == "Aufgaben 1–50 von 57"
    clerk.page.select_option("#f-sortierung", "prioritaet")
    clerk.page.click("form.filters button[type=submit]")
    clerk.page.wait_for_url("**sortierung=prioritaet**")
    first_row = clerk.page.locator("#task-table tbody tr").first
    assert "Person 44" in first_row.inner_text() and "90" in first_row.inner_text()
    clerk.check("inbox-by-priority")
    clerk.page.click("a[rel=next]")
    clerk.page.wait_for_url("**cursor=**")
    assert clerk.page.inner_text("#task-count") == "Aufgaben 51–57 von 57"
    assert clerk.page.locator("#task-table tbody tr").count() == 7
    clerk.check("inbox-second-page")


def test_the_inbox_fits_a_1280_pixel_screen(open_page, server, backoffices):  # noqa: F811
    """A clerk's laptop (1280 px): every column of the task list, the button that takes a task
    included, is on the screen without scrolling sideways, with a long service name, a due
    date, a follow-up date and a priority in the rows."""
    engine = server["engine"]
    engine.connectors.update(backoffices.connectors)
    s = Scenario(engine, None, backoffices)  # type: ignore[arg-type]  # the clock is not advanced here
    s.deploy(KEY)
    s.start(KEY, antrag(privater_stellplatz=True), actor="erika")
    deploy(engine, read_paths([str(MODELS / "inbox_order")]), actor="po")
    cases.start_case(engine, "sortiert", {
        "name": "Person 1", "frist": "", "prio": "90",
        "wiedervorlage": (engine.clock.now() + timedelta(days=3)).isoformat()}, internal=True)
    clerk = open_page()
    _staff_signs_in(clerk, server, "sb1", "/inbox/")
    clerk.page.set_viewport_size({"width": 1280, "height": 900})
    wrap = clerk.page.evaluate("() => { const w = document.querySelector('.table-wrap');"
                               " return [w.scrollWidth, w.clientWidth]; }")
    assert wrap[0] <= wrap[1], f"the task list is {wrap[0] - wrap[1]} px wider than the page"
    for button in clerk.page.locator("#task-table button").all():
        box = button.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1280
    clerk.check("inbox-at-1280")


def test_my_cases_fit_a_phone(open_page, server):
    engine = server["engine"]
    deploy(engine, read_paths([str(MODELS / "inbox_order")]), actor="po")
    citizen = open_page()
    _citizen_signs_in(citizen)
    for n in range(3):
        cases.start_case(engine, "sortiert", {"name": f"Erika {n}", "frist": "", "prio": "", "wiedervorlage": ""},
                         actor="erika", internal=True)
    citizen.page.set_viewport_size({"width": 390, "height": 844})
    citizen.goto("/meine-antraege")
    for label in ("Eingegangen", "Stand"):
        cell = citizen.page.locator(f"td[data-label='{label}']").first
        box = cell.bounding_box()
        assert cell.is_visible() and box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (label, box)
    overflow = citizen.page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 390
    language = citizen.page.locator(".site-account a[hreflang]").bounding_box()
    sign_out = citizen.page.locator(".site-account button[type=submit]").bounding_box()
    assert language is not None and sign_out is not None
    assert abs((sign_out["y"] + sign_out["height"] / 2) - (language["y"] + language["height"] / 2)) < 8, \
        ("the sign-out button wraps below the account row", language, sign_out)
    citizen.check("my-cases-phone")


def test_admin_forms_have_their_own_ids(open_page, server):
    admin = open_page()
    _staff_signs_in(admin, server, "admin", "/admin/")
    duplicates = admin.page.evaluate("""() => {
        const seen = {}; document.querySelectorAll('[id]').forEach(e => { seen[e.id] = (seen[e.id] || 0) + 1; });
        return Object.keys(seen).filter(k => seen[k] > 1); }""")
    assert duplicates == []
    admin.page.click("label[for='f-token-name']")
    assert admin.page.evaluate("() => document.activeElement.closest('form').id") == "form-token"
    admin.check("admin-forms")


def test_the_inbox_on_a_phone_scrolls_its_table_not_the_page(open_page, server):
    """At 390 px the task list scrolls sideways inside its frame; the page itself does not (the
    table's visually hidden texts are positioned: they stay inside the frame, WCAG 1.4.10)."""
    engine = server["engine"]
    deploy(engine, read_paths([str(MODELS / "inbox_order")]), actor="po")
    cases.start_case(engine, "sortiert", {"name": "Person 1", "frist": "", "prio": "90", "wiedervorlage": ""},
                     internal=True)
    clerk = open_page()
    _staff_signs_in(clerk, server, "sb1", "/inbox/")
    clerk.page.set_viewport_size({"width": 390, "height": 844})
    clerk.goto("/inbox/")
    wrap = clerk.page.evaluate("() => { const w = document.querySelector('.table-wrap');"
                               " return [w.scrollWidth, w.clientWidth]; }")
    assert wrap[0] > wrap[1], "the table is expected to be wider than a phone here"
    assert clerk.page.evaluate("() => document.documentElement.scrollWidth") <= 390
