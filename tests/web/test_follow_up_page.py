"""Wiedervorlage on the clerk's task page and in the API: the day the task comes up again."""

from __future__ import annotations

from datetime import timedelta

from engine.services import cases, identity, queries
from engine.services.deploy import deploy, read_paths
from tests.conftest import MODELS
from tests.web.conftest import csrf_token, login_as


def _task(engine) -> dict:  # noqa: ANN001
    deploy(engine, read_paths([str(MODELS / "entwurf")]), actor="po")
    case_id = cases.start_case(engine, "entwurf", {}, internal=True, business_key="WV-1")
    [task] = queries.list_tasks(engine, case_id=case_id)
    return task


def test_the_clerk_puts_a_task_on_follow_up_and_takes_it_off(client, web_engine, clock):
    task = _task(web_engine)
    url = f"/inbox/aufgaben/{task['id']}"
    day = clock.now().date() + timedelta(days=7)
    login_as(client, "sb1")
    page = client.get(url).get_data(as_text=True)
    assert 'id="follow-up"' in page and f'min="{clock.now().date().isoformat()}"' in page
    token = csrf_token(client, url)

    answer = client.post(f"{url}/wiedervorlage", data={"csrf_token": token, "datum": day.isoformat()})
    assert answer.status_code == 303 and answer.headers["Location"] == url
    page = client.get(url).get_data(as_text=True)
    shown = day.strftime("%d.%m.%Y")
    assert f"Die Aufgabe liegt auf Wiedervorlage zum {shown}." in page
    assert f'<span id="follow-up-day">{shown}</span>' in page                # the day, not 23:00 the day before
    assert f'value="{day.isoformat()}"' in page
    inbox = client.get("/inbox/").get_data(as_text=True)
    assert shown in inbox.split(f'href="/inbox/aufgaben/{task["id"]}"')[1].split("</tr>")[0]

    refused = client.post(f"{url}/wiedervorlage", data={"csrf_token": token, "datum": "2020-01-01"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Bitte wählen Sie einen Tag ab heute." in refused
    unreadable = client.post(f"{url}/wiedervorlage", data={"csrf_token": token, "datum": "nächste Woche"},
                             follow_redirects=True).get_data(as_text=True)
    assert "Bitte geben Sie einen Tag an" in unreadable
    client.post(f"{url}/wiedervorlage", data={"csrf_token": token, "aktion": "entfernen"})
    assert queries.get_task(web_engine, task["id"])["follow_up"] is None
    assert "Die Wiedervorlage ist entfernt." in client.get(url).get_data(as_text=True)


def test_only_clerks_of_the_task_set_a_follow_up(client, web_engine, clock):
    task = _task(web_engine)
    login_as(client, "erika")
    token = csrf_token(client, "/meine-antraege")
    day = (clock.now().date() + timedelta(days=1)).isoformat()
    assert client.post(f"/inbox/aufgaben/{task['id']}/wiedervorlage",
                       data={"csrf_token": token, "datum": day}).status_code == 403
    login_as(client, "kasse1")                                        # staff of another group
    token = csrf_token(client, "/inbox/")
    assert client.post(f"/inbox/aufgaben/{task['id']}/wiedervorlage",
                       data={"csrf_token": token, "datum": day}).status_code == 404
    assert queries.get_task(web_engine, task["id"])["follow_up"] is None


def test_the_api_sets_a_follow_up(client, web_engine, clock):
    task = _task(web_engine)
    url = f"/api/v1/tasks/{task['id']}/follow-up"
    sb1 = {"Authorization": f"Bearer {identity.create_api_token(web_engine, 'sb1', 'test')[1]}"}
    day = (clock.now().date() + timedelta(days=3)).isoformat()
    answer = client.put(url, headers=sb1, json={"date": day})
    assert answer.status_code == 200 and answer.json["follow_up"] is not None
    assert client.put(url, headers=sb1, json={"date": "3. Advent"}).status_code == 400
    assert client.put(url, headers=sb1, json={"date": 3}).status_code == 400
    assert client.put(url, headers=sb1, json={"date": None}).json["follow_up"] is None


def test_the_inbox_leaves_out_tasks_on_follow_up_when_asked(client, web_engine, clock):
    from engine.services.follow_ups import set_follow_up

    deferred = _task(web_engine)
    [current] = queries.list_tasks(web_engine, case_id=cases.start_case(web_engine, "entwurf", {}, internal=True,
                                                                         business_key="WV-2"))
    set_follow_up(web_engine, deferred["id"], clock.now().date() + timedelta(days=2), "sb1")
    login_as(client, "sb1")
    everything = client.get("/inbox/").get_data(as_text=True)
    assert deferred["id"] in everything and current["id"] in everything and 'id="f-wiedervorlage"' in everything
    page = client.get("/inbox/?wiedervorlage=ausblenden").get_data(as_text=True)
    assert deferred["id"] not in page and current["id"] in page
    assert 'value="ausblenden" selected' in page                            # the list keeps the choice
    bearer = {"Authorization": f"Bearer {identity.create_api_token(web_engine, 'sb1', 'test')[1]}"}
    listed = client.get("/api/v1/tasks?hide_deferred=true", headers=bearer).json
    assert [t["id"] for t in listed] == [current["id"]]
    assert client.get("/api/v1/tasks?hide_deferred=ja", headers=bearer).status_code == 400
