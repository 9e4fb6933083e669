"""GET /api/v1/cases/{id}/tasks?wait=N: a client waits for the case's next task instead of
asking again and again (issue 13)."""

from __future__ import annotations

import threading
import time

from engine.jobs import JobExecutor
from engine.services import queries, task_wait
from tests.conftest import in_scope
from tests.integration.test_task_wait import SLOW_RECHECK, _start
from tests.web.conftest import login_as


def test_the_call_answers_when_the_worker_writes_the_task(client, web_engine, monkeypatch) -> None:
    monkeypatch.setattr(task_wait, "RECHECK_SECONDS", SLOW_RECHECK)
    case_id = _start(web_engine)
    login_as(client, "sb1")                                  # started the case: may follow it
    started = time.monotonic()
    assert client.get(f"/api/v1/cases/{case_id}/tasks?wait=0.3").get_json() == []   # no task yet: timed out
    assert time.monotonic() - started >= 0.3

    def work() -> None:
        time.sleep(0.3)
        JobExecutor(web_engine, "w1").run_due()
    worker = threading.Thread(target=in_scope(work))
    worker.start()
    started = time.monotonic()
    try:
        answer = client.get(f"/api/v1/cases/{case_id}/tasks?wait=20")
    finally:
        worker.join()
        task_wait.stop_listener(web_engine)
    assert answer.status_code == 200
    assert [t["element_id"] for t in answer.get_json()] == ["pruefen"]
    assert time.monotonic() - started < 10                    # woken by the commit, not by a re-check


def test_wait_must_be_seconds_and_the_case_visible(client, web_engine) -> None:
    case_id = _start(web_engine)
    login_as(client, "sb1")
    for bad in ("soon", "-1", "nan", "inf"):
        assert client.get(f"/api/v1/cases/{case_id}/tasks?wait={bad}").status_code == 400
    assert client.get(f"/api/v1/cases/{case_id}/tasks").get_json() == []
    login_as(client, "sb2")                                  # neither started it nor may work on it
    assert client.get(f"/api/v1/cases/{case_id}/tasks?wait=5").status_code == 404


def test_who_may_follow_the_case_is_decided_without_its_view(client, web_engine, monkeypatch) -> None:
    """The call checks who may follow the case on who started it (one short read), not on the
    case's view (its data, open tasks and incidents, read again by the wait anyway); the rules
    stay: whoever started it, staff who may work on one of its tasks, else 404 as for no case."""
    case_id = _start(web_engine)
    views: list[str] = []
    original = queries.get_case
    monkeypatch.setattr(queries, "get_case", lambda engine, ident, **kw: views.append(ident) or original(engine, ident, **kw))
    login_as(client, "sb1")                                  # started it
    assert client.get(f"/api/v1/cases/{case_id}/tasks").get_json() == []
    assert client.get("/api/v1/cases/00000000-0000-0000-0000-000000000000/tasks").status_code == 404
    login_as(client, "sb2")                                  # no task of the case yet
    assert client.get(f"/api/v1/cases/{case_id}/tasks").status_code == 404
    JobExecutor(web_engine, "w1").run_due()                   # its task for sachbearbeitung
    assert [t["element_id"] for t in client.get(f"/api/v1/cases/{case_id}/tasks").get_json()] == ["pruefen"]
    for other in ("kasse1", "erika"):                         # another group's clerk, a citizen
        login_as(client, other)
        assert client.get(f"/api/v1/cases/{case_id}/tasks").status_code == 404
    assert views == []


def test_waits_beyond_the_long_poll_caps_answer_at_once(client, web_engine) -> None:
    """Each wait holds a request thread: a client cannot tie up the server with waits (the
    engine-rest caps, webui/engine_rest/long_polls.py, count them too)."""
    from webui.engine_rest.long_polls import gate
    case_id = _start(web_engine)
    login_as(client, "sb1")
    polls = gate(client.application)
    for _ in range(polls.per_account):                        # sb1's share of waits is taken
        assert polls.enter("default:sb1")
    try:
        started = time.monotonic()
        answer = client.get(f"/api/v1/cases/{case_id}/tasks?wait=20")
        assert answer.status_code == 200 and answer.get_json() == []
        assert time.monotonic() - started < 5                 # answered at once, not after 20 s
    finally:
        for _ in range(polls.per_account):
            polls.leave("default:sb1")
    assert polls.waiting() == 0                               # the refused wait left nothing behind
