"""Flow nodes whose ids SpiffWorkflow uses for its own task specs (``Start``, ``End``, ``Root``,
``StartEventSplit``, ``StartEventJoin``, ``<process>.EndJoin``, ``<id>.BoundaryEventJoin``) run as
Camunda runs them: the library gets another name for their specs (engine.runtime.reserved_ids),
everyone else sees the element's own id (work items, completed elements, listeners, mappings,
case modification). SQLite and PostgreSQL, every wait a save/restore (scenario: cache off)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.runtime.modification import Instruction
from engine.services import case_modification
from tests.camunda_scenarios.conftest import CAMUNDA_TESTS, FLOWABLE_TESTS, corpus_file
from tests.integration.helpers import MODELS

MODEL = MODELS / "camunda" / "reserved_ids.bpmn"


def _completed(scenario, case: str) -> set[str]:
    return {element for element, _name, _kind in case_modification.choices(scenario.engine, case).completed}


def test_reserved_ids_run_and_keep_their_ids(scenario):
    scenario.deploy_files([MODEL])
    case = scenario.start("vorbehalt", {"menge": 3})
    assert scenario.waits_at(case) == ["Root", "StartEventJoin"]
    assert scenario.task(case, "Root")["candidate_groups"] == ["pruefung"]
    assert scenario.data(case)["gestartet"] == "ja"                    # the start event's end listener
    completed = _completed(scenario, case)
    assert "StartEventSplit" in completed and "Start" not in completed   # (start events are not offered to restart)
    scenario.complete(case, "StartEventJoin")
    data = scenario.data(case)
    assert data["gebuehr"] == 30 and "satz" not in data                # its input stayed local, its output came out
    assert scenario.waits_at(case) == ["Root"]
    scenario.complete(case, "Root")
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["beendet"] == "ja"                      # the end event's start listener
    assert {"Root", "StartEventJoin", "Zusammen", "Root.BoundaryEventJoin", "End"} <= _completed(scenario, case)


def test_the_boundary_timer_of_root_leads_to_a_task_named_like_the_end_join(scenario):
    scenario.deploy_files([MODEL])
    case = scenario.start("vorbehalt", {"menge": 1})
    scenario.advance(timedelta(hours=1))
    assert scenario.waits_at(case) == ["StartEventJoin", "vorbehalt.EndJoin"]
    scenario.complete(case, "vorbehalt.EndJoin")
    assert scenario.status(case) != "completed"                       # the join still waits for the fee
    scenario.complete(case, "StartEventJoin")
    assert scenario.status(case) == "completed"
    assert "Root" not in _completed(scenario, case)


def test_case_modification_names_the_elements_by_their_ids(scenario):
    scenario.deploy_files([MODEL])
    case = scenario.start("vorbehalt", {"menge": 2})
    scenario.complete(case, "Root")
    choices = case_modification.choices(scenario.engine, case)
    assert "Root" in {element for element, _name, _kind in choices.startable}
    case_modification.modify(scenario.engine, case, Instruction("restart", "Root"), actor="po", comment="nochmal")
    assert scenario.waits_at(case) == ["Root", "StartEventJoin"]


@pytest.mark.corpus
def test_ParallelGatewayTest_testNestedForkJoin(scenario):
    """Camunda's model names its start event ``Start`` and its end event ``End``."""
    scenario.deploy_files([corpus_file(CAMUNDA_TESTS, "gateway/ParallelGatewayTest.testNestedForkJoin.bpmn20.xml")])
    case = scenario.start("nestedForkJoin")
    assert scenario.waits_at(case) == ["Task_0"]
    scenario.complete(case, "Task_0")
    assert scenario.waits_at(case) == ["Task_A", "Task_B"]
    scenario.complete(case, "Task_A")
    assert scenario.waits_at(case) == ["Task_B"]
    scenario.complete(case, "Task_B")
    assert scenario.waits_at(case) == ["Task_B1", "Task_B2"]
    scenario.complete(case, "Task_B1")
    scenario.complete(case, "Task_B2")
    assert scenario.waits_at(case) == ["Task_C"]
    scenario.complete(case, "Task_C")
    assert scenario.status(case) == "completed"


@pytest.mark.corpus
def test_flowable_ParallelGatewayTest_testNestedForkJoin(scenario):
    scenario.deploy_files([corpus_file(FLOWABLE_TESTS, "gateway/ParallelGatewayTest.testNestedForkJoin.bpmn20.xml")])
    case = scenario.start("nestedForkJoin")
    scenario.complete(case, "Task_0")
    assert scenario.waits_at(case) == ["Task_A", "Task_B"]


@pytest.mark.corpus
def test_InputOutputTest_testOutputPlainTask(scenario):
    """A plain task after ``Start`` with an output parameter: the variable reaches the process
    instance ('baroque') while the user task before ``End`` waits."""
    scenario.deploy_files([corpus_file(CAMUNDA_TESTS, "iomapping/InputOutputTest.testOutputPlainTask.bpmn20.xml")])
    case = scenario.start("process", {"foo": "bar"})
    assert scenario.waits_at(case) == ["UserTask"]
    assert scenario.data(case)["var"] == "baroque"
    scenario.complete(case, "UserTask")
    assert scenario.status(case) == "completed"
