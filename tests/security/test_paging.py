"""Issue 12 part 7: the inbox and GET /api/v1/tasks used to stop at 500 rows without a word.
Now both page with a keyset cursor in a stable order (due first, undated last, then created,
then id) and say how many tasks there are."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update

from engine.persistence import tables as t
from engine.services import cases
from engine.services.deploy import deploy, read_paths
from tests.conftest import model
from tests.web.conftest import login_as

TOTAL = 520


def _many_tasks(web, clock):
    deploy(web.engine, read_paths([str(model("usertask.bpmn"))]), actor="po")
    ids = [cases.start_case(web.engine, "usertask", {}) for _ in range(TOTAL)]
    with web.engine.db.begin() as conn:   # a mix of due dates, ties included; created_at is the same for all
        for n, case_id in enumerate(ids[:300]):   # due and the inbox key the projection derives from it
            due = clock.now() + timedelta(days=n % 7 - 3)
            conn.execute(update(t.work_items).where(t.work_items.c.case_id == case_id).values(due=due, sort_due=due))
            conn.execute(update(t.work_item_queue).where(t.work_item_queue.c.work_item_id.in_(
                select(t.work_items.c.id).where(t.work_items.c.case_id == case_id))).values(sort_due=due))
    return ids


def _expected_order(web):
    from sqlalchemy import select
    w = t.work_items
    with web.engine.db.connect() as conn:
        rows = conn.execute(select(w.c.id, w.c.due, w.c.created_at).where(w.c.state == "open")).all()
    return [r.id for r in sorted(rows, key=lambda r: (r.due is None, r.due or r.created_at, r.created_at, r.id))]


def test_api_tasks_page_through_everything_with_a_total(web, clock):
    _many_tasks(web, clock)
    seen: list[str] = []
    url: str | None = "/api/v1/tasks?limit=200"
    pages = 0
    while url:
        response = web.client.get(url, headers=web.auth("clerk"))
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.headers["X-Total-Count"] == str(TOTAL)
        seen += [task["id"] for task in response.get_json()]
        link = response.headers.get("Link")
        url = None
        if link:
            target = re.match(r"<([^>]+)>; rel=\"next\"", link)
            assert target, link
            parts = urlsplit(target.group(1))
            url = f"{parts.path}?{parts.query}"
        pages += 1
    assert pages == 3 and len(seen) == TOTAL and len(set(seen)) == TOTAL
    assert seen == _expected_order(web)


def test_api_paging_parameters_are_checked(web, clock):
    for query in ("limit=0", "limit=501", "limit=x", "cursor=kaputt", "cursor=eyJ4IjogMX0"):
        response = web.client.get(f"/api/v1/tasks?{query}", headers=web.auth("clerk"))
        assert response.status_code == 400, (query, response.get_data(as_text=True))


def test_the_inbox_pages_and_counts(web, clock):
    _many_tasks(web, clock)
    login_as(web.client, "sb1")
    seen: list[str] = []
    url: str | None = "/inbox/"
    while url:
        page = web.client.get(url).get_data(as_text=True)
        assert f" von {TOTAL}" in page                   # "Aufgaben 51–100 von 120"
        seen += re.findall(r'href="/inbox/aufgaben/([0-9a-f-]{36})"', page)
        more = re.search(r'href="(/inbox/\?[^"]*cursor=[^"]+)"[^>]*>\s*<span class="kern-label">Nächste Seite', page)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert len(seen) == TOTAL and seen == _expected_order(web)
    overdue = web.client.get("/inbox/?faellig=overdue").get_data(as_text=True)
    late = sum(1 for n in range(300) if n % 7 - 3 < 0)
    assert f"Aufgaben 1–50 von {late}" in overdue


def test_api_tasks_filter_by_exact_business_key_and_case_field(web, clock):
    """The indexed filters of the inbox at scale (issue 13) over the API; a malformed field is a 400."""
    from engine.services.deploy import deploy as do_deploy

    do_deploy(web.engine, read_paths([str(model("inbox.bpmn"))]), actor="po")
    ids = [cases.start_case(web.engine, "inbox", {"gruppen": "sachbearbeitung", "frist": "", "name": f"Person {n}"},
                            business_key=f"AZ-INBOX-{n}", internal=True) for n in range(3)]
    found = web.client.get("/api/v1/tasks?business_key=AZ-INBOX-1", headers=web.auth("clerk"))
    assert found.status_code == 200 and [t["case_id"] for t in found.get_json()] == [ids[1]]
    found = web.client.get("/api/v1/tasks?field=name:Person 2", headers=web.auth("clerk"))
    assert [t["case_id"] for t in found.get_json()] == [ids[2]] and found.headers["X-Total-Count"] == "1"
    bad = web.client.get("/api/v1/tasks?field=ohne-doppelpunkt", headers=web.auth("clerk"))
    assert bad.status_code == 400
