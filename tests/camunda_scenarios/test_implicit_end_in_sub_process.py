"""An activity without an outgoing sequence flow ends its path (BPMN's implicit end), also in a
sub-process that has an end event on another path (here: its boundary event's). Before, such
a path stopped dead inside the sub-process: the sub-process never ended and the case waited
for nothing (Camunda's BoundaryErrorEventTest.testErrorThrownByJavaDelegate-
NotCaughtByOtherEventType ran that way in bench/compat.py). SQLite and PostgreSQL, a save/restore
at every wait."""

from __future__ import annotations

import pytest

from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario
from tests.camunda_scenarios.test_event_name_expressions import subscriptions

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             targetNamespace="t">
  <signal id="widerruf" name="widerruf"/>
  <process id="verfahren" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="verfahrenSub"/>
    <subProcess id="verfahrenSub">
      <startEvent id="subStart"/>
      <sequenceFlow id="s1" sourceRef="subStart" targetRef="{first}"/>
      {body}
      <boundaryEvent id="widerrufen" attachedToRef="pruefen"><signalEventDefinition signalRef="widerruf"/></boundaryEvent>
      <sequenceFlow id="s9" sourceRef="widerrufen" targetRef="widerrufEnde"/>
      <endEvent id="widerrufEnde"/>
    </subProcess>
    <sequenceFlow id="f2" sourceRef="verfahrenSub" targetRef="abschliessen"/>
    <userTask id="abschliessen"/>
    <sequenceFlow id="f3" sourceRef="abschliessen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""

# the activity with the boundary event is the last of its path
SINGLE = '<userTask id="pruefen"/>'
# the activity is an embedded sub-process (the Camunda test's shape)
NESTED = """<subProcess id="pruefen">
        <startEvent id="innenStart"/>
        <sequenceFlow id="i1" sourceRef="innenStart" targetRef="innen"/>
        <userTask id="innen"/>
      </subProcess>"""


def _deploy(scenario: Scenario, first: str, body: str) -> None:
    deploy(scenario.engine, [SourceFile("verfahren.bpmn", MODEL.format(first=first, body=body).encode())],
           actor="scenario")


@pytest.mark.parametrize(("body", "done"), [(SINGLE, "pruefen"), (NESTED, "innen")])
def test_a_path_without_outgoing_flow_ends_the_sub_process(scenario: Scenario, body: str, done: str) -> None:
    _deploy(scenario, "pruefen", body)
    case = scenario.start("verfahren")
    assert subscriptions(scenario, "signal", case) == ["widerruf"]
    scenario.complete(case, done)
    assert scenario.waits_at(case) == ["abschliessen"]      # the sub-process ended
    assert subscriptions(scenario, "signal", case) == []
    scenario.complete(case, "abschliessen")
    assert scenario.status(case) == "completed"

    other = scenario.start("verfahren")                    # the boundary event's path ends it too
    assert scenario.signal("widerruf") == 1
    assert scenario.waits_at(other) == ["abschliessen"]


@pytest.mark.corpus
def test_BoundaryErrorEventTest_testErrorThrownByJavaDelegateNotCaughtByOtherEventType(scenario: Scenario) -> None:
    """The delegate's BPMN error passes the signal boundary event and is caught on the outer
    sub-process; and when it throws nothing, the inner sub-process (no outgoing flow) ends its
    path and the case runs to its end."""
    scenario.connector.answer("fehler", bpmn_error="23")
    scenario.deploy_camunda("event/error/BoundaryErrorEventTest.testErrorThrownByJavaDelegateNotCaughtByOtherEventType"
                            ".bpmn20.xml",
                            mapping={"delegates": {"org.camunda.bpm.engine.test.bpmn.event.error.ThrowBpmnErrorDelegate":
                                                   "test.fehler"}})
    case = scenario.start("testErrorThrownByJavaDelegateNotCaughtByOtherEventType")
    assert [t["name"] for t in scenario.tasks(case)] == ["Escalated Task"]
    scenario.complete(case, "escalatedTask")
    assert scenario.status(case) == "completed"

    scenario.connector.answer("fehler", {})
    case = scenario.start("testErrorThrownByJavaDelegateNotCaughtByOtherEventType")
    assert scenario.status(case) == "completed"
