"""The inbox's "Nächste Aufgabe übernehmen": the first free task of the list as the clerk sees it."""

from __future__ import annotations

from datetime import timedelta

from engine.services import cases, queries
from engine.services.deploy import deploy, read_paths
from tests.conftest import MODELS
from tests.web.conftest import csrf_token, login_as


def _start(engine, days: int, prio: int) -> str:
    due = (engine.clock.now() + timedelta(days=days)).isoformat()
    return cases.start_case(engine, "sortiert", {"name": f"in {days} Tagen", "frist": due, "wiedervorlage": "",
                                                 "prio": str(prio)}, internal=True)


def test_the_button_takes_the_first_free_task_of_the_list_in_its_order(client, web_engine):
    deploy(web_engine, read_paths([str(MODELS / "inbox_order")]), actor="po")
    later, sooner = _start(web_engine, 5, 90), _start(web_engine, 1, 10)
    login_as(client, "sb1")
    page = client.get("/inbox/").get_data(as_text=True)
    assert 'id="claim-next"' in page and "Nächste Aufgabe übernehmen" in page
    token = csrf_token(client, "/inbox/")

    answer = client.post("/inbox/naechste-aufgabe", data={"csrf_token": token, "sortierung": "prioritaet"})
    [by_priority] = queries.list_tasks(web_engine, case_id=later)
    assert answer.status_code == 303 and answer.headers["Location"] == f"/inbox/aufgaben/{by_priority['id']}"
    assert by_priority["assignee"] == "sb1"

    answer = client.post("/inbox/naechste-aufgabe", data={"csrf_token": token})       # due date: the other one
    [by_due] = queries.list_tasks(web_engine, case_id=sooner)
    assert answer.headers["Location"] == f"/inbox/aufgaben/{by_due['id']}" and by_due["assignee"] == "sb1"
    assert "Sie haben die Aufgabe übernommen." in client.get(answer.headers["Location"]).get_data(as_text=True)

    answer = client.post("/inbox/naechste-aufgabe", data={"csrf_token": token, "prozess": "sortiert"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/inbox/?ansicht=gruppen&prozess=sortiert"
    assert "keine freie Aufgabe" in client.get(answer.headers["Location"]).get_data(as_text=True)
    assert 'id="claim-next"' not in client.get("/inbox/?ansicht=meine").get_data(as_text=True)


def test_only_staff_may_take_tasks(client, web_engine):
    deploy(web_engine, read_paths([str(MODELS / "inbox_order")]), actor="po")
    case_id = _start(web_engine, 1, 50)
    login_as(client, "erika")
    answer = client.post("/inbox/naechste-aufgabe", data={"csrf_token": csrf_token(client, "/meine-antraege")})
    assert answer.status_code == 403
    assert queries.list_tasks(web_engine, case_id=case_id)[0]["assignee"] is None


def test_the_api_claims_the_next_task_of_get_tasks_list(client, web_engine):
    from engine.services import identity

    def bearer(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {identity.create_api_token(web_engine, name, 'test')[1]}"}

    deploy(web_engine, read_paths([str(MODELS / "inbox_order")]), actor="po")
    later, sooner = _start(web_engine, 5, 90), _start(web_engine, 1, 10)
    clerk = bearer("sb1")
    first = client.post("/api/v1/tasks/claim-next?sort=priority", headers=clerk)
    assert first.status_code == 200 and first.json["case_id"] == later and first.json["assignee"] == "sb1"
    second = client.post("/api/v1/tasks/claim-next", headers=bearer("sb2"))
    assert second.status_code == 200 and second.json["case_id"] == sooner and second.json["assignee"] == "sb2"
    none_left = client.post("/api/v1/tasks/claim-next", headers=clerk)
    assert none_left.status_code == 204 and none_left.data == b""
    assert client.post("/api/v1/tasks/claim-next?sort=name", headers=clerk).status_code == 400
    assert client.post("/api/v1/tasks/claim-next", headers=bearer("erika")).status_code == 403
