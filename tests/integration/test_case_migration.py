"""Migrating running cases to another version (issue 16): plans, per-case checks, dry runs, batches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.bootstrap import Engine
from engine.domain.errors import FormValidationError
from engine.jobs import JobExecutor
from engine.ports import FakeClock
from engine.runtime.parsing import SourceFile
from engine.services import case_migration, cases, queries
from engine.services.case_migration import MigrationPlan
from engine.services.deploy import deploy
from tests.conftest import model

MODELS = model("migration")
PLAN = MigrationPlan("migration_test", 1, 2, {"pruefen": "antrag_pruefen", "start": "start", "frist": "frist",
                                              "ende": "ende", "verfristet": "verfristet"})


def _deploy(engine: Engine, name: str) -> None:
    deploy(engine, [SourceFile("migration_test.bpmn", (MODELS / name).read_bytes())], actor="po")


@pytest.fixture
def v1_cases(engine: Engine) -> list[str]:
    _deploy(engine, "v1.bpmn")
    ids = [cases.start_case(engine, "migration_test", {"n": n}, actor="test", internal=True) for n in range(3)]
    _deploy(engine, "v2.bpmn")
    return ids


def _open(engine: Engine, case_id: str) -> list[dict[str, Any]]:
    return queries.list_tasks(engine, case_id=case_id)


def test_the_proposal_maps_unchanged_ids_and_lists_renamed_ones(engine: Engine, v1_cases: list[str]) -> None:
    proposal = case_migration.propose(engine, "migration_test", 1, 2)
    assert proposal.unmapped == ["pruefen"]
    assert proposal.plan.mapping["frist"] == "frist" and "pruefen" not in proposal.plan.mapping
    assert "freigeben" in {e.id for e in proposal.target}


@pytest.mark.parametrize("mapping,field", [({"pruefen": "gibt_es_nicht"}, "pruefen"),
                                           ({"unbekannt": "freigeben"}, "unbekannt"),
                                           ({"pruefen": "frist"}, "pruefen")])          # user task -> event
def test_a_wrong_plan_is_refused(engine: Engine, v1_cases: list[str], mapping: dict[str, str], field: str) -> None:
    with pytest.raises(FormValidationError) as refused:
        case_migration.check_plan(engine, MigrationPlan("migration_test", 1, 2, mapping))
    assert field in refused.value.field_errors


def test_a_renamed_user_task_and_its_timer_move_to_version_2(engine: Engine, v1_cases: list[str],
                                                             clock: FakeClock) -> None:
    case_id = v1_cases[0]
    [before] = _open(engine, case_id)
    cases.claim(engine, before["id"], "sb1")
    timer_due = _jobs(engine, case_id)
    result = case_migration.migrate_case(engine, case_id, PLAN, actor="po", comment="Neue Prüfschritte")
    assert result.migrated and result.issues == []
    engine.case_cache.discard(case_id)                           # the next command loads from the database
    case = queries.get_case(engine, case_id)
    assert case["version"] == 2
    [after] = _open(engine, case_id)
    assert after["id"] == before["id"] and after["element_id"] == "antrag_pruefen"
    assert after["name"] == "Antrag fachlich prüfen" and after["assignee"] == "sb1"
    assert _jobs(engine, case_id) == timer_due                  # the deadline did not restart
    event = case["history"][-1]
    assert event["action"] == "migrated" and event["details"]["comment"] == "Neue Prüfschritte"
    assert event["details"]["mapping"] == {"pruefen": "antrag_pruefen"}
    cases.complete_task(engine, after["id"], {}, actor="sb1", internal=True)
    assert [t["element_id"] for t in _open(engine, case_id)] == ["freigeben"]   # version 2's path


def test_the_migrated_timer_still_fires(engine: Engine, v1_cases: list[str], clock: FakeClock) -> None:
    case_id = v1_cases[1]
    case_migration.migrate_case(engine, case_id, PLAN, actor="po", comment="Umstellung")
    engine.case_cache.discard(case_id)
    clock.advance(timedelta(days=15))
    JobExecutor(engine).run_until_idle()
    case = queries.get_case(engine, case_id)
    assert case["status"] == "completed" and _open(engine, case_id) == []


def test_an_unmapped_open_task_refuses_the_case_and_changes_nothing(engine: Engine, v1_cases: list[str]) -> None:
    plan = MigrationPlan("migration_test", 1, 2, {})
    result = case_migration.migrate_case(engine, v1_cases[0], plan, actor="po", comment="Ohne Zuordnung")
    assert not result.migrated and "kein Gegenstück" in result.issues[0].message
    case = queries.get_case(engine, v1_cases[0])
    assert case["version"] == 1 and case["history"][-1]["action"] != "migrated"


def test_a_dry_run_tells_where_each_case_would_wait(engine: Engine, v1_cases: list[str]) -> None:
    results = case_migration.dry_run(engine, PLAN, sample=2)
    assert len(results) == 2 and all(not r.migrated and not r.issues for r in results)
    assert sorted(results[0].position.values()) == ["antrag_pruefen", "frist"]   # the task and its timer
    assert all(queries.get_case(engine, c)["version"] == 1 for c in v1_cases)


def test_a_case_inside_a_multi_instance_is_refused(engine: Engine) -> None:
    _deploy(engine, "mi.bpmn")
    case_id = cases.start_case(engine, "migration_test", {}, actor="test", internal=True)
    _deploy(engine, "v1.bpmn")
    result = case_migration.migrate_case(engine, case_id, MigrationPlan("migration_test", 1, 2, {}), actor="po",
                                         comment="Mehrfach")
    assert not result.migrated and any("Mehrfachinstanz" in i.message for i in result.issues)
    assert queries.get_case(engine, case_id)["version"] == 1


def test_a_batch_migrates_in_slices_and_reports_each_case(engine: Engine, v1_cases: list[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(case_migration, "SLICE", 2)
    cases.cancel_case(engine, v1_cases[2], actor="po", reason="zurückgezogen")   # ends before the batch runs
    batch_id = case_migration.start_batch(engine, PLAN, actor="po", comment="Umstellung auf v2",
                                          case_ids=v1_cases)
    assert case_migration.get_batch(engine, batch_id).status == "running"
    JobExecutor(engine).run_until_idle()
    batch = case_migration.get_batch(engine, batch_id)
    assert batch.status == "done" and (batch.total, batch.migrated, batch.refused) == (3, 2, 1)
    by_case = {c["case_id"]: c for c in batch.cases}
    assert by_case[v1_cases[2]]["status"] == "refused" and "abgeschlossen" in by_case[v1_cases[2]]["message"]
    assert [queries.get_case(engine, c)["version"] for c in v1_cases[:2]] == [2, 2]


def _jobs(engine: Engine, case_id: str) -> list[Any]:
    from sqlalchemy import select

    from engine.persistence import tables as t
    with engine.db.connect() as conn:
        return [tuple(r) for r in conn.execute(select(t.jobs.c.kind, t.jobs.c.due_at)
                                                .where(t.jobs.c.case_id == case_id).order_by(t.jobs.c.due_at))]
