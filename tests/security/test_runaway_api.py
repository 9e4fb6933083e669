"""Issue 12 parts 3 and 4 over the REST API (SQLite and PostgreSQL): a runaway start and a script
that leaves an iterator answer 2xx and leave a failed case with an incident, never a 500."""

from __future__ import annotations

import time

from engine.runtime import budget
from engine.services import cases, queries
from tests.security import runaway_models as models
from tests.security.runaway_models import deploy_text


def test_a_runaway_started_over_the_api_answers_201_and_the_case_shows_the_incident(web):
    deploy_text(web.engine, "gabel", models.fork_loop())
    started = time.monotonic()
    response = web.client.post("/api/v1/cases", json={"key": "gabel", "data": {}}, headers=web.auth("clerk"))
    assert response.status_code == 201, response.get_data(as_text=True)
    # the production budget: 1 s of CPU time, under load at most the 5 s wall-time net, plus storing the incident
    assert time.monotonic() - started < budget.WALL_FACTOR * 1.0 + 3
    case = queries.get_case(web.engine, response.get_json()["id"], with_history=False)
    assert case["status"] == "failed" and "AMTSFLOW_MAX_COMMAND_SECONDS" in case["incidents"][0]["message"]


def test_completing_a_task_whose_script_leaves_an_iterator_is_no_server_error(web):
    deploy_text(web.engine, "skript", models.after_task("skript", "r = reversed([1, 2])", lane="sachbearbeitung"))
    case_id = cases.start_case(web.engine, "skript")
    [task] = queries.get_case(web.engine, case_id, with_history=False)["open_tasks"]
    response = web.client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}, headers=web.auth("clerk"))
    assert response.status_code < 300, (response.status_code, response.get_data(as_text=True)[:300])
    case = queries.get_case(web.engine, case_id, with_history=False)
    assert case["status"] == "failed" and "list_reverseiterator cannot be stored" in case["incidents"][0]["message"]
    assert web.client.get(f"/api/v1/cases/{case_id}", headers=web.auth("clerk")).status_code == 200
