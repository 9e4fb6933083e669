"""The clerk's task page: "Zwischenspeichern" keeps the form as typed, unvalidated, until the task
is completed; the draft is shown again, to a colleague too, and can be discarded."""

from __future__ import annotations

import html
import re

from engine.services import cases, queries, task_drafts
from engine.services.deploy import deploy, read_paths
from tests.conftest import MODELS
from tests.web.conftest import csrf_token, login_as


def _task(engine) -> dict:  # noqa: ANN001
    deploy(engine, read_paths([str(MODELS / "entwurf")]), actor="po")
    case_id = cases.start_case(engine, "entwurf", {}, internal=True, business_key="EW-1")
    [task] = queries.list_tasks(engine, case_id=case_id)
    return task


def _value(page: str, name: str) -> str:
    match = re.search(rf'<(?:input|textarea)[^>]*name="{re.escape(name)}"[^>]*?(?:value="([^"]*)"[^>]*)?>([^<]*)', page)
    assert match, name
    return html.unescape(match.group(1) if match.group(1) is not None else match.group(2))


def test_a_half_done_form_is_kept_unvalidated_and_shown_again(client, web_engine):
    task = _task(web_engine)
    url = f"/inbox/aufgaben/{task['id']}"
    login_as(client, "sb1")
    page = client.get(url).get_data(as_text=True)
    assert 'value="zwischenspeichern"' in page and "Zwischenspeichern" in page
    assert "Dateien werden dabei nicht gespeichert" in page     # the form has a file field
    token = csrf_token(client, url)

    # the required date and decision are missing: completing would be refused, saving is not
    saved = client.post(url, data={"csrf_token": token, "aktion": "zwischenspeichern",
                                   "begruendung": "Rückruf der Antragstellerin abwarten", "gebuehr": "12,5x",
                                   "auflagen": ["befristet", "widerruflich"]})
    assert saved.status_code == 303 and saved.headers["Location"] == url
    assert queries.get_task(web_engine, task["id"])["assignee"] == "sb1"
    assert queries.get_case(web_engine, task["case_id"])["data"] == {}
    page = client.get(url).get_data(as_text=True)
    assert "Ihr Zwischenstand ist gespeichert." in page and 'id="draft-notice"' in page
    assert "Zwischenstand von sb1 vom" in page and "error-summary" not in page
    assert _value(page, "begruendung") == "Rückruf der Antragstellerin abwarten"
    assert _value(page, "gebuehr") == "12,5x"                                   # kept as typed
    assert page.count("checked") == 2
    inbox = client.get("/inbox/?ansicht=meine").get_data(as_text=True)            # the list says so
    row = inbox.split(f'href="/inbox/aufgaben/{task["id"]}"')[1].split("</tr>")[0]
    assert "draft-badge" in row and "Zwischenstand" in row

    # a colleague sees it, but cannot overwrite it while sb1 holds the task
    login_as(client, "sb2")
    page = client.get(url).get_data(as_text=True)
    assert "Zwischenstand von sb1 vom" in page and _value(page, "begruendung").startswith("Rückruf")
    refused = client.post(url, data={"csrf_token": csrf_token(client, url), "aktion": "zwischenspeichern",
                                     "begruendung": "anders"}, follow_redirects=True).get_data(as_text=True)
    assert "Die Aufgabe bearbeitet sb1. Ihr Zwischenstand wurde nicht gespeichert." in refused
    assert task_drafts.get(web_engine, task["id"]).fields["begruendung"].startswith("Rückruf")

    # completing validates the whole form, takes it into the case and ends the draft
    login_as(client, "sb1")
    done = client.post(url, data={"csrf_token": csrf_token(client, url), "entscheidung": "genehmigt",
                                  "begruendung": "Rückruf erfolgt", "frist": "2027-01-31", "gebuehr": "12,50"})
    assert done.status_code == 302
    assert task_drafts.get(web_engine, task["id"]) is None
    assert queries.get_case(web_engine, task["case_id"])["data"]["gebuehr"] == 12.5


def test_a_draft_can_be_discarded(client, web_engine):
    task = _task(web_engine)
    url = f"/inbox/aufgaben/{task['id']}"
    task_drafts.save(web_engine, task["id"], {"begruendung": "erster Versuch"}, "sb1")
    login_as(client, "sb1")
    token = csrf_token(client, url)
    assert client.post(f"{url}/zwischenstand-verwerfen", data={}).status_code == 400        # no CSRF token
    answer = client.post(f"{url}/zwischenstand-verwerfen", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"] == url
    page = client.get(url).get_data(as_text=True)
    assert "Der Zwischenstand wurde verworfen." in page and 'id="draft-notice"' not in page
    assert _value(page, "begruendung") == "" and task_drafts.get(web_engine, task["id"]) is None
    inbox = client.get("/inbox/?ansicht=meine").get_data(as_text=True)
    assert f'href="/inbox/aufgaben/{task["id"]}"' in inbox and "draft-badge" not in inbox


def test_only_clerks_of_the_task_may_save_or_discard(client, web_engine):
    task = _task(web_engine)
    url = f"/inbox/aufgaben/{task['id']}"
    task_drafts.save(web_engine, task["id"], {"begruendung": "erster Versuch"}, "sb1")
    login_as(client, "erika")
    token = csrf_token(client, "/meine-antraege")
    assert client.post(url, data={"csrf_token": token, "aktion": "zwischenspeichern"}).status_code == 403
    assert client.post(f"{url}/zwischenstand-verwerfen", data={"csrf_token": token}).status_code == 403
    assert task_drafts.get(web_engine, task["id"]).fields == {"begruendung": "erster Versuch"}


def test_the_api_saves_reads_and_discards_a_draft(client, web_engine):
    from engine.services import identity

    def bearer(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {identity.create_api_token(web_engine, name, 'test')[1]}"}

    task = _task(web_engine)
    url = f"/api/v1/tasks/{task['id']}/draft"
    sb1, sb2 = bearer("sb1"), bearer("sb2")
    assert client.get(url, headers=sb1).status_code == 404
    saved = client.put(url, headers=sb1, json={"fields": {"begruendung": "offen", "auflagen": ["befristet"]}})
    assert saved.status_code == 200 and saved.json["fields"] == {"begruendung": "offen", "auflagen": ["befristet"]}
    assert saved.json["saved_by"] == "sb1" and queries.get_task(web_engine, task["id"])["assignee"] == "sb1"
    assert client.get(url, headers=sb2).json["fields"]["begruendung"] == "offen"       # a colleague reads it
    assert client.put(url, headers=sb2, json={"fields": {"begruendung": "x"}}).status_code == 409
    assert client.put(url, headers=sb1, json={"fields": {"gebuehr": 12}}).status_code == 400
    assert client.put(url, headers=sb1, json={"fields": "begruendung"}).status_code == 400
    assert client.delete(url, headers=sb2).status_code == 409
    assert client.get(url, headers=bearer("erika")).status_code == 403
    assert client.delete(url, headers=sb1).status_code == 204
    assert client.get(url, headers=sb1).status_code == 404
    assert client.get(f"/api/v1/tasks/{task['id']}x/draft", headers=sb1).status_code == 404
