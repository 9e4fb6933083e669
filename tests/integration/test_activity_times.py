"""Waiting time per activity (issue 16), computed in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from engine.bootstrap import Engine
from engine.ports import FakeClock
from engine.runtime.parsing import SourceFile
from engine.services import activity_times, cases, queries
from engine.services.deploy import deploy
from tests.conftest import model


def test_count_mean_median_and_p90_per_activity(engine: Engine, clock: FakeClock) -> None:
    result = deploy(engine, [SourceFile("m.bpmn", (model("migration") / "v2.bpmn").read_bytes())], actor="po")
    definition_id = result.processes[0].definition_id
    for hours in (1, 2, 3, 4, 10):            # five cases, each reviewed after a different wait
        case_id = cases.start_case(engine, "migration_test", {}, actor="t", internal=True)
        clock.advance(timedelta(hours=hours))
        [task] = queries.list_tasks(engine, case_id=case_id)
        cases.complete_task(engine, task["id"], {}, actor="sb1", internal=True)
    times = activity_times.waiting_times(engine, definition_id)
    review = times["antrag_pruefen"]
    assert review.completed == 5
    assert review.mean == timedelta(hours=4)                   # (1+2+3+4+10) / 5
    assert review.median == timedelta(hours=3)                 # rank ceil(2.5) = 3
    assert review.p90 == timedelta(hours=10)                   # rank ceil(4.5) = 5
    assert "freigeben" not in times                            # nothing completed there yet
    later = activity_times.waiting_times(engine, definition_id, since=clock.now() + timedelta(seconds=1))
    assert later == {}
