"""A user task's assignee, candidates, due and follow-up dates and priority given as expressions
(engine.services.task_assignment), evaluated when the task is reached. One that fails or gives a
value of the wrong kind is left out and named in the case's history; the case goes on (bare
SpiffWorkflow completes such models too), and a task left to nobody is offered to the process
owners. Before, the error was swallowed and such a task was silently offered to nobody."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.runtime.parsing import SourceFile
from engine.runtime.task_owners import OWNERS_GROUP
from engine.services import incidents
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="zuweisung" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="vorpruefung"/>
    <userTask id="vorpruefung" name="Vorprüfung" camunda:candidateGroups="poststelle"/>
    <sequenceFlow id="f2" sourceRef="vorpruefung" targetRef="pruefen"/>
    <userTask id="pruefen" name="Antrag prüfen" {attributes}/>
    <sequenceFlow id="f3" sourceRef="pruefen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""


def _deploy(scenario: Scenario, attributes: str) -> None:
    deploy(scenario.engine, [SourceFile("zuweisung.bpmn", _MODEL.format(attributes=attributes).encode())],
           actor="scenario")


def _reach(scenario: Scenario, data: dict[str, Any]) -> str:
    case = scenario.start("zuweisung")
    scenario.complete(case, "vorpruefung", data)
    return case


def _problems(scenario: Scenario, case: str) -> list[str]:
    return [p for event in scenario.case(case)["history"] if isinstance(event["details"], dict)
            for p in event["details"].get("assignment_problems", [])]


def _goes_on(scenario: Scenario, case: str) -> dict[str, Any]:
    assert scenario.status(case) == "waiting"
    assert incidents.list_incidents(scenario.engine, case_id=case) == []
    return scenario.task(case, "pruefen")


def test_an_assignee_over_a_missing_variable_goes_to_the_process_owners_and_the_case_goes_on(
        scenario: Scenario) -> None:
    _deploy(scenario, 'camunda:assignee="${sachbearbeiter}"')
    case = _reach(scenario, {})
    task = _goes_on(scenario, case)
    assert task["assignee"] is None and task["candidate_groups"] == [OWNERS_GROUP]   # never in nobody's inbox
    problems = _problems(scenario, case)
    assert any("pruefen: the user task's assignee '${sachbearbeiter}' could not be evaluated" in p for p in problems)
    assert any("offered to the process owners" in p for p in problems)
    scenario.complete(case, "pruefen")
    assert scenario.status(case) == "completed"


@pytest.mark.parametrize(("attributes", "data", "fragment", "field", "left"), [
    ('camunda:candidateGroups="${gruppen}"', {"gruppen": 5}, "candidate groups '${gruppen}' gave the number 5",
     "candidate_groups", [OWNERS_GROUP]),
    ('camunda:candidateGroups="${gruppen}"', {"gruppen": None}, "gave nothing (null)", "candidate_groups",
     [OWNERS_GROUP]),
    ('camunda:candidateUsers="${personen}" camunda:candidateGroups="sb"', {"personen": [{"name": "kermit"}]},
     "a list with other values", "candidate_users", []),
    ('camunda:assignee="${person}" camunda:candidateGroups="sb"', {"person": {"name": "kermit"}},
     "assignee '${person}' gave a map", "assignee", None),
    ('camunda:dueDate="${frist}"', {"frist": "übermorgen"}, "due date '${frist}' gave 'übermorgen', which is no ISO",
     "due", None),
    ('camunda:followUpDate="${wiedervorlage}"', {"wiedervorlage": 3},
     "follow-up date '${wiedervorlage}' gave the number 3", "follow_up", None),
    ('camunda:priority="${prio}"', {"prio": "hoch"}, "priority '${prio}' gave the text 'hoch', not a whole number",
     "priority", None),
])
def test_a_value_of_the_wrong_kind_is_left_out_and_named(scenario: Scenario, attributes: str, data: dict[str, Any],
                                                         fragment: str, field: str, left: Any) -> None:
    _deploy(scenario, attributes)
    case = _reach(scenario, data)
    task = _goes_on(scenario, case)
    assert task[field] == left
    assert any(fragment in p for p in _problems(scenario, case)), _problems(scenario, case)


def test_values_of_the_right_kinds_are_used(scenario: Scenario) -> None:
    _deploy(scenario, 'camunda:candidateGroups="${gruppen}, ${'"'"'ordnungsamt'"'"'}" '
                      'camunda:candidateUsers="${personen}" camunda:assignee="${person}" '
                      'camunda:dueDate="${frist}" camunda:followUpDate="${wiedervorlage}" camunda:priority="${prio}"')
    case = _reach(scenario, {"gruppen": ["buergerbuero", "kasse"], "personen": "gonzo, fozzie",
                             "person": None, "frist": "P3D", "wiedervorlage": None, "prio": "7"})
    assert scenario.status(case) == "waiting"
    task = scenario.task(case, "pruefen")
    assert sorted(task["candidate_groups"]) == ["buergerbuero", "kasse", "ordnungsamt"]
    assert task["assignee"] is None
    assert task["candidate_users"] == ["gonzo", "fozzie"]
    assert task["due"] == (scenario.clock.now() + timedelta(days=3)).isoformat()
    assert task["follow_up"] is None and task["priority"] == 7


def test_a_citizens_start_goes_on_when_the_first_task_cannot_be_assigned(scenario: Scenario) -> None:
    """Nothing of the application is lost and nothing stops: the first task goes to the process owners."""
    deploy(scenario.engine, [SourceFile("direkt.bpmn", _MODEL.format(attributes="").replace(
        'camunda:candidateGroups="poststelle"', 'camunda:assignee="${zustaendig}"').encode())], actor="scenario")
    case = scenario.start("zuweisung", {"antrag": "Bewohnerparken"})
    found = scenario.case(case)
    assert found["status"] == "waiting" and found["data"]["antrag"] == "Bewohnerparken"
    assert scenario.task(case, "vorpruefung")["candidate_groups"] == [OWNERS_GROUP]
    assert any("'${zustaendig}' could not be evaluated" in p for p in _problems(scenario, case))
    scenario.clock.advance(timedelta(hours=1))
    assert scenario.run_jobs() == 0
