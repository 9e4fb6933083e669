"""Flowable's variable listener on the start event of an event sub-process, with models of our own
written after Flowable's VariableListenerEventSubprocessTest (interrupting, non-interrupting, the
create/update change types, a variable set by a script, another variable name). SQLite and
PostgreSQL, case cache off: every wait is a save/restore."""

from __future__ import annotations

import pytest

from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="Examples">
  <process id="listening">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <userTask id="task"/>
    <sequenceFlow id="f2" sourceRef="task" targetRef="script"/>
    <scriptTask id="script" scriptFormat="javascript">
      <script>execution.setVariable('afterTask', true);</script>
    </scriptTask>
    <sequenceFlow id="f3" sourceRef="script" targetRef="last"/>
    <userTask id="last"/>
    <sequenceFlow id="f4" sourceRef="last" targetRef="end"/>
    <endEvent id="end"/>
    <subProcess id="onChange" triggeredByEvent="true">
      <startEvent id="changed" isInterrupting="{interrupting}">
        <extensionElements>
          <flowable:variableListenerEventDefinition variableName="{variable}"{change}/>
        </extensionElements>
      </startEvent>
      <sequenceFlow id="e1" sourceRef="changed" targetRef="react"/>
      <userTask id="react"/>
      <sequenceFlow id="e2" sourceRef="react" targetRef="reacted"/>
      <endEvent id="reacted"/>
    </subProcess>
  </process>
</definitions>
"""


def _deploy(scenario: Scenario, *, interrupting: bool = True, variable: str = "var1", change: str = "") -> None:
    xml = MODEL.format(interrupting=str(interrupting).lower(), variable=variable,
                       change=f' variableChangeType="{change}"' if change else "")
    deploy(scenario.engine, [SourceFile("listening.bpmn20.xml", xml.encode())], actor="scenario")


def test_interrupting_start_fires_when_the_variable_is_set(scenario: Scenario) -> None:
    """testInterruptingSubProcess and ...DifferentVariableName."""
    _deploy(scenario)
    case = scenario.start("listening", {})
    assert scenario.waits_at(case) == ["task"]
    scenario.set_variables(case, {"var2": "test"})
    assert scenario.waits_at(case) == ["task"]
    scenario.set_variables(case, {"var1": "test"})
    assert scenario.waits_at(case) == ["react"]
    scenario.complete(case, "react")
    assert scenario.status(case) == "completed"


@pytest.mark.parametrize(("change", "fires_at_start"), [("create", True), ("all", True), ("update", False)])
def test_start_variables_are_created_when_the_case_starts(scenario: Scenario, change: str,
                                                          fires_at_start: bool) -> None:
    """testInterruptingSubProcessCreateChangeType: a start variable fires a create listener at once."""
    _deploy(scenario, change=change)
    case = scenario.start("listening", {"var1": "test"})
    assert scenario.waits_at(case) == (["react"] if fires_at_start else ["task"])
    if not fires_at_start:
        scenario.set_variables(case, {"var1": "test"})       # the same value: no change
        assert scenario.waits_at(case) == ["task"]
        scenario.set_variables(case, {"var1": "other"})
        assert scenario.waits_at(case) == ["react"]


def test_a_create_listener_does_not_fire_on_an_update(scenario: Scenario) -> None:
    _deploy(scenario, change="create")
    case = scenario.start("listening", {"var2": "x"})
    assert scenario.waits_at(case) == ["task"]
    scenario.set_variables(case, {"var2": "y", "var1": "new"})
    assert scenario.waits_at(case) == ["react"]
    _deploy(scenario, change="create", variable="var2")
    case = scenario.start("listening", {})
    scenario.set_variables(case, {"var1": "x"})
    assert scenario.waits_at(case) == ["task"]


def test_non_interrupting_start_fires_on_every_change(scenario: Scenario) -> None:
    """testNonInterruptingSubProcess."""
    _deploy(scenario, interrupting=False)
    case = scenario.start("listening", {})
    scenario.set_variables(case, {"var1": "test"})
    assert scenario.waits_at(case) == ["react", "task"]
    scenario.set_variables(case, {"var1": "test2"})
    assert scenario.waits_at(case) == ["react", "react", "task"]
    scenario.set_variables(case, {"var2": "test"})
    assert scenario.waits_at(case) == ["react", "react", "task"]
    for _ in range(2):
        scenario.complete_task(next(t["id"] for t in scenario.tasks(case) if t["element_id"] == "react"))
    scenario.complete(case, "task")
    scenario.complete(case, "last")
    assert scenario.status(case) == "completed"


def test_a_variable_set_by_the_model_fires_it(scenario: Scenario) -> None:
    """testInterruptingSubProcessByServiceTask: the script after the user task sets the variable."""
    _deploy(scenario, variable="afterTask")
    case = scenario.start("listening", {})
    scenario.complete(case, "task")
    assert scenario.waits_at(case) == ["react"]


NESTED = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="Examples">
  <process id="nested">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="inner"/>
    <subProcess id="inner">
      <startEvent id="innerStart"/>
      <sequenceFlow id="i1" sourceRef="innerStart" targetRef="work"/>
      <userTask id="work"/>
      <sequenceFlow id="i2" sourceRef="work" targetRef="innerEnd"/>
      <endEvent id="innerEnd"/>
      <subProcess id="onChange" triggeredByEvent="true">
        <startEvent id="changed">
          <extensionElements>
            <flowable:variableListenerEventDefinition variableName="var1"/>
          </extensionElements>
        </startEvent>
        <sequenceFlow id="e1" sourceRef="changed" targetRef="react"/>
        <userTask id="react"/>
      </subProcess>
    </subProcess>
    <sequenceFlow id="f2" sourceRef="inner" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""


def test_a_scope_entered_later_listens_from_then_on(scenario: Scenario) -> None:
    """The variable the case started with is no change for a sub-process entered later."""
    deploy(scenario.engine, [SourceFile("nested.bpmn20.xml", NESTED.encode())], actor="scenario")
    case = scenario.start("nested", {"var1": "before"})
    assert scenario.waits_at(case) == ["work"]
    scenario.set_variables(case, {"var1": "changed"})
    assert scenario.waits_at(case) == ["react"]
