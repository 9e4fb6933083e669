"""camunda:jobPriority given as an expression (JobPrioritizationBpmnExpressionValueTest): evaluated
with the task's variables when its job is written; a missing variable or a value that is no
whole number makes the job fail at once with an incident naming jobPriority (Camunda refuses to
create the job). Before, such a model was refused at deploy."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.persistence import tables as t
from engine.runtime.parsing import SourceFile
from engine.services import incidents
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             targetNamespace="t">
  <process id="vorrang" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="abfrage"/>
    <serviceTask id="abfrage" camunda:class="de.stadt.Abfrage" camunda:jobPriority="${prio}"/>
    <sequenceFlow id="f2" sourceRef="abfrage" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""
MAPPING = b'{"delegates": {"de.stadt.Abfrage": "test.lookup"}}'


def _deploy(scenario: Scenario) -> None:
    deploy(scenario.engine, [SourceFile("vorrang.bpmn", MODEL), SourceFile("camunda-mapping.json", MAPPING)],
           actor="scenario")


def test_the_expression_gives_the_jobs_priority(scenario: Scenario) -> None:
    _deploy(scenario)
    scenario.connector.answer("lookup", {})
    case = scenario.start("vorrang", {"prio": 7}, run_jobs=False)
    with scenario.engine.db.connect() as conn:
        priority = conn.execute(select(t.jobs.c.priority).where(t.jobs.c.case_id == case)).scalar_one()
    assert priority == 7
    scenario.run_jobs()
    assert scenario.status(case) == "completed"


@pytest.mark.parametrize(("data", "reason"), [
    ({}, "jobPriority: name 'prio' is not defined"),
    ({"prio": "hoch"}, "jobPriority gave 'hoch', not a whole number"),
    ({"prio": 2.5}, "jobPriority gave 2.5, not a whole number"),
])
def test_a_priority_that_is_no_whole_number_fails_the_job_with_an_incident(scenario: Scenario, data: dict,
                                                                           reason: str) -> None:
    _deploy(scenario)
    case = scenario.start("vorrang", data)
    [incident] = incidents.list_incidents(scenario.engine, case_id=case)
    assert incident["element_id"] == "abfrage" and reason in incident["message"], incident["message"]
    assert scenario.connector.calls == []          # the connector was never called
