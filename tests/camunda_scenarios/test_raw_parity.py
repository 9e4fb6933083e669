"""Models that bare SpiffWorkflow completes and the engine refused or ran to no end
(bench/compat.py's raw column): each fix with a model of our own, on SQLite and PostgreSQL
with the case cache off (every command loads the case from the database)."""

from __future__ import annotations

import pytest

from tests.camunda_scenarios.conftest import Scenario

FLOWABLE = ('<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:flowable="http://flowable.org/bpmn" targetNamespace="https://musterstadt.example/flowable">'
            '{body}</definitions>')

# B, then C and D in parallel; C ends in a terminate end event that ends every instance
_INSTANCE = """
      <startEvent id="{p}start"/>
      <sequenceFlow id="{p}f1" sourceRef="{p}start" targetRef="B"/>
      <userTask id="B" name="B"/>
      <sequenceFlow id="{p}f2" sourceRef="B" targetRef="{p}fork"/>
      <parallelGateway id="{p}fork"/>
      <sequenceFlow id="{p}f3" sourceRef="{p}fork" targetRef="C"/>
      <sequenceFlow id="{p}f4" sourceRef="{p}fork" targetRef="D"/>
      <userTask id="C" name="C"/>
      <sequenceFlow id="{p}f5" sourceRef="C" targetRef="{p}terminate"/>
      <endEvent id="{p}terminate"><terminateEventDefinition flowable:terminateMultiInstance="true"/></endEvent>
      <userTask id="D" name="D"/>
      <sequenceFlow id="{p}f6" sourceRef="D" targetRef="{p}end"/>
      <endEvent id="{p}end"/>"""

_AROUND = """
  <process id="{key}" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="mi"/>
    {mi}
    <sequenceFlow id="f2" sourceRef="mi" targetRef="afterMi"/>
    <userTask id="afterMi" name="AfterMi"/>
    <sequenceFlow id="f3" sourceRef="afterMi" targetRef="end"/>
    <endEvent id="end"/>
  </process>"""


def _loop(sequential: bool) -> str:
    return (f'<multiInstanceLoopCharacteristics isSequential="{str(sequential).lower()}">'
            '<loopCardinality>3</loopCardinality></multiInstanceLoopCharacteristics>')


def _embedded(sequential: bool) -> bytes:
    mi = f'<subProcess id="mi">{_loop(sequential)}{_INSTANCE.format(p="s_")}</subProcess>'
    return FLOWABLE.format(body=_AROUND.format(key="terminate_mi", mi=mi)).encode()


def _called(sequential: bool) -> dict[str, bytes]:
    mi = f'<callActivity id="mi" calledElement="terminate_mi_called">{_loop(sequential)}</callActivity>'
    called = f'<process id="terminate_mi_called" isExecutable="true">{_INSTANCE.format(p="c_")}</process>'
    return {"terminate_mi.bpmn20.xml": FLOWABLE.format(body=_AROUND.format(key="terminate_mi", mi=mi)).encode(),
            "terminate_mi_called.bpmn20.xml": FLOWABLE.format(body=called).encode()}


@pytest.mark.parametrize("sequential", [False, True], ids=["parallel", "sequential"])
@pytest.mark.parametrize("called", [False, True], ids=["embedded", "call-activity"])
def test_terminate_multi_instance_ends_every_instance(scenario: Scenario, sequential: bool, called: bool) -> None:
    """Flowable's TerminateMultiInstanceEndEventTest.testMultiInstanceEmbeddedSubprocess2(Sequential) and
    testTerminateMiCallactivity(Sequential): a terminate end event with terminateMultiInstance="true"
    in one instance ends every instance of the multi-instance activity; the flow goes on after it."""
    files = _called(sequential) if called else {"terminate_mi.bpmn20.xml": _embedded(sequential)}
    scenario.deploy_files([], extra=files)
    case = scenario.start("terminate_mi")
    b_tasks = [t for t in scenario.tasks(case) if t["element_id"] == "B"]
    assert len(b_tasks) == (1 if sequential else 3)
    scenario.complete_task(b_tasks[0]["id"])
    assert sorted(t["element_id"] for t in scenario.tasks(case)) == sorted(["B"] * (0 if sequential else 2) + ["C", "D"])
    scenario.complete(case, "C")
    assert scenario.waits_at(case) == ["afterMi"]
    scenario.complete(case, "afterMi")
    assert scenario.status(case) == "completed"


def test_terminate_multi_instance_outside_an_instance_ends_its_own_level(scenario: Scenario) -> None:
    """Without an enclosing multi-instance activity the terminate end event ends its process, as
    Flowable's TerminateEndEventActivityBehavior falls back to the default terminate."""
    files = _called(False)
    scenario.deploy_files([], extra=files)
    case = scenario.start("terminate_mi_called")
    scenario.complete(case, "B")
    scenario.complete(case, "C")
    assert scenario.status(case) == "completed"


COMPLETER = FLOWABLE.format(body="""
  <process id="completer" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="pruefen"/>
    <userTask id="pruefen" flowable:taskCompleterVariableName="geprueftVon"/>
    <sequenceFlow id="f2" sourceRef="pruefen" targetRef="freigeben"/>
    <userTask id="freigeben" flowable:taskCompleterVariableName="${'freigegebenVon'}"/>
    <sequenceFlow id="f3" sourceRef="freigeben" targetRef="abschliessen"/>
    <userTask id="abschliessen" flowable:taskCompleterVariableName="abgeschlossenVon"/>
    <sequenceFlow id="f4" sourceRef="abschliessen" targetRef="end"/>
    <endEvent id="end"/>
  </process>""").encode()


def test_task_completer_variable_name_holds_who_completed_the_task(scenario: Scenario) -> None:
    """Flowable's UserTaskTest.testUserTaskCompleterVariableName: flowable:taskCompleterVariableName
    (a name or an expression yielding it) stores the id of the user completing the task; a task
    completed by the system (no authenticated user) stores null."""
    scenario.deploy_files([], extra={"completer.bpmn20.xml": COMPLETER})
    case = scenario.start("completer")
    scenario.complete(case, "pruefen", actor="erika")
    assert scenario.data(case)["geprueftVon"] == "erika"
    scenario.complete(case, "freigeben", actor="max")
    assert scenario.data(case)["freigegebenVon"] == "max"
    scenario.complete(case, "abschliessen")
    assert scenario.status(case) == "completed"
    data = scenario.data(case)
    assert "abgeschlossenVon" in data and data["abgeschlossenVon"] is None
