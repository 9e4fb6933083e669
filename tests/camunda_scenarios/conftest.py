"""Harness for scenario tests that port the expected behaviour of Camunda 7's and Flowable's own
engine tests (issue 11) onto amtsflow.

The models are read from ``../shared/corpus`` (never copied into the project); a test whose
model is absent is skipped. Every scenario runs on SQLite and on PostgreSQL (``database_url``
from tests/conftest.py) with the case cache turned off, so every command loads the case from
the database: each wait is a real save/restore.

Use the ``scenario`` fixture::

    def test_receive_task_waits_for_its_message(scenario):
        scenario.deploy_camunda("receivetask/ReceiveTaskTest.testWaitStateBehavior.bpmn20.xml")
        case = scenario.start("receiveTask")
        assert scenario.waits_at(case) == ...
        scenario.message("newInvoice", key=...)
        assert scenario.status(case) == "completed"

Name each test after the Java test it ports (``test_<JavaClass>_<method>`` or a docstring
that names ``JavaClass.method``) so that the ported set can be counted.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest

from engine.bootstrap import Engine, bootstrap
from engine.jobs import JobExecutor
from engine.ports import FakeClock
from engine.runtime.parsing import SourceFile
from engine.services import cases, messages, queries
from engine.services.deploy import DeployResult, deploy
from engine.settings import Settings
from tests.conftest import CORPUS, TEST_COMMAND_SECONDS
from tests.fakes import FakeConnector

CAMUNDA_TESTS = CORPUS / "camunda-engine-tests" / "resources" / "org" / "camunda" / "bpm" / "engine" / "test" / "bpmn"
FLOWABLE_TESTS = CORPUS / "flowable-engine-tests" / "resources" / "org" / "flowable" / "engine" / "test" / "bpmn"


def corpus_file(base: Path, relative: str) -> Path:
    path = base / relative
    if not path.is_file():
        pytest.skip(f"corpus model {relative} not found under {base} (../shared/corpus absent?)")
    return path


class Scenario:
    """One engine (cache off) with a fake clock, a fake connector and a job executor."""

    def __init__(self, engine: Engine, clock: FakeClock) -> None:
        self.engine = engine
        self.clock = clock
        self.connector = FakeConnector()
        engine.connectors["test"] = self.connector
        self.executor = JobExecutor(engine, "scenario-worker")

    # --- deploying ------------------------------------------------------------------------
    def deploy_files(self, paths: list[Path], *, mapping: dict[str, Any] | None = None,
                     extra: dict[str, bytes] | None = None) -> DeployResult:
        files = [SourceFile(p.name, p.read_bytes()) for p in paths]
        if mapping is not None:
            files.append(SourceFile("camunda-mapping.json", json.dumps(mapping).encode()))
        for name, content in (extra or {}).items():
            files.append(SourceFile(name, content))
        return deploy(self.engine, files, actor="scenario")

    def deploy_camunda(self, *relative: str, mapping: dict[str, Any] | None = None,
                       extra: dict[str, bytes] | None = None) -> DeployResult:
        """Deploy models from camunda-engine-tests (paths relative to .../engine/test/bpmn)."""
        return self.deploy_files([corpus_file(CAMUNDA_TESTS, r) for r in relative], mapping=mapping, extra=extra)

    def deploy_flowable(self, *relative: str, mapping: dict[str, Any] | None = None,
                        extra: dict[str, bytes] | None = None) -> DeployResult:
        """Deploy models from flowable-engine-tests (paths relative to .../engine/test/bpmn)."""
        return self.deploy_files([corpus_file(FLOWABLE_TESTS, r) for r in relative], mapping=mapping, extra=extra)

    # --- driving ---------------------------------------------------------------------------
    def start(self, key: str, data: dict[str, Any] | None = None, *, business_key: str | None = None,
              actor: str = "system", run_jobs: bool = True) -> str:
        # internal: like Camunda's RuntimeService/TaskService, the test is the embedding program
        case_id = cases.start_case(self.engine, key, data, business_key=business_key, actor=actor, internal=True)
        if run_jobs:
            self.run_jobs()
        return case_id

    def complete(self, case_id: str, element_id: str, data: dict[str, Any] | None = None, *,
                 actor: str = "system", run_jobs: bool = True) -> None:
        """Complete the one open task of ``case_id`` at ``element_id``."""
        task = self.task(case_id, element_id)
        cases.complete_task(self.engine, task["id"], data, actor=actor, internal=True)
        if run_jobs:
            self.run_jobs()

    def complete_task(self, task_id: str, data: dict[str, Any] | None = None, *, actor: str = "system",
                      run_jobs: bool = True) -> None:
        """Complete the open task ``task_id`` (one of several instances of an element)."""
        cases.complete_task(self.engine, task_id, data, actor=actor, internal=True)
        if run_jobs:
            self.run_jobs()

    def set_variables(self, case_id: str, values: dict[str, Any], *, run_jobs: bool = True) -> None:
        """runtimeService.setVariables(processInstanceId, values)."""
        from engine.services.variables import set_variables

        set_variables(self.engine, case_id, values)
        if run_jobs:
            self.run_jobs()

    def run_jobs(self) -> int:
        return self.executor.run_until_idle()

    def advance(self, delta: timedelta) -> int:
        """Move the clock and run whatever fell due (timers, retries)."""
        self.clock.advance(delta)
        return self.run_jobs()

    def message(self, name: str, key: str | None = None, data: dict[str, Any] | None = None,
                **kwargs: Any) -> messages.MessageOutcome:
        outcome = messages.correlate_message(self.engine, name, key, data, **kwargs)
        self.run_jobs()
        return outcome

    def signal(self, name: str, data: dict[str, Any] | None = None) -> int:
        count = messages.broadcast_signal(self.engine, name, data)
        self.run_jobs()
        return count

    # --- reading ---------------------------------------------------------------------------
    def case(self, case_id: str) -> dict[str, Any]:
        return queries.get_case(self.engine, case_id)

    def status(self, case_id: str) -> str:
        return str(self.case(case_id)["status"])

    def data(self, case_id: str) -> dict[str, Any]:
        return dict(self.case(case_id)["data"])

    def tasks(self, case_id: str) -> list[dict[str, Any]]:
        return list(self.case(case_id)["open_tasks"])

    def waits_at(self, case_id: str) -> list[str]:
        """Element ids of the open user tasks, sorted."""
        return sorted(t["element_id"] for t in self.tasks(case_id))

    def task(self, case_id: str, element_id: str) -> dict[str, Any]:
        matching = [t for t in self.tasks(case_id) if t["element_id"] == element_id]
        assert len(matching) == 1, f"expected one open task {element_id!r}, found {self.waits_at(case_id)}"
        return matching[0]


@pytest.fixture
def scenario(database_url: str) -> Iterator[Scenario]:
    clock = FakeClock()
    eng = bootstrap(Settings(database_url=database_url, case_cache_size=0, max_command_seconds=TEST_COMMAND_SECONDS),
                    clock=clock)
    try:
        yield Scenario(eng, clock)
    finally:
        eng.db.dispose()
