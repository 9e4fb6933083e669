"""amtsflow demo's data: one case of each standard process in its typical state, against the simulators."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.registry import close_connectors, load_connectors
from connectors.simulators import runner
from engine.bootstrap import bootstrap
from engine.services import queries
from engine.settings import Settings
from webui.demo_cli import deploy_process_library
from webui.demo_data import seed_demo_cases

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


@pytest.fixture
def demo_engine(sqlite_url):
    urls = runner.start_all(seed=1)
    connectors = load_connectors(runner.connector_config(urls))
    engine = bootstrap(Settings(database_url=sqlite_url, demo=True), connectors=connectors)
    yield engine
    engine.db.dispose()
    close_connectors(connectors)
    runner.stop()


def test_demo_deploys_all_four_processes_and_seeds_a_case_of_each(demo_engine):
    deployed = deploy_process_library(demo_engine, PROCESSES)
    assert sorted(line.split()[0] for line in deployed) == [
        "bewohnerparkausweis", "gewerbeanmeldung", "hundesteuer-anmeldung", "wohnsitz-ummeldung"]
    lines = seed_demo_cases(demo_engine)
    assert not [line for line in lines if line.startswith("skipped")], lines
    by_key = {c["business_key"]: c for c in queries.list_cases(demo_engine)}
    assert set(by_key) == {"2026-BPA001", "2026-BPA002", "2026-BPA003", "2026-BPA004", "2026-BPA005",
                           "2026-HST001", "2026-GEW001", "2026-UMM001"}
    assert all(c["status"] in ("waiting", "running") for c in by_key.values()), by_key
    open_tasks = {key: [t["element_id"] for t in queries.get_case(demo_engine, c["id"])["open_tasks"]]
                  for key, c in by_key.items()}
    assert open_tasks == {"2026-BPA001": [], "2026-BPA002": [], "2026-BPA003": ["pruefen"],
                          "2026-BPA004": ["ablehnung_freigeben"], "2026-BPA005": ["unterlagen_nachreichen"],
                          "2026-HST001": [], "2026-GEW001": [], "2026-UMM001": []}
    assert seed_demo_cases(demo_engine) == ["cases exist already; none added"]


def test_clerk_review_tasks_are_due_within_the_sla(demo_engine):
    deploy_process_library(demo_engine, PROCESSES)
    seed_demo_cases(demo_engine)
    [task] = [t for t in queries.list_tasks(demo_engine) if t["business_key"] == "2026-BPA003"]
    assert task["element_id"] == "pruefen" and task["due"] is not None
    from datetime import datetime, timedelta

    created = datetime.fromisoformat(task["created_at"])
    assert datetime.fromisoformat(task["due"]) - created == timedelta(days=5)
