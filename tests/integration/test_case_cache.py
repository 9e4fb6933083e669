"""The case cache: a process reuses the workflow it saved last, and never acts on stale state."""

from __future__ import annotations

from types import SimpleNamespace

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
    case_id = cases.start_case(engine, "steploop", {"n": 0, "limit": 3}, internal=True)
    hits = engine.case_cache.hits
    cases.complete_task(engine, _open_task(engine, case_id), {}, actor="sb1")
    cases.complete_task(engine, _open_task(engine, case_id), {}, actor="sb1")
    assert engine.case_cache.hits == hits + 2
    assert queries.get_case(engine, case_id)["data"]["n"] == 2


def test_a_case_moved_on_by_another_process_is_reloaded(engine, other):
    deploy_models(engine, "steploop.bpmn")
    case_id = cases.start_case(engine, "steploop", {"n": 0, "limit": 5}, internal=True)   # cached here
    cases.complete_task(other, _open_task(engine, case_id), {}, actor="sb1")  # the entry is stale now
    cases.complete_task(engine, _open_task(engine, case_id), {}, actor="sb2")
    view = queries.get_case(engine, case_id)
    assert view["data"]["n"] == 2
    assert [h["action"] for h in view["history"]] == ["started", "task_completed", "task_completed"]
    with engine.db.connect() as conn:
        assert audit.verify(conn, case_id) == []


def test_a_task_of_a_case_moved_on_elsewhere_is_completed_in_one_attempt(engine, other, monkeypatch):
    """The work item's read gives the case's revision: a stale entry is dropped before the step,
    not found out by a failed save and a second run of the whole command."""
    deploy_models(engine, "steploop.bpmn")
    case_id = cases.start_case(engine, "steploop", {"n": 0, "limit": 5}, internal=True)   # cached here
    cases.complete_task(other, _open_task(engine, case_id), {}, actor="sb1")  # the entry is stale now
    runs = []
    is_open = engine.runner.is_open  # the first thing the command does with the workflow

    def counted(*args, **kwargs):
        runs.append(args)
        return is_open(*args, **kwargs)

    monkeypatch.setattr(engine.runner, "is_open", counted)
    cases.complete_task(engine, _open_task(engine, case_id), {}, actor="sb2")
    assert len(runs) == 1
    assert queries.get_case(engine, case_id)["data"]["n"] == 2


def test_a_task_of_a_case_moved_on_elsewhere_is_completed_without_a_second_read_of_the_case(engine, other,
                                                                                           monkeypatch):
    """The web process's usual case in the web + worker set-up: the worker saved the case last.
    The work item's read brings the whole case row along; the command reads no case row again."""
    from engine.services import commands

    deploy_models(engine, "steploop.bpmn")
    case_id = cases.start_case(engine, "steploop", {"n": 0, "limit": 5}, internal=True)   # cached here
    cases.complete_task(other, _open_task(engine, case_id), {}, actor="sb1")  # the entry is stale now

    def no_second_read(*_args):
        raise AssertionError("the case row was read a second time")

    monkeypatch.setattr(commands, "_case_row_of", no_second_read)
    cases.complete_task(engine, _open_task(engine, case_id), {}, actor="sb2")
    monkeypatch.undo()
    view = queries.get_case(engine, case_id)
    assert view["data"]["n"] == 2 and [h["action"] for h in view["history"]][-1] == "task_completed"


def test_a_stale_entry_whose_command_would_succeed_is_caught_by_the_revision_check(engine, other):
    deploy_models(engine, "steploop.bpmn")
    case_id = cases.start_case(engine, "steploop", {"n": 0, "limit": 5}, internal=True)
    task_id = _open_task(engine, case_id)
    cases.claim(other, task_id, "sb1")  # changes the row (revision, audit head), not the workflow
    cases.complete_task(engine, task_id, {}, actor="sb1")
    view = queries.get_case(engine, case_id)
    assert [h["action"] for h in view["history"]] == ["started", "task_claimed", "task_completed"]
    with engine.db.connect() as conn:
        assert audit.verify(conn, case_id) == []  # the chain continues from the claim's event


