"""The case cache: a process reuses the workflow it saved last, and never acts on stale state."""

from __future__ import annotations

import pytest

from engine.bootstrap import bootstrap
from engine.services import audit, cases, queries
from engine.services.commands import run_case_command
from engine.settings import Settings
from tests.integration.helpers import deploy_models


@pytest.fixture
def other(database_url, clock):
    """A second process on the same database (its own cache, its own connections)."""
    eng = bootstrap(Settings(database_url=database_url), clock=clock)
    yield eng
    eng.db.dispose()


def _open_task(engine, case_id):
    [task] = queries.list_tasks(engine, case_id=case_id)
    return task["id"]


def test_consecutive_commands_reuse_the_saved_workflow(engine):
    deploy_models(engine, "steploop.bpmn")
    case_id = cases.start_case(engine, "steploop", {"n": 0, "limit": 3})
    hits = engine.case_cache.hits
    cases.complete_task(engine, _open_task(engine, case_id), {}, actor="sb1")
    cases.complete_task(engine, _open_task(engine, case_id), {}, actor="sb1")
    assert engine.case_cache.hits == hits + 2
    assert queries.get_case(engine, case_id)["data"]["n"] == 2


def test_a_case_moved_on_by_another_process_is_reloaded(engine, other):
    deploy_models(engine, "steploop.bpmn")
    case_id = cases.start_case(engine, "steploop", {"n": 0, "limit": 5})   # cached here
    cases.complete_task(other, _open_task(engine, case_id), {}, actor="sb1")  # the entry is stale now
    cases.complete_task(engine, _open_task(engine, case_id), {}, actor="sb2")
    view = queries.get_case(engine, case_id)
    assert view["data"]["n"] == 2
    assert [h["action"] for h in view["history"]] == ["started", "task_completed", "task_completed"]
    with engine.db.connect() as conn:
        assert audit.verify(conn, case_id) == []


def test_a_stale_entry_whose_command_would_succeed_is_caught_by_the_revision_check(engine, other):
    deploy_models(engine, "steploop.bpmn")
    case_id = cases.start_case(engine, "steploop", {"n": 0, "limit": 5})
    task_id = _open_task(engine, case_id)
    cases.claim(other, task_id, "sb1")  # changes the row (revision, audit head), not the workflow
    cases.complete_task(engine, task_id, {}, actor="sb1")
    view = queries.get_case(engine, case_id)
    assert [h["action"] for h in view["history"]] == ["started", "task_claimed", "task_completed"]
    with engine.db.connect() as conn:
        assert audit.verify(conn, case_id) == []  # the chain continues from the claim's event


def test_a_failed_command_leaves_no_half_changed_workflow_behind(engine):
    deploy_models(engine, "steploop.bpmn")
    case_id = cases.start_case(engine, "steploop", {"n": 0, "limit": 5})
    task_id = _open_task(engine, case_id)

    def broken(cmd):
        cmd.engine.runner.complete_user_task(cmd.wf, task_id, {"x": 1})
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run_case_command(engine, case_id, "sb1", "test", broken)
    assert run_case_command(engine, case_id, "sb1", "test", lambda cmd: cmd.engine.runner.is_open(cmd.wf, task_id))
    assert queries.get_case(engine, case_id)["data"]["n"] == 0


def test_commands_see_suspension_made_elsewhere(engine, other):
    deploy_models(engine, "steploop.bpmn")
    case_id = cases.start_case(engine, "steploop", {"n": 0, "limit": 5})
    cases.set_suspended(other, case_id, True)
    with pytest.raises(Exception) as caught:
        cases.complete_task(engine, _open_task(engine, case_id), {}, actor="sb1")
    assert "angehalten" in caught.value.user_message
