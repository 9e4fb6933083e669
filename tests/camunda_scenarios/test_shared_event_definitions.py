"""BPMN constructs a conformance suite exercises and that SpiffWorkflow's parser does not read:

* ``eventDefinitionRef``: an event names an event definition written once under ``definitions``
  (engine.runtime.checks.inline_event_definition_refs gives each event its own copy);
* multi-instance ``behavior`` None, One or Complex without the events they would throw when
  instances complete: they run as ``All`` (no event is thrown either way).

SQLite and PostgreSQL, a save/restore at every wait (the scenario's case cache is off)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.domain.errors import DeploymentError
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:tns="urn:t" targetNamespace="urn:t">')

SHARED = HEAD + """
  <message id="nachricht" name="Unterlagen"/>
  <timerEventDefinition id="frist"><timeDuration>PT2H</timeDuration></timerEventDefinition>
  <messageEventDefinition id="unterlagen" messageRef="nachricht"/>
  <process id="geteilt" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="warten"/>
    <intermediateCatchEvent id="warten"><eventDefinitionRef>tns:frist</eventDefinitionRef></intermediateCatchEvent>
    <sequenceFlow id="f2" sourceRef="warten" targetRef="empfang"/>
    <intermediateCatchEvent id="empfang"><eventDefinitionRef>unterlagen</eventDefinitionRef></intermediateCatchEvent>
    <sequenceFlow id="f3" sourceRef="empfang" targetRef="pruefen"/>
    <userTask id="pruefen" camunda:candidateGroups="sb"/>
    <boundaryEvent id="zu_spaet" attachedToRef="pruefen"><eventDefinitionRef>frist</eventDefinitionRef></boundaryEvent>
    <sequenceFlow id="f4" sourceRef="pruefen" targetRef="ende"/>
    <sequenceFlow id="f5" sourceRef="zu_spaet" targetRef="verspaetet"/>
    <endEvent id="ende"/>
    <endEvent id="verspaetet"/>
  </process>
</definitions>"""


def test_events_that_name_shared_event_definitions_wait_for_them(scenario: Scenario) -> None:
    deploy(scenario.engine, [SourceFile("geteilt.bpmn", SHARED.encode())], actor="scenario")
    case = scenario.start("geteilt", business_key="AZ-7")
    assert scenario.waits_at(case) == [] and scenario.status(case) == "waiting"
    scenario.advance(timedelta(hours=1))
    assert scenario.waits_at(case) == []                               # the shared timer: two hours
    scenario.advance(timedelta(hours=1, seconds=1))
    scenario.message("Unterlagen", key="AZ-7")                         # the shared message definition
    assert scenario.waits_at(case) == ["pruefen"]
    scenario.advance(timedelta(hours=2, seconds=1))                    # the boundary's copy of the timer
    assert scenario.waits_at(case) == [] and scenario.status(case) == "completed"


def test_a_reference_to_no_event_definition_is_refused(scenario: Scenario) -> None:
    broken = SHARED.replace("<eventDefinitionRef>unterlagen</eventDefinitionRef>",
                            "<eventDefinitionRef>gibtsnicht</eventDefinitionRef>")
    with pytest.raises(DeploymentError, match="eventDefinitionRef 'gibtsnicht' names no event definition") as err:
        deploy(scenario.engine, [SourceFile("geteilt.bpmn", broken.encode())], actor="scenario")
    assert [p.element_id for p in err.value.problems] == ["empfang"]


MULTI = HEAD + """
  <process id="mehrfach" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="pruefen"/>
    <userTask id="pruefen" camunda:candidateGroups="sb">
      <multiInstanceLoopCharacteristics isSequential="false" behavior="{behavior}">
        <loopCardinality>3</loopCardinality>
      </multiInstanceLoopCharacteristics>
    </userTask>
    <sequenceFlow id="f2" sourceRef="pruefen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""


@pytest.mark.parametrize("behavior", ["None", "One", "Complex"])
def test_multi_instance_behavior_without_its_events_runs_as_all(scenario: Scenario, behavior: str) -> None:
    deploy(scenario.engine, [SourceFile("mehrfach.bpmn", MULTI.format(behavior=behavior).encode())], actor="scenario")
    case = scenario.start("mehrfach")
    tasks = scenario.tasks(case)
    assert len(tasks) == 3
    for task in tasks:
        assert scenario.status(case) == "waiting"
        scenario.complete_task(task["id"])
    assert scenario.status(case) == "completed"


def test_multi_instance_behavior_with_the_events_it_throws_is_refused(scenario: Scenario) -> None:
    xml = MULTI.format(behavior="One").replace('behavior="One"', 'behavior="One" oneBehaviorEventRef="x"')
    with pytest.raises(DeploymentError, match="behavior='One' with the events it throws"):
        deploy(scenario.engine, [SourceFile("mehrfach.bpmn", xml.encode())], actor="scenario")
