"""A user task's assignee, candidates, due and follow-up dates and priority given as expressions
(engine.services.task_assignment): evaluated when the task is reached, strictly as Camunda 7's
TaskDecorator evaluates them. One that fails or gives a value of the wrong kind fails the step
with an incident on the task (which reaches no inbox); a retry after the data were corrected
offers the task as the model says. Before, such a task was silently offered to nobody."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.runtime.parsing import SourceFile
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


def _failed_on_pruefen(scenario: Scenario, case: str, *fragments: str) -> dict[str, Any]:
    found = scenario.case(case)
    assert found["status"] == "failed", found
    assert scenario.tasks(case) == []                    # the task reached no inbox
    open_incidents = incidents.list_incidents(scenario.engine, case_id=case)
    assert [i["element_id"] for i in open_incidents] == ["pruefen"]
    for fragment in fragments:
        assert fragment in open_incidents[0]["message"], open_incidents[0]["message"]
    return open_incidents[0]


def test_an_assignee_expression_over_a_missing_variable_fails_the_step_and_a_retry_assigns(scenario: Scenario) -> None:
    _deploy(scenario, 'camunda:assignee="${sachbearbeiter}"')
    case = _reach(scenario, {})
    incident = _failed_on_pruefen(scenario, case, "pruefen: the user task's assignee '${sachbearbeiter}' "
                                                  "could not be evaluated")
    scenario.set_variables(case, {"sachbearbeiter": "kermit"})
    incidents.retry_incident(scenario.engine, incident["id"], actor="betrieb")
    scenario.run_jobs()
    assert scenario.status(case) == "waiting"
    assert [(t["element_id"], t["assignee"]) for t in scenario.tasks(case)] == [("pruefen", "kermit")]
    scenario.complete(case, "pruefen", actor="kermit")
    assert scenario.status(case) == "completed"


def test_a_retry_with_the_data_still_wrong_fails_again(scenario: Scenario) -> None:
    _deploy(scenario, 'camunda:assignee="${sachbearbeiter}"')
    case = _reach(scenario, {})
    incident = _failed_on_pruefen(scenario, case)
    incidents.retry_incident(scenario.engine, incident["id"], actor="betrieb")
    _failed_on_pruefen(scenario, case, "could not be evaluated")


@pytest.mark.parametrize(("attributes", "data", "fragment"), [
    ('camunda:candidateGroups="${gruppen}"', {"gruppen": 5}, "candidate groups '${gruppen}' gave the number 5"),
    ('camunda:candidateGroups="${gruppen}"', {"gruppen": None}, "gave nothing (null)"),
    ('camunda:candidateUsers="${personen}"', {"personen": [{"name": "kermit"}]}, "a list with other values"),
    ('camunda:assignee="${person}"', {"person": {"name": "kermit"}}, "assignee '${person}' gave a map"),
    ('camunda:dueDate="${frist}"', {"frist": "übermorgen"}, "due date '${frist}' gave 'übermorgen', which is no ISO"),
    ('camunda:followUpDate="${wiedervorlage}"', {"wiedervorlage": 3}, "follow-up date '${wiedervorlage}' gave the number 3"),
    ('camunda:priority="${prio}"', {"prio": "hoch"}, "priority '${prio}' gave the text 'hoch', not a whole number"),
])
def test_a_value_of_the_wrong_kind_fails_the_step(scenario: Scenario, attributes: str, data: dict[str, Any],
                                                  fragment: str) -> None:
    _deploy(scenario, attributes)
    case = _reach(scenario, data)
    _failed_on_pruefen(scenario, case, fragment)


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


def test_a_citizens_start_is_kept_when_the_first_task_cannot_be_assigned(scenario: Scenario) -> None:
    """Nothing of the application is lost: the case exists, failed, with an incident to repair."""
    deploy(scenario.engine, [SourceFile("direkt.bpmn", _MODEL.format(attributes="").replace(
        'camunda:candidateGroups="poststelle"', 'camunda:assignee="${zustaendig}"').encode())], actor="scenario")
    case = scenario.start("zuweisung", {"antrag": "Bewohnerparken"})
    found = scenario.case(case)
    assert found["status"] == "failed" and found["data"]["antrag"] == "Bewohnerparken"
    assert [i["element_id"] for i in incidents.list_incidents(scenario.engine, case_id=case)] == ["vorpruefung"]
    scenario.clock.advance(timedelta(hours=1))
    assert scenario.run_jobs() == 0          # no job retries the failed step on its own
