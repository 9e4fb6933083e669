"""Conditional events with ``camunda:variableName`` / ``camunda:variableEvents`` (Camunda 7's
ConditionalEventWithSpecificVariableEventTest, IntermediateConditionalEventTest.
testVariableCondition*, with models of our own): such a condition is evaluated when its event is
reached or its scope entered, and afterwards only when a command created, updated or deleted the
named variable by one of the listed events. Before, these models were refused at deploy. SQLite
and PostgreSQL, the case cache off: every wait is a save/restore."""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="conditionalEventProcess" isExecutable="true">
"""
TAIL = """  </bpmn:process>
</bpmn:definitions>
"""


def _definition(condition: str, name: str | None, events: str | None) -> str:
    attrs = (f' camunda:variableName="{name}"' if name else "") + (f' camunda:variableEvents="{events}"'
                                                                  if events is not None else "")
    return (f'<bpmn:conditionalEventDefinition{attrs}><bpmn:condition xsi:type="bpmn:tFormalExpression">'
            f'{condition}</bpmn:condition></bpmn:conditionalEventDefinition>')


def _intermediate(condition: str, name: str | None, events: str | None) -> str:
    return HEAD + f"""
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="conditionalEvent"/>
    <bpmn:intermediateCatchEvent id="conditionalEvent">{_definition(condition, name, events)}</bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="conditionalEvent" targetRef="after"/>
    <bpmn:userTask id="after"/>
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end"/>
    <bpmn:endEvent id="end"/>
""" + TAIL


# A second branch that removes ``variable`` when its task "remover" completes (runtimeService.removeVariable).
REMOVER = """
    <bpmn:parallelGateway id="fork"/>
    <bpmn:sequenceFlow id="r1" sourceRef="fork" targetRef="remover"/>
    <bpmn:userTask id="remover"/>
    <bpmn:sequenceFlow id="r2" sourceRef="remover" targetRef="remove"/>
    <bpmn:scriptTask id="remove" scriptFormat="javascript"><bpmn:script>execution.removeVariable('variable');</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="r3" sourceRef="remove" targetRef="removed"/>
    <bpmn:endEvent id="removed"/>
"""


def _boundary(condition: str, name: str | None, events: str | None, *, interrupting: bool = True,
              remover: bool = False) -> str:
    first = "fork" if remover else "beforeConditionId"
    return HEAD + f"""
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="{first}"/>{REMOVER if remover else ""}
    {'<bpmn:sequenceFlow id="r0" sourceRef="fork" targetRef="beforeConditionId"/>' if remover else ""}
    <bpmn:userTask id="beforeConditionId"/>
    <bpmn:sequenceFlow id="f2" sourceRef="beforeConditionId" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    <bpmn:boundaryEvent id="conditionalEvent" attachedToRef="beforeConditionId" cancelActivity="{str(interrupting).lower()}">
      {_definition(condition, name, events)}
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="conditionalEvent" targetRef="afterConditionId"/>
    <bpmn:userTask id="afterConditionId"/>
    <bpmn:sequenceFlow id="f4" sourceRef="afterConditionId" targetRef="end2"/>
    <bpmn:endEvent id="end2"/>
""" + TAIL


def _event_sub_process(condition: str, name: str | None, events: str | None, *, interrupting: bool = True,
                       remover: bool = False) -> str:
    first = "fork" if remover else "beforeConditionId"
    return HEAD + f"""
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="{first}"/>{REMOVER if remover else ""}
    {'<bpmn:sequenceFlow id="r0" sourceRef="fork" targetRef="beforeConditionId"/>' if remover else ""}
    <bpmn:userTask id="beforeConditionId"/>
    <bpmn:sequenceFlow id="f2" sourceRef="beforeConditionId" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    <bpmn:subProcess id="eventSub" triggeredByEvent="true">
      <bpmn:startEvent id="conditionalEvent" isInterrupting="{str(interrupting).lower()}">
        {_definition(condition, name, events)}
      </bpmn:startEvent>
      <bpmn:sequenceFlow id="e1" sourceRef="conditionalEvent" targetRef="afterConditionId"/>
      <bpmn:userTask id="afterConditionId"/>
      <bpmn:sequenceFlow id="e2" sourceRef="afterConditionId" targetRef="eventSubEnd"/>
      <bpmn:endEvent id="eventSubEnd"/>
    </bpmn:subProcess>
