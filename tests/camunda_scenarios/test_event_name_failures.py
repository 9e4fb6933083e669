"""A message or signal name given as an expression that cannot be evaluated when the task starts to
wait (a variable the case does not have). Camunda fails the command; here the case is kept, fails
with an incident on the waiting element naming the expression, subscribes to nothing, and a retry
after the variable is set subscribes under the evaluated name. Before, the command crashed with a
WorkflowTaskException and the start (a citizen's application) was lost."""

from __future__ import annotations

import pytest

from engine.runtime.parsing import SourceFile
from engine.services import incidents
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             targetNamespace="t">
  <process id="warten" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="empfang"/>
    {wait}
    <sequenceFlow id="f2" sourceRef="empfang" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
  <message id="m" name="antwort-${{typ}}"/>
  <signal id="s" name="freigabe-${{typ}}"/>
</definitions>"""

RECEIVE = '<receiveTask id="empfang" messageRef="m"/>'
CATCH_SIGNAL = '<intermediateCatchEvent id="empfang"><signalEventDefinition signalRef="s"/></intermediateCatchEvent>'


@pytest.mark.parametrize(("wait", "kind"), [(RECEIVE, "message"), (CATCH_SIGNAL, "signal")])
def test_a_failing_name_fails_the_case_and_a_retry_subscribes(scenario: Scenario, wait: str, kind: str) -> None:
    deploy(scenario.engine, [SourceFile("warten.bpmn", MODEL.format(wait=wait).encode())], actor="scenario")
    case = scenario.start("warten", {"antrag": "Bewohnerparken"}, business_key="AZ-1")
    found = scenario.case(case)
    assert found["status"] == "failed" and found["data"] == {"antrag": "Bewohnerparken"}   # nothing lost
    [incident] = incidents.list_incidents(scenario.engine, case_id=case)
    assert incident["element_id"] == "empfang"
    assert "the name 'antwort-${typ}'" in incident["message"] or "the name 'freigabe-${typ}'" in incident["message"]
    assert "'typ' is not defined" in incident["message"]
    scenario.set_variables(case, {"typ": "ja"})                   # no second incident for the same failure
    assert len(incidents.list_incidents(scenario.engine, case_id=case)) == 1
    incidents.retry_incident(scenario.engine, incident["id"], actor="betrieb")
    assert scenario.status(case) == "waiting"
    if kind == "message":
        scenario.message("antwort-ja", key="AZ-1")
    else:
        scenario.signal("freigabe-ja")
    assert scenario.status(case) == "completed"


def test_a_retry_with_the_variable_still_missing_fails_again(scenario: Scenario) -> None:
    deploy(scenario.engine, [SourceFile("warten.bpmn", MODEL.format(wait=RECEIVE).encode())], actor="scenario")
    case = scenario.start("warten", business_key="AZ-2")
    [incident] = incidents.list_incidents(scenario.engine, case_id=case)
    incidents.retry_incident(scenario.engine, incident["id"], actor="betrieb")
    [again] = incidents.list_incidents(scenario.engine, case_id=case)
    assert again["id"] != incident["id"] and scenario.status(case) == "failed"
