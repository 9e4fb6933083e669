"""Inclusive gateways whose outgoing flows go without condition: Camunda 7 and Flowable take each
such flow (InclusiveGatewayActivityBehavior: a flow without condition is true; the default only
when nothing else is taken); the join waits for every token that can still reach it.
SpiffWorkflow refused such a flow at deploy. SQLite and PostgreSQL, a save/restore at every wait."""

from __future__ import annotations

import pytest

from tests.camunda_scenarios.conftest import CAMUNDA_TESTS, corpus_file
from tests.integration.helpers import MODELS

MODEL = MODELS / "camunda" / "inclusive_unconditioned.bpmn"
GATEWAY = "gateway/InclusiveGatewayTest."


@pytest.mark.parametrize("betrag, started", [(50, ["bauamt", "ordnungsamt"]),
                                             (500, ["bauamt", "kasse", "ordnungsamt"])])
def test_every_flow_without_condition_is_taken_and_the_join_waits_for_them(scenario, betrag, started):
    scenario.deploy_files([MODEL])
    case = scenario.start("beteiligung", {"betrag": betrag})
    assert scenario.waits_at(case) == started                    # never the default: others were taken
    for element in started[:-1]:
        scenario.complete(case, element)
        assert scenario.waits_at(case) == started[started.index(element) + 1:]   # the join still waits
    scenario.complete(case, started[-1])
    assert scenario.waits_at(case) == ["bescheid"]
    scenario.complete(case, "bescheid")
    assert scenario.status(case) == "completed"


@pytest.mark.corpus
def test_InclusiveGatewayTest_testNoIdOnSequenceFlow(scenario):
    scenario.deploy_files([corpus_file(CAMUNDA_TESTS, GATEWAY + "testNoIdOnSequenceFlow.bpmn20.xml")])
    case = scenario.start("inclusiveNoIdOnSequenceFlow", {"input": 3})
    assert scenario.waits_at(case) == ["theTask2"]                # "Input is more than one"
    case = scenario.start("inclusiveNoIdOnSequenceFlow", {"input": 1})
    assert scenario.waits_at(case) == ["theTask1", "theTask2"]    # both on 1


@pytest.mark.corpus
def test_InclusiveGatewayTest_testJoinAfterCall(scenario):
    scenario.deploy_files([corpus_file(CAMUNDA_TESTS, GATEWAY + "testJoinAfterCall.bpmn20.xml"),
                           corpus_file(CAMUNDA_TESTS, GATEWAY + "testJoinAfterCallSubProcess.bpmn20.xml")])
    case = scenario.start("InclusiveGatewayAfterCall")
    assert len(scenario.tasks(case)) == 3                         # A, B and C in the called process
    scenario.complete(case, "taskA")
    assert len(scenario.tasks(case)) == 2
    scenario.complete(case, "taskB")
    [task_c] = scenario.tasks(case)
    scenario.complete_task(task_c["id"])
    assert scenario.waits_at(case) == ["taskD"]                   # the join fired once


@pytest.mark.corpus
@pytest.mark.parametrize("java", ["testJoinAfterSequentialMultiInstanceSubProcess",
                                  "testJoinAfterParallelMultiInstanceSubProcess", "testJoinAfterNestedScopes"])
def test_InclusiveGatewayTest_join_waits_for_a_scope_still_running(scenario, java):
    scenario.deploy_files([corpus_file(CAMUNDA_TESTS, GATEWAY + java + ".bpmn20.xml")])
    case = scenario.start("process")
    scenario.complete(case, "task")
    assert "taskAfterJoin" not in scenario.waits_at(case)
