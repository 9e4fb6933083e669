"""An operator or the embedding program removes case variables (Camunda's
runtimeService.removeVariables on the process instance, engine-rest's DELETE
/process-instance/{id}/variables/{name}): every branch loses them, a waiting task updated
again does not bring them back, a join does not merge them back, a local input of the same
name stays until its activity ends and the case's value behind it is gone afterwards."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.domain.errors import InvalidState
from engine.runtime.parsing import SourceFile
from engine.services import queries
from engine.services.deploy import deploy
from engine.services.variables import set_variables
from tests.camunda_scenarios.conftest import Scenario

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">')
SET = ('<scriptTask id="setzen" scriptFormat="javascript"><script>'
       'execution.setVariable("x", 1); execution.setVariable("y", 1);</script></scriptTask>')

SEQUENTIAL = f'''{HEAD}
 <process id="folge" isExecutable="true">
  <startEvent id="s"/><sequenceFlow id="f0" sourceRef="s" targetRef="setzen"/>
  {SET}<sequenceFlow id="f1" sourceRef="setzen" targetRef="frist"/>
  <intermediateCatchEvent id="frist"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></intermediateCatchEvent>
  <sequenceFlow id="f2" sourceRef="frist" targetRef="pruefen"/>
  <userTask id="pruefen" camunda:candidateGroups="g"/>
  <sequenceFlow id="f3" sourceRef="pruefen" targetRef="e"/><endEvent id="e"/>
 </process>
</definitions>'''

USER = '<userTask id="{0}" camunda:candidateGroups="g"/>'
TIMER = ('<intermediateCatchEvent id="{0}"><timerEventDefinition><timeDuration>PT1H</timeDuration>'
         '</timerEventDefinition></intermediateCatchEvent>')


def _split(process_id: str, *branches: list[tuple[str, str]]) -> str:
    """setzen -> parallel split -> each branch's elements in sequence -> join -> danach."""
    body = []
    for k, branch in enumerate(branches):
        ids = ["teilen", *(element_id for element_id, _ in branch), "vereinen"]
        body += [template.format(element_id) for element_id, template in branch]
        body += [f'<sequenceFlow id="f{k}_{i}" sourceRef="{a}" targetRef="{b}"/>' for i, (a, b) in
                 enumerate(zip(ids, ids[1:]))]
    joined = "\n  ".join(body)
    return f'''{HEAD}
 <process id="{process_id}" isExecutable="true">
  <startEvent id="s"/><sequenceFlow id="f0" sourceRef="s" targetRef="setzen"/>
  {SET}<sequenceFlow id="f1" sourceRef="setzen" targetRef="teilen"/>
  <parallelGateway id="teilen"/>
  {joined}
  <parallelGateway id="vereinen"/>
  <sequenceFlow id="f4" sourceRef="vereinen" targetRef="danach"/>
  <userTask id="danach" camunda:candidateGroups="g"/>
  <sequenceFlow id="f5" sourceRef="danach" targetRef="e"/><endEvent id="e"/>
 </process>
</definitions>'''


PARALLEL = _split("zweig", [("a", USER)], [("b", USER)])
THREE = _split("drei", [("a", USER)], [("b", USER)], [("c", USER)])
TIMER_BRANCH = _split("frist_zweig", [("a", USER)], [("frist", TIMER), ("b", USER)])

LOCAL = f'''{HEAD}
 <process id="lokal" isExecutable="true">
  <startEvent id="s"/><sequenceFlow id="f0" sourceRef="s" targetRef="setzen"/>
  {SET}<sequenceFlow id="f1" sourceRef="setzen" targetRef="pruefen"/>
  <userTask id="pruefen" camunda:candidateGroups="g">
   <extensionElements><camunda:inputOutput><camunda:inputParameter name="x">lokal</camunda:inputParameter>
   </camunda:inputOutput></extensionElements>
  </userTask>
  <sequenceFlow id="f2" sourceRef="pruefen" targetRef="danach"/>
  <userTask id="danach" camunda:candidateGroups="g"/>
  <sequenceFlow id="f3" sourceRef="danach" targetRef="e"/><endEvent id="e"/>
 </process>
</definitions>'''


def _deploy(scenario: Scenario, name: str, text: str) -> None:
    deploy(scenario.engine, [SourceFile(name, text.encode())], actor="po")


