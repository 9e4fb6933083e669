"""Issue 14.13 in the clerk's inbox: sort by due date, priority and age, pages with "Aufgaben
51–100 von N", the follow-up date and the process's summary field as columns."""

from __future__ import annotations

import re
from datetime import timedelta

from engine.services import cases
from engine.services.deploy import deploy, read_paths
from tests.conftest import MODELS
from tests.web.conftest import login_as

N = 57


def _start(web_engine, clock):
    deploy(web_engine, read_paths([str(MODELS / "inbox_order")]), actor="po")
    for n in range(N):
        clock.advance(timedelta(minutes=1))
        cases.start_case(web_engine, "sortiert", {
            "name": f"Person {n:02d}", "frist": (clock.now() + timedelta(days=30 - n % 10)).isoformat(),
            "wiedervorlage": (clock.now() + timedelta(days=1)).isoformat() if n == 3 else "",
            "prio": "90" if n == 40 else ""}, internal=True)


def _names(page: str) -> list[str]:
    return re.findall(r'task-summary__label">Antragsteller:</span> (Person \d\d)', page)


def test_inbox_sorts_pages_and_shows_summary_and_follow_up(client, web_engine, clock):
    _start(web_engine, clock)
    login_as(client, "sb1")
    first = client.get("/inbox/?sortierung=alter").get_data(as_text=True)
    assert "Aufgaben 1–50 von 57" in first
    assert _names(first)[:3] == ["Person 00", "Person 01", "Person 02"]
    assert '<option value="alter" selected>' in first
    assert "Wiedervorlage" in first and "Kurzinfo" in first
    follow_up_row = first.split("Person 03", 1)[1].split("</tr>", 1)[0]
    assert "erreicht" not in follow_up_row and re.search(r"\d\d\.\d\d\.\d{4}", follow_up_row)
    more = re.search(r'href="(/inbox/\?[^"]*cursor=[^"]+)"[^>]*>\s*<span class="kern-label">Nächste Seite', first)
    assert more and "sortierung=alter" in more.group(1)
    second = client.get(more.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Aufgaben 51–57 von 57" in second
    assert _names(second) == [f"Person {n:02d}" for n in range(50, 57)]
    by_priority = client.get("/inbox/?sortierung=prioritaet").get_data(as_text=True)
    assert _names(by_priority)[0] == "Person 40"
    by_due = _names(client.get("/inbox/").get_data(as_text=True))
    assert by_due[0] in {f"Person {n:02d}" for n in range(9, N, 10)}       # 21 days: the earliest due


def test_a_broken_cursor_starts_again_on_the_first_page(client, web_engine, clock):
    _start(web_engine, clock)
    login_as(client, "sb1")
    response = client.get("/inbox/?sortierung=prioritaet&cursor=kaputt")
    assert response.status_code == 302 and "cursor" not in response.headers["Location"]
    assert "sortierung=prioritaet" in response.headers["Location"]
