"""A user task's name with ``${...}`` in it, as Camunda 7 shows it (MultiInstanceTest's
``name="My Task ${loopCounter}"`` gives "My Task 0", "My Task 1", ...): evaluated when the task
is reached, in the task's own scope. One that fails is shown as written and named in the case's
history; the case goes on. Before, the inbox showed every such name as written."""

from __future__ import annotations

from typing import Any

from engine.runtime.parsing import SourceFile
from engine.services import incidents, queries
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="benannt" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="pruefen"/>
    <userTask id="pruefen" name="{name}" camunda:candidateGroups="sb">
      <extensionElements>
        <camunda:taskListener event="create" expression="${{task.setVariable('gesehen', task.name)}}"/>
      </extensionElements>
    </userTask>
    <sequenceFlow id="f2" sourceRef="pruefen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""

_MULTI = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="mehrfach" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="miTasks"/>
    <userTask id="miTasks" name="My Task ${loopCounter}" camunda:candidateGroups="sb">
      <multiInstanceLoopCharacteristics>
        <loopCardinality>${nrOfLoops}</loopCardinality>
      </multiInstanceLoopCharacteristics>
    </userTask>
    <sequenceFlow id="f2" sourceRef="miTasks" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""


def _start(scenario: Scenario, name: str, data: dict[str, Any]) -> str:
    escaped = name.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    deploy(scenario.engine, [SourceFile("benannt.bpmn", _MODEL.format(name=escaped).encode())], actor="scenario")
    return scenario.start("benannt", data)


def test_a_name_expression_is_shown_evaluated_in_the_task_and_the_inbox(scenario: Scenario) -> None:
    case = _start(scenario, "Prüfung ${aktenzeichen} (${name}, Eilt: ${eilt}, ${leer})",
                  {"aktenzeichen": "BP-2026-17", "name": "Erika Mustermann", "eilt": True, "leer": None})
    expected = "Prüfung BP-2026-17 (Erika Mustermann, Eilt: true, )"
    assert scenario.task(case, "pruefen")["name"] == expected
    assert [t["name"] for t in queries.list_tasks(scenario.engine, case_id=case)] == [expected]
    assert scenario.data(case)["gesehen"] == expected   # a create listener sees the task named so
    scenario.complete(case, "pruefen")
    assert scenario.status(case) == "completed"


def test_a_name_without_an_expression_stays_as_written(scenario: Scenario) -> None:
    case = _start(scenario, "Antrag prüfen", {})
    assert scenario.task(case, "pruefen")["name"] == "Antrag prüfen"


def test_a_failing_name_expression_is_shown_as_written_and_named_in_the_history(scenario: Scenario) -> None:
    case = _start(scenario, "Prüfung ${unbekannt}", {})
    assert scenario.task(case, "pruefen")["name"] == "Prüfung ${unbekannt}"
    assert scenario.data(case)["gesehen"] == "Prüfung ${unbekannt}"
    assert scenario.status(case) == "waiting" and incidents.list_incidents(scenario.engine, case_id=case) == []
    problems = [p for event in scenario.case(case)["history"] if isinstance(event["details"], dict)
                for p in event["details"].get("assignment_problems", [])]
    assert any("pruefen: the user task's name 'Prüfung ${unbekannt}' could not be evaluated" in p for p in problems)


def test_each_instance_of_a_multi_instance_task_has_its_own_name(scenario: Scenario) -> None:
    # Camunda's MultiInstanceTest.testParallelUserTasks: "My Task 0", "My Task 1", "My Task 2"
    deploy(scenario.engine, [SourceFile("mehrfach.bpmn", _MULTI.encode())], actor="scenario")
    case = scenario.start("mehrfach", {"nrOfLoops": 3})
    tasks = sorted(scenario.tasks(case), key=lambda t: t["name"])
    assert [t["name"] for t in tasks] == ["My Task 0", "My Task 1", "My Task 2"]
    for task in tasks:
        scenario.complete_task(task["id"])
    assert scenario.status(case) == "completed"
