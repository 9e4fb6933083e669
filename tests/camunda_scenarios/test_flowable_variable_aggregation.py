"""Flowable's flowable:variableAggregation on multi-instance activities, with models of our own
written after Flowable's MultiInstanceVariableAggregationTest (parallel and sequential user tasks,
sequential sub-processes, zero cardinality, boundary cancel). SQLite and PostgreSQL, case cache
off: every wait is a save/restore."""

from __future__ import annotations

from typing import Any

import pytest

from engine.domain.errors import DeploymentError
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:flowable="http://flowable.org/bpmn" targetNamespace="Examples">\n')

USER_TASKS = """
  <process id="reviews">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <userTask id="review" name="Stellungnahme" flowable:candidateGroups="fachamt">
      <multiInstanceLoopCharacteristics isSequential="{sequential}">
        <extensionElements>
          <flowable:variableAggregation target="stellungnahmen">
            <variable source="approved"/>
            <variable source="description" target="text"/>
            <variable sourceExpression="${{loopCounter * 10}}" target="position"/>
          </flowable:variableAggregation>
        </extensionElements>
        <loopCardinality>${{nrOfLoops}}</loopCardinality>{condition}
      </multiInstanceLoopCharacteristics>
    </userTask>
    <boundaryEvent id="abort" attachedToRef="review">
      <messageEventDefinition messageRef="abortMessage"/>
    </boundaryEvent>
    <sequenceFlow id="f2" sourceRef="abort" targetRef="aborted"/>
    <userTask id="aborted"/>
    <sequenceFlow id="f3" sourceRef="review" targetRef="after"/>
    <userTask id="after"/>
    <sequenceFlow id="f4" sourceRef="after" targetRef="end"/>
    <endEvent id="end"/>
  </process>
  <message id="abortMessage" name="abbrechen"/>
</definitions>
"""


def _deploy(scenario: Scenario, body: str, name: str = "aggregation.bpmn20.xml") -> Any:
    return deploy(scenario.engine, [SourceFile(name, (HEAD + body).encode())], actor="scenario")


def _user_tasks(scenario: Scenario, sequential: bool, condition: str = "") -> None:
    _deploy(scenario, USER_TASKS.format(sequential=str(sequential).lower(), condition=condition))


def _complete_open_reviews(scenario: Scenario, case: str, answers: list[dict[str, Any]]) -> None:
    for answer in answers:
        task = [t for t in scenario.tasks(case) if t["element_id"] == "review"][0]
        scenario.complete_task(task["id"], answer)


@pytest.mark.parametrize("sequential", [False, True], ids=["parallel", "sequential"])
def test_instance_variables_are_collected_in_instance_order_and_stay_local(scenario: Scenario,
                                                                           sequential: bool) -> None:
    """testParallelMultiInstanceUserTaskWithoutCreateOverview / testSequentialMultiInstanceUserTask: one
    object per instance, ordered by loopCounter; a variable an instance lacks is left out; approved and
    description do not become case variables."""
    _user_tasks(scenario, sequential)
    case = scenario.start("reviews", {"nrOfLoops": 3, "approved": "vorher"})
    assert len(scenario.tasks(case)) == (1 if sequential else 3)
    _complete_open_reviews(scenario, case, [{"approved": True, "description": "a"}, {"approved": False},
                                            {"approved": True, "description": "c"}])
    assert scenario.waits_at(case) == ["after"]
    data = scenario.data(case)
    result = data["stellungnahmen"]
    assert [r["position"] for r in result] == [0, 10, 20]
    assert sorted(map(str, (r.get("text") for r in result))) == ["None", "a", "c"]
    assert sorted(r["approved"] for r in result) == [False, True, True]
    assert data["approved"] == "vorher" and "description" not in data      # the instances' variables stay local
    if sequential:   # the instances ran in order
        assert [r.get("text") for r in result] == ["a", None, "c"]


