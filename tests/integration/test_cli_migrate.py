"""`amtsflow migrate` and `amtsflow migration` (issue 16): dry run, batch, progress."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from engine.bootstrap import bootstrap
from engine.jobs import JobExecutor
from engine.runtime.parsing import SourceFile
from engine.services import cases, queries
from engine.services.deploy import deploy
from engine.settings import Settings
from tests.conftest import model
from webui.cli import main

MODELS = model("migration")


@pytest.fixture
def world(database_url: str, clock: Any) -> Any:
    engine = bootstrap(Settings(database_url=database_url), clock=clock)
    deploy(engine, [SourceFile("m.bpmn", (MODELS / "v1.bpmn").read_bytes())], actor="po")
    ids = [cases.start_case(engine, "migration_test", {}, actor="t", internal=True) for _ in range(2)]
    deploy(engine, [SourceFile("m.bpmn", (MODELS / "v2.bpmn").read_bytes())], actor="po")
    yield engine, ids
    engine.db.dispose()


def _run(engine: Any, *args: str) -> Any:
    return CliRunner().invoke(main, list(args), obj=engine, catch_exceptions=False)


def test_dry_run_names_the_unmapped_task_and_changes_nothing(world: Any) -> None:
    engine, ids = world
    out = _run(engine, "migrate", "migration_test", "--from", "1", "--to", "2", "--dry-run")
    assert out.exit_code == 1, out.output
    assert "not in v2" in out.output and "pruefen" in out.output and "refused" in out.output
    out = _run(engine, "migrate", "migration_test", "--from", "1", "--to", "2", "--map", "pruefen=antrag_pruefen",
               "--dry-run")
    assert out.exit_code == 0, out.output
    assert "would wait at antrag_pruefen, frist" in out.output and "2 of 2 case(s) would move" in out.output
    assert all(queries.get_case(engine, c)["version"] == 1 for c in ids)


def test_batch_runs_in_the_worker_and_reports_progress(world: Any) -> None:
    engine, ids = world
    refused = _run(engine, "migrate", "migration_test", "--from", "1", "--to", "2", "--map", "pruefen=antrag_pruefen")
    assert refused.exit_code == 1 and "a comment is required" in refused.output   # a reason is required
    out = _run(engine, "migrate", "migration_test", "--from", "1", "--to", "2", "--map", "pruefen=antrag_pruefen",
               "--comment", "Umstellung auf Version 2", "--user", "po")
    assert out.exit_code == 0, out.output
    batch_id = out.output.split()[1].rstrip(":")
    pending = _run(engine, "migration", batch_id)
    assert "running, 0 migrated, 0 refused, 2 pending of 2" in pending.output
    JobExecutor(engine).run_until_idle()
    done = json.loads(_run(engine, "migration", batch_id, "--json").output)
    assert done["status"] == "done" and done["migrated"] == 2
    assert all(queries.get_case(engine, c)["version"] == 2 for c in ids)
    assert queries.get_case(engine, ids[0])["history"][-1]["actor"] == "po"