def test_a_failed_command_leaves_no_half_changed_workflow_behind(engine):
    deploy_models(engine, "steploop.bpmn")
    case_id = cases.start_case(engine, "steploop", {"n": 0, "limit": 5}, internal=True)
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
    case_id = cases.start_case(engine, "steploop", {"n": 0, "limit": 5}, internal=True)
    cases.set_suspended(other, case_id, True)
    with pytest.raises(Exception) as caught:
        cases.complete_task(engine, _open_task(engine, case_id), {}, actor="sb1")
    assert "angehalten" in caught.value.user_message


def _complete_and_read(engine, case_id):
    cases.complete_task(engine, _open_task(engine, case_id), {}, actor="sb1")
    data = queries.get_case(engine, case_id)["data"]
    return data["betrag"], data["gleich"]


def test_a_workflow_whose_data_json_changes_is_not_kept(engine):
    """A tuple or a numeric dict key comes back from the stored state as a list / text key: the
    next command must see the stored data, whichever process runs it."""
    deploy_models(engine, "roundtrip.bpmn")
    kept = cases.start_case(engine, "roundtrip", {})
    loaded = cases.start_case(engine, "roundtrip", {})
    engine.case_cache.discard(loaded)               # as if another process had saved it last
    assert _complete_and_read(engine, kept) == _complete_and_read(engine, loaded) == (0, True)


def test_a_command_is_never_run_twice_when_something_fails_after_its_commit(engine, monkeypatch):
    deploy_models(engine, "steploop.bpmn")
    case_id = cases.start_case(engine, "steploop", {"n": 0, "limit": 5}, internal=True)   # kept in the cache
    task_id = _open_task(engine, case_id)
    runs = []

    def complete(cmd):
        runs.append(1)
        cmd.engine.runner.complete_user_task(cmd.wf, task_id, {})

    def failing_commit(self):
        self.conn.commit()
        raise ConnectionError("connection lost after COMMIT was sent")

    from engine.persistence.db import UnitOfWork

    monkeypatch.setattr(UnitOfWork, "commit", failing_commit)
    with pytest.raises(ConnectionError):
        run_case_command(engine, case_id, "sb1", "test", complete)
    assert len(runs) == 1 and queries.get_case(engine, case_id)["data"]["n"] == 1


def test_a_failing_after_commit_follow_up_does_not_fail_the_command(engine, monkeypatch):
    deploy_models(engine, "steploop.bpmn")
    case_id = cases.start_case(engine, "steploop", {"n": 0, "limit": 5}, internal=True)

    def broken_put(*_args):
        raise MemoryError("cache full")

    monkeypatch.setattr(engine.case_cache, "put", broken_put)
    cases.complete_task(engine, _open_task(engine, case_id), {}, actor="sb1")
    assert queries.get_case(engine, case_id)["data"]["n"] == 1


def test_a_case_only_a_worker_process_moves_on_is_not_kept(engine):
    """A process without a worker of its own (a web process beside `amtsflow worker`) keeps no
    entry for a case that waits for nothing but a service job: the worker saves it next. With
    a worker of its own (handing the job over), the entry is kept; so it is for a user task."""
    from engine.jobs import JobExecutor
    from tests.fakes import FakeConnector

    engine.connectors["register"] = FakeConnector()
    deploy_models(engine, "antrag.bpmn", "antrag-start.schema.json", "pruefung.schema.json")
    assert engine.local_worker is None
    case_id = cases.start_case(engine, "antrag", {"name": "Erika", "anzahl": 2}, actor="sb1")
    assert engine.case_cache.take(case_id) is None
    JobExecutor(engine, "w1").run_due()          # the job leaves the case at its user task
    assert engine.case_cache.take(case_id) is not None

    offered = []    # stands for this process's own worker (engine.jobs' hand-over)
    engine.local_worker = SimpleNamespace(owner="w2", offer=offered.append, discard=lambda job_id: None,
                                          takes_current_tenant=lambda: True)
    try:
        case_id = cases.start_case(engine, "antrag", {"name": "Max", "anzahl": 1}, actor="sb1")
        assert engine.case_cache.take(case_id) is not None and len(offered) == 1
    finally:
        engine.local_worker = None
