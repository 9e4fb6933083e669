"""Issue 14.9: the citizen's missing-documents page names the documents the clerk asked for (where
the form says "oben auf dieser Seite"), and deadlines for people are whole days in Europe/Berlin:
"bis 16.12.2026", ending with that day, never "16.12.2026, 01:00"."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from engine.runtime.timers import person_deadline
from engine.services import cases, queries
from tests.processes.conftest import Scenario, backoffices  # noqa: F401 - the simulators fixture
from tests.processes.test_bewohnerparkausweis import KEY, antrag
from tests.web.conftest import login_as

BERLIN = ZoneInfo("Europe/Berlin")


def test_requested_documents_and_a_whole_day_deadline_on_the_citizen_task(client, web_engine, backoffices):  # noqa: F811
    web_engine.connectors.update(backoffices.connectors)
    s = Scenario(web_engine, None, backoffices)  # type: ignore[arg-type]
    s.deploy(KEY)
    case_id = s.start(KEY, antrag(privater_stellplatz=True), actor="erika")
    [review] = queries.list_tasks(web_engine, case_id=case_id)
    cases.complete_task(web_engine, review["id"], {"entscheidung": "nachfordern", "nachforderung_unterlagen":
                        "Mietvertrag für den Stellplatz", "vermerk": "intern: nicht zeigen"}, actor="sb1")
    s.run()
    [task] = queries.list_tasks(web_engine, case_id=case_id)
    assert task["element_id"] == "unterlagen_nachreichen"
    due = datetime.fromisoformat(task["due"]).astimezone(BERLIN)
    assert (due.hour, due.minute, due.second) == (23, 59, 59)          # ends with the day, local time

    login_as(client, "erika")
    page = client.get(f"/meine-antraege/{case_id}/aufgaben/{task['id']}").get_data(as_text=True)
    asked = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split('id="asked"', 1)[1].split("</dl>", 1)[0]))
    assert "Nachzureichende Unterlagen" in asked and "Mietvertrag für den Stellplatz" in asked
    assert "intern: nicht zeigen" not in page and "Vermerk" not in page   # only what the task declares
    deadline = page.split('id="task-deadline"', 1)[1].split("</p>", 1)[0]
    assert f"bis {due:%d.%m.%Y}</strong>" in deadline and ":" not in deadline.split("bis", 1)[1]
    overview = client.get(f"/meine-antraege/{case_id}").get_data(as_text=True)
    assert f"(bis {due:%d.%m.%Y})" in overview


def test_person_deadlines_end_with_their_day_in_berlin():
    now = datetime(2026, 12, 2, 0, 0, tzinfo=timezone.utc)            # 01:00 in Berlin
    end = datetime(2026, 12, 16, 22, 59, 59, tzinfo=timezone.utc)      # 16.12.2026, 23:59:59 in Berlin
    assert person_deadline("2026-12-16", now, "Europe/Berlin") == end
    assert person_deadline("P14D", now, "Europe/Berlin") == datetime(2026, 12, 16, 0, 0, tzinfo=timezone.utc)
    assert person_deadline("PT4H", now, "Europe/Berlin") == datetime(2026, 12, 2, 4, tzinfo=timezone.utc)
    assert person_deadline("2026-12-16T10:00:00+00:00", now, "Europe/Berlin").hour == 10
    summer = datetime(2026, 6, 1, 23, 30, tzinfo=timezone.utc)
    assert person_deadline("2026-06-03", summer, "Europe/Berlin") == datetime(2026, 6, 3, 21, 59, 59, tzinfo=timezone.utc)