def test_no_instance_gives_an_empty_list(scenario: Scenario) -> None:
    """testParallelMultiInstanceUserTaskWithZeroCardinality."""
    _user_tasks(scenario, False)
    case = scenario.start("reviews", {"nrOfLoops": 0})
    assert scenario.waits_at(case) == ["after"]
    assert scenario.data(case)["stellungnahmen"] == []


def test_a_completion_condition_collects_the_completed_instances(scenario: Scenario) -> None:
    _user_tasks(scenario, False, "\n        <completionCondition>${nrOfCompletedInstances >= 2}</completionCondition>")
    case = scenario.start("reviews", {"nrOfLoops": 3})
    _complete_open_reviews(scenario, case, [{"approved": True}, {"approved": False}])
    assert scenario.waits_at(case) == ["after"]
    assert len(scenario.data(case)["stellungnahmen"]) == 2


def test_an_interrupted_activity_sets_no_aggregated_variable(scenario: Scenario) -> None:
    """testParallelMultiInstanceUserTaskWithBoundaryEventCancel."""
    _user_tasks(scenario, False)
    case = scenario.start("reviews", {"nrOfLoops": 3}, business_key="A-1")
    _complete_open_reviews(scenario, case, [{"approved": True}])
    scenario.message("abbrechen", key="A-1")
    assert scenario.waits_at(case) == ["aborted"]
    assert "stellungnahmen" not in scenario.data(case)


SUB_PROCESS = """
  <process id="rounds">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="round"/>
    <subProcess id="round">
      <multiInstanceLoopCharacteristics isSequential="true">
        <extensionElements>
          <flowable:variableAggregation target="results">
            <variable source="carriedBefore"/>
            <variable source="score"/>
          </flowable:variableAggregation>
        </extensionElements>
        <loopCardinality>2</loopCardinality>
      </multiInstanceLoopCharacteristics>
      <startEvent id="subStart"/>
      <sequenceFlow id="s1" sourceRef="subStart" targetRef="look"/>
      <scriptTask id="look" scriptFormat="javascript">
        <script>execution.setVariable('carriedBefore', execution.getVariable('carried'));
execution.setVariable('carried', execution.getVariable('loopCounter'));</script>
      </scriptTask>
      <sequenceFlow id="s2" sourceRef="look" targetRef="rate"/>
      <userTask id="rate"/>
      <sequenceFlow id="s3" sourceRef="rate" targetRef="subEnd"/>
      <endEvent id="subEnd"/>
    </subProcess>
    <sequenceFlow id="f2" sourceRef="round" targetRef="after"/>
    <userTask id="after"/>
  </process>
</definitions>
"""


def test_each_sequential_sub_process_instance_starts_from_the_loop_scope(scenario: Scenario) -> None:
    """testSequentialMultiInstanceSubProcess: what one instance sets the next does not see."""
    _deploy(scenario, SUB_PROCESS)
    case = scenario.start("rounds", {})
    scenario.complete(case, "rate", {"score": 3})
    scenario.complete(case, "rate", {"score": 5})
    assert scenario.waits_at(case) == ["after"]
    data = scenario.data(case)
    assert data["results"] == [{"carriedBefore": None, "score": 3}, {"carriedBefore": None, "score": 5}]
    assert "carried" not in data and "score" not in data


@pytest.mark.parametrize(("attributes", "message"), [
    ('createOverviewVariable="true"', "overview variable"),
    ('storeAsTransientVariable="true"', "transient aggregated variable"),
    ('class="org.example.MyAggregator"', "custom aggregator is Java code"),
])
def test_what_is_not_implemented_is_refused_at_deploy(scenario: Scenario, attributes: str, message: str) -> None:
    body = USER_TASKS.format(sequential="false", condition="").replace(
        'target="stellungnahmen"', f'target="stellungnahmen" {attributes}')
    with pytest.raises(DeploymentError) as err:
        _deploy(scenario, body)
    [problem] = err.value.problems
    assert (problem.file, problem.line, problem.element_id) == ("aggregation.bpmn20.xml", 10, "review")
    assert message in problem.message and "flowable:variableAggregation" in problem.message
