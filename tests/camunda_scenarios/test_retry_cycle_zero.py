"""camunda:failedJobRetryTimeCycle R0/...: the job runs once and is not retried (Camunda sets a
job's retries from the cycle only after its first failure, so Rn means n attempts in all and R0
still one). Found on DigiWF's StreamingTemplateV02, whose error sub-process task has R0/PT10M:
the job was written with no attempt left, never ran, and the case waited forever."""

from __future__ import annotations

import pytest

from engine.runtime.parsing import SourceFile
from engine.services import incidents
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             targetNamespace="t">
  <process id="einmal" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="abfrage"/>
    <serviceTask id="abfrage" camunda:asyncBefore="true" camunda:class="de.stadt.Abfrage">
      <extensionElements><camunda:failedJobRetryTimeCycle>%s</camunda:failedJobRetryTimeCycle></extensionElements>
    </serviceTask>
    <sequenceFlow id="f2" sourceRef="abfrage" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""


def _deploy(scenario: Scenario, cycle: bytes) -> None:
    deploy(scenario.engine, [SourceFile("einmal.bpmn", MODEL % cycle),
                             SourceFile("camunda-mapping.json", b'{"delegates": {"de.stadt.Abfrage": "test.lookup"}}')],
           actor="scenario")


def test_r0_runs_the_job_once(scenario: Scenario) -> None:
    _deploy(scenario, b"R0/PT10M")
    case = scenario.start("einmal", {})
    assert scenario.status(case) == "completed"
    assert len(scenario.connector.calls) == 1


@pytest.mark.parametrize(("cycle", "attempts"), [(b"R0/PT10M", 1), (b"R1/PT1M", 1), (b"R2/PT1M", 2)])
def test_rn_gives_n_attempts_at_least_one_then_an_incident(scenario: Scenario, cycle: bytes, attempts: int) -> None:
    from datetime import timedelta

    _deploy(scenario, cycle)
    scenario.connector.fail_with("lookup", "Register nicht erreichbar")
    case = scenario.start("einmal", {})
    for _ in range(4):
        scenario.advance(timedelta(minutes=20))
    assert len(scenario.connector.calls) == attempts
    [incident] = incidents.list_incidents(scenario.engine, case_id=case)
    assert incident["element_id"] == "abfrage"