""" + TAIL


KINDS = {"boundary": _boundary, "event_sub_process": _event_sub_process}


def _deploy(scenario: Scenario, xml: str) -> None:
    deploy(scenario.engine, [SourceFile("conditionalModel.bpmn20.xml", xml.encode())], actor="scenario")


def _after(scenario: Scenario, case: str) -> int:
    return scenario.waits_at(case).count("afterConditionId")


# --- intermediate catch event (IntermediateConditionalEventTest) ---------------------------------

def test_IntermediateConditionalEventTest_testVariableConditionWithVariableName(scenario: Scenario) -> None:
    """A change of another variable does not evaluate the condition (here ``${true}``, which would hold)."""
    _deploy(scenario, _intermediate("${variable1 == 1 || variable == 1}", "variable", None))
    case = scenario.start("conditionalEventProcess")
    assert scenario.waits_at(case) == []
    scenario.set_variables(case, {"variable1": 1})
    assert scenario.waits_at(case) == []
    scenario.set_variables(case, {"variable": 1})
    assert scenario.waits_at(case) == ["after"]
    scenario.complete(case, "after")
    assert scenario.status(case) == "completed"


def test_IntermediateConditionalEventTest_testVariableConditionWithVariableEvent(scenario: Scenario) -> None:
    """variableEvents="update": creating ``variable`` (the condition holds) fires nothing; an update of any variable does."""
    _deploy(scenario, _intermediate("${variable == 1}", None, "update"))
    case = scenario.start("conditionalEventProcess", {"variable1": 0})
    scenario.set_variables(case, {"variable": 1})
    assert scenario.waits_at(case) == []
    scenario.set_variables(case, {"variable1": 1})
    assert scenario.waits_at(case) == ["after"]


def test_IntermediateConditionalEventTest_testVariableConditionWithVariableNameAndEvent(scenario: Scenario) -> None:
    _deploy(scenario, _intermediate("${variable >= 1}", "variable", "update"))
    case = scenario.start("conditionalEventProcess")
    scenario.set_variables(case, {"variable": 1})        # create
    assert scenario.waits_at(case) == []
    scenario.set_variables(case, {"variable1": 2})       # another variable
    assert scenario.waits_at(case) == []
    scenario.set_variables(case, {"variable": 2})        # update
    assert scenario.waits_at(case) == ["after"]


def test_a_filtered_condition_that_holds_when_reached_fires_at_once(scenario: Scenario) -> None:
    """The first evaluation, when the event is reached, is not filtered (Camunda's tryEvaluate without a variable event)."""
    _deploy(scenario, _intermediate("${variable == 1}", "other", "update"))
    case = scenario.start("conditionalEventProcess", {"variable": 1})
    assert scenario.waits_at(case) == ["after"]


# --- boundary events and event sub-process starts (ConditionalEventWithSpecificVariableEventTest) -

@pytest.mark.parametrize("kind", sorted(KINDS))
def test_ConditionalEventWithSpecificVariableEventTest_testVariableConditionWithVariableName(
        scenario: Scenario, kind: str) -> None:
    _deploy(scenario, KINDS[kind]("${variable1 == 1 || variable == 1}", "variable", None))
    case = scenario.start("conditionalEventProcess")
    assert scenario.waits_at(case) == ["beforeConditionId"]
    scenario.set_variables(case, {"variable1": 1})
    assert scenario.waits_at(case) == ["beforeConditionId"]
    scenario.set_variables(case, {"variable": 1})
    assert scenario.waits_at(case) == ["afterConditionId"]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_ConditionalEventWithSpecificVariableEventTest_testVariableConditionWithVariableNameAndEvent(
        scenario: Scenario, kind: str) -> None:
    _deploy(scenario, KINDS[kind]("${variable >= 1}", "variable", "update"))
    case = scenario.start("conditionalEventProcess")
    scenario.set_variables(case, {"variable": 1})        # create: the condition holds, the event is not listed
    assert scenario.waits_at(case) == ["beforeConditionId"]
    scenario.set_variables(case, {"variable": 2})        # update
    assert scenario.waits_at(case) == ["afterConditionId"]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_ConditionalEventWithSpecificVariableEventTest_testNonInterruptingVariableConditionWithVariableName(
        scenario: Scenario, kind: str) -> None:
    """``${true}`` fires when the scope is entered, then on every create, update and delete of
    ``variable`` (four times), never on a change of ``variable1``."""
    _deploy(scenario, KINDS[kind]("${true}", "variable", None, interrupting=False, remover=True))
    case = scenario.start("conditionalEventProcess")
    assert _after(scenario, case) == 1
    scenario.set_variables(case, {"variable1": 1})
    assert _after(scenario, case) == 1
    scenario.set_variables(case, {"variable": 1})        # create
    assert _after(scenario, case) == 2
    scenario.set_variables(case, {"variable": 2})        # update
    assert _after(scenario, case) == 3
    scenario.complete(case, "remover")                   # delete (a script of the other branch)
    assert _after(scenario, case) == 4
    assert "beforeConditionId" in scenario.waits_at(case)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_ConditionalEventWithSpecificVariableEventTest_testNonInterruptingVariableConditionWithVariableNameAndEvents(
        scenario: Scenario, kind: str) -> None:
    """variableEvents="create, update": the delete fires nothing."""
    _deploy(scenario, KINDS[kind]("${variable1 != 5}", "variable", "create, update", interrupting=False,
                                  remover=True))
    case = scenario.start("conditionalEventProcess", {"variable1": 5})
    assert _after(scenario, case) == 0
    scenario.set_variables(case, {"variable1": 0, "variable": 1})   # create
    assert _after(scenario, case) == 1
    scenario.set_variables(case, {"variable": 2})        # update
    assert _after(scenario, case) == 2
    scenario.complete(case, "remover")                   # delete: not listed
    assert _after(scenario, case) == 2


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_ConditionalEventWithSpecificVariableEventTest_testVariableConditionWithVariableEvent(
        scenario: Scenario, kind: str) -> None:
    _deploy(scenario, KINDS[kind]("${variable == 1}", None, "update"))
    case = scenario.start("conditionalEventProcess", {"variable1": 0})
    scenario.set_variables(case, {"variable": 1})        # create
    assert scenario.waits_at(case) == ["beforeConditionId"]
    scenario.set_variables(case, {"variable1": 1})       # update of another variable
    assert scenario.waits_at(case) == ["afterConditionId"]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_ConditionalEventWithSpecificVariableEventTest_testNonInterruptingVariableConditionWithVariableEvent(
        scenario: Scenario, kind: str) -> None:
    _deploy(scenario, KINDS[kind]("${variable >= 1}", None, "update", interrupting=False))
    case = scenario.start("conditionalEventProcess")
    scenario.set_variables(case, {"variable": 1})        # create
    assert _after(scenario, case) == 0
    scenario.set_variables(case, {"variable": 2})        # update
    scenario.set_variables(case, {"variable": 3})        # update
    assert _after(scenario, case) == 2


def test_an_unknown_variable_event_is_refused_at_deploy(scenario: Scenario) -> None:
    xml = _intermediate("${variable == 1}", "variable", "create, change")
    with pytest.raises(DeploymentError) as caught:
        deploy(scenario.engine, [SourceFile("conditionalModel.bpmn20.xml", xml.encode())], actor="scenario")
    [problem] = caught.value.problems
    assert problem.element_id == "conditionalEvent" and "'change'" in problem.message


def test_a_non_interrupting_boundary_event_that_fires_when_entered_stays_subscribed(scenario: Scenario) -> None:
    """Without a filter too (ConditionalEventWithSpecificVariableEventTest's "one from default
    behavior"): ``${true}`` fires when the task is entered and again on the next change; before,
    the boundary event was gone after its first firing."""
    _deploy(scenario, _boundary("${true}", None, None, interrupting=False))
    case = scenario.start("conditionalEventProcess")
    assert _after(scenario, case) == 1
    scenario.set_variables(case, {"variable": 1})
    assert _after(scenario, case) == 2
    scenario.complete(case, "beforeConditionId")
    assert scenario.waits_at(case) == ["afterConditionId", "afterConditionId"]