def test_a_removed_variable_stays_gone_after_the_timer_it_waited_at(scenario: Scenario) -> None:
    _deploy(scenario, "folge.bpmn", SEQUENTIAL)
    case = scenario.start("folge")
    set_variables(scenario.engine, case, {}, remove=["x"], actor="betrieb")
    assert scenario.data(case) == {"y": 1}
    scenario.advance(timedelta(hours=2))
    assert scenario.waits_at(case) == ["pruefen"]
    assert "x" not in scenario.task(case, "pruefen").get("data", {})
    scenario.complete(case, "pruefen")
    assert scenario.status(case) == "completed" and scenario.data(case) == {"y": 1}
    events = [e for e in queries.get_case(scenario.engine, case)["history"] if e["action"] == "variables_set"]
    assert events and events[-1]["details"]["removed"] == ["x"] and events[-1]["actor"] == "betrieb"


@pytest.mark.parametrize("first", ["a", "b"])
def test_a_join_does_not_merge_a_removed_variable_back(scenario: Scenario, first: str) -> None:
    """One branch has arrived at the join (with a value of its own) when the variable is
    removed; the other arrives after: the case continues without it, whichever came first."""
    _deploy(scenario, "zweig.bpmn", PARALLEL)
    case = scenario.start("zweig")
    scenario.complete(case, first, {"x": 2})
    set_variables(scenario.engine, case, {"z": 3}, remove=["x"])
    scenario.complete(case, "b" if first == "a" else "a")
    assert scenario.waits_at(case) == ["danach"]
    assert scenario.data(case) == {"y": 1, "z": 3}


def test_a_write_told_to_a_waiting_arrival_is_not_merged_back_after_a_removal(scenario: Scenario) -> None:
    """Branch a waits at the join; branch c's write reaches it (and b); the variable is
    removed; b arrives last: the join's merge keeps the removal, not c's earlier write."""
    _deploy(scenario, "drei.bpmn", THREE)
    case = scenario.start("drei")
    scenario.complete(case, "a")
    scenario.complete(case, "c", {"x": 5})
    set_variables(scenario.engine, case, {}, remove=["x"])
    scenario.complete(case, "b")
    assert scenario.waits_at(case) == ["danach"]
    assert scenario.data(case) == {"y": 1}


def test_a_branch_waiting_at_a_timer_does_not_bring_a_removed_variable_back(scenario: Scenario) -> None:
    """The timer's branch waits while the other branch's task completes (the waiting timer is
    updated again from the data before it) and then fires."""
    _deploy(scenario, "frist_zweig.bpmn", TIMER_BRANCH)
    case = scenario.start("frist_zweig")
    set_variables(scenario.engine, case, {}, remove=["x"])
    scenario.complete(case, "a", {"w": 1})
    scenario.advance(timedelta(hours=2))
    assert scenario.waits_at(case) == ["b"]
    scenario.complete(case, "b")
    assert scenario.waits_at(case) == ["danach"]
    assert scenario.data(case) == {"w": 1, "y": 1}


def test_a_local_input_stays_and_the_case_value_behind_it_is_gone(scenario: Scenario) -> None:
    _deploy(scenario, "lokal.bpmn", LOCAL)
    case = scenario.start("lokal")
    set_variables(scenario.engine, case, {}, remove=["x"])
    scenario.complete(case, "pruefen")
    assert scenario.waits_at(case) == ["danach"]
    assert scenario.data(case) == {"y": 1}


def test_a_value_set_behind_a_local_input_is_there_after_the_activity(scenario: Scenario) -> None:
    _deploy(scenario, "lokal.bpmn", LOCAL)
    case = scenario.start("lokal")
    set_variables(scenario.engine, case, {"x": 7})
    scenario.complete(case, "pruefen")
    assert scenario.data(case) == {"x": 7, "y": 1}


def test_a_variable_cannot_be_set_and_removed_at_once(scenario: Scenario) -> None:
    _deploy(scenario, "folge.bpmn", SEQUENTIAL)
    case = scenario.start("folge")
    with pytest.raises(InvalidState) as caught:
        set_variables(scenario.engine, case, {"x": 2}, remove=["x"])
    assert "zugleich gesetzt und entfernt" in caught.value.user_message
    assert scenario.data(case) == {"x": 1, "y": 1}
