"""An event sub-process with several start events in a Flowable model (issue 11): each start event
triggers it on its own and the event sub-process runs from that start event only, as Flowable does
(ErrorEventSubProcessTest.testMultipleCatchErrorInTopLevelProcess/...First, ported onto models of our
own: Flowable's throw with Groovy; VariableListenerEventSubprocessTest read from
../shared/corpus/flowable-engine-tests). SQLite and PostgreSQL, case cache off (a save/restore at
every wait). BPMN and Camunda 7 want one start event: refused there, as are, in Flowable files, a
timer or compensation start among several and start events that differ in isInterrupting."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.domain.errors import DeploymentError
from tests.camunda_scenarios.conftest import Scenario
from tests.camunda_scenarios.test_event_name_expressions import subscriptions

VARIABLE = "event/variable/VariableListenerEventSubprocessTest."

_ERRORS = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="http://amtsflow.test">
  <process id="MultipleCatchErrorInTopLevelProcess" isExecutable="true">
    <startEvent id="theStart"/>
    <sequenceFlow id="flow1" sourceRef="theStart" targetRef="pruefen"/>
    <userTask id="pruefen"/>
    <sequenceFlow id="flow3" sourceRef="pruefen" targetRef="fehler"/>
    <endEvent id="fehler">
      <errorEventDefinition errorRef="{thrown}"/>
    </endEvent>
    <subProcess id="eventSubProcess" triggeredByEvent="true">
      <startEvent id="catchError">
        <errorEventDefinition errorRef="myError"/>
      </startEvent>
      <startEvent id="catchError2">
        <errorEventDefinition errorRef="error123"/>
      </startEvent>
      <sequenceFlow id="flow2" sourceRef="catchError" targetRef="taskAfterErrorCatch"/>
      <userTask id="taskAfterErrorCatch" name="Escalated Task"/>
      <sequenceFlow id="flow4" sourceRef="catchError2" targetRef="taskAfterErrorCatch2"/>
      <userTask id="taskAfterErrorCatch2" name="Escalated Task2"/>
    </subProcess>
  </process>
</definitions>
"""

_MESSAGES = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="http://amtsflow.test">
  <message id="storno" name="storno"/>
  <message id="aenderung" name="aenderung"/>
  <process id="antrag" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="bearbeiten"/>
    <userTask id="bearbeiten"/>
    <sequenceFlow id="f2" sourceRef="bearbeiten" targetRef="ende"/>
    <endEvent id="ende"/>
    <subProcess id="eingriff" triggeredByEvent="true">
      <startEvent id="stornoStart" isInterrupting="{interrupting}">
        <messageEventDefinition messageRef="storno"/>
      </startEvent>
      <startEvent id="aenderungStart" isInterrupting="{interrupting}">
        <messageEventDefinition messageRef="aenderung"/>
      </startEvent>
      <sequenceFlow id="g1" sourceRef="stornoStart" targetRef="stornieren"/>
      <userTask id="stornieren"/>
      <sequenceFlow id="g2" sourceRef="aenderungStart" targetRef="aendern"/>
      <userTask id="aendern"/>
      <sequenceFlow id="g3" sourceRef="stornieren" targetRef="gemeinsam"/>
      <sequenceFlow id="g4" sourceRef="aendern" targetRef="gemeinsam"/>
      <userTask id="gemeinsam"/>
      <sequenceFlow id="g5" sourceRef="gemeinsam" targetRef="e"/>
      <endEvent id="e"/>
    </subProcess>
  </process>
</definitions>
"""


def _deploy(scenario: Scenario, tmp_path: Path, xml: str, name: str = "model.bpmn20.xml") -> None:
    path = tmp_path / name
    path.write_text(xml)
    scenario.deploy_files([path])


@pytest.mark.parametrize(("thrown", "caught_at"), [("error123", "taskAfterErrorCatch2"),
                                                   ("myError", "taskAfterErrorCatch")])
def test_ErrorEventSubProcessTest_testMultipleCatchErrorInTopLevelProcess(
        scenario: Scenario, tmp_path: Path, thrown: str, caught_at: str) -> None:
    """(and ...First): the start event whose error code matches triggers the event sub-process."""
    _deploy(scenario, tmp_path, _ERRORS.replace("{thrown}", thrown))
    case = scenario.start("MultipleCatchErrorInTopLevelProcess")
    scenario.complete(case, "pruefen")
    assert scenario.waits_at(case) == [caught_at]
    scenario.complete(case, caught_at)
    assert scenario.status(case) == "completed"


def test_each_interrupting_message_start_runs_its_own_path(scenario: Scenario, tmp_path: Path) -> None:
    _deploy(scenario, tmp_path, _MESSAGES.replace("{interrupting}", "true"))
    case = scenario.start("antrag", business_key="AZ-1")
    assert subscriptions(scenario, "message", case) == ["aenderung", "storno"]
    scenario.message("aenderung", key="AZ-1")
    assert scenario.waits_at(case) == ["aendern"]                    # bearbeiten interrupted
    assert subscriptions(scenario, "message", case) == []           # the storno start waits no more
    scenario.complete(case, "aendern")
    scenario.complete(case, "gemeinsam")
    assert scenario.status(case) == "completed"                      # no start event kept it open


def test_each_non_interrupting_message_start_runs_its_own_path(scenario: Scenario, tmp_path: Path) -> None:
    _deploy(scenario, tmp_path, _MESSAGES.replace("{interrupting}", "false"))
    case = scenario.start("antrag", business_key="AZ-2")
    scenario.message("aenderung", key="AZ-2")
    assert scenario.waits_at(case) == ["aendern", "bearbeiten"]
    assert subscriptions(scenario, "message", case) == ["aenderung", "storno"]   # the scope's starts, once each
    scenario.message("storno", key="AZ-2")
    assert scenario.waits_at(case) == ["aendern", "bearbeiten", "stornieren"]
    scenario.complete(case, "stornieren")
    scenario.complete(case, "aendern")
    for task in scenario.tasks(case):
        if task["element_id"] == "gemeinsam":
            scenario.complete_task(task["id"])
    assert scenario.waits_at(case) == ["bearbeiten"]
    scenario.complete(case, "bearbeiten")
    assert scenario.status(case) == "completed"


# --- event/variable/VariableListenerEventSubprocessTest -------------------------------------------

@pytest.mark.corpus
def test_VariableListenerEventSubprocessTest_testNonInterruptingSubProcessMultipleVariableListeners(
        scenario: Scenario) -> None:
    scenario.deploy_flowable(VARIABLE + "testNonInterruptingSubProcessMultipleVariableListeners.bpmn20.xml")
    case = scenario.start("process")
    assert scenario.waits_at(case) == ["task"]
    scenario.set_variables(case, {"var1": "test"})                 # triggers the start event for var1
    assert scenario.waits_at(case) == ["eventSubProcessTask", "task"]
    scenario.set_variables(case, {"var2": "test2"})                # again, at the start event for var2
    assert scenario.waits_at(case) == ["eventSubProcessTask", "eventSubProcessVar2Task", "task"]
    scenario.set_variables(case, {"var3": "test"})                 # no start event listens to var3
    assert scenario.waits_at(case) == ["eventSubProcessTask", "eventSubProcessVar2Task", "task"]
    scenario.complete(case, "eventSubProcessTask")
    scenario.complete(case, "eventSubProcessVar2Task")
    scenario.complete(case, "task")
    assert scenario.status(case) == "completed"


@pytest.mark.corpus
def test_VariableListenerEventSubprocessTest_testInterruptingSubProcessMultipleVariableListeners(
        scenario: Scenario) -> None:
    scenario.deploy_flowable(VARIABLE + "testInterruptingSubProcessMultipleVariableListeners.bpmn20.xml")
    case = scenario.start("process")
    scenario.set_variables(case, {"var2": "test"})
    assert scenario.waits_at(case) == ["eventSubProcessVar2Task"]
    scenario.set_variables(case, {"var1": "test"})                 # the scope is interrupted: no more starts
    assert scenario.waits_at(case) == ["eventSubProcessVar2Task"]
    scenario.complete(case, "eventSubProcessVar2Task")
    assert scenario.status(case) == "completed"


# --- refused -----------------------------------------------------------------------------------------

def test_several_start_events_are_refused_in_camunda_and_plain_bpmn(scenario: Scenario, tmp_path: Path) -> None:
    xml = _MESSAGES.replace("{interrupting}", "true").replace(' xmlns:flowable="http://flowable.org/bpmn"', "")
    with pytest.raises(DeploymentError) as caught:
        _deploy(scenario, tmp_path, xml, "antrag.bpmn")
    [problem] = [p for p in caught.value.problems if "start event" in p.message]
    assert (problem.file, problem.line, problem.element_id) == ("antrag.bpmn", 12, "eingriff")
    assert "exactly one start event (found 2)" in problem.message


def test_a_timer_among_several_start_events_is_refused(scenario: Scenario, tmp_path: Path) -> None:
    xml = _MESSAGES.replace("{interrupting}", "true").replace(
        '<messageEventDefinition messageRef="aenderung"/>',
        '<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>')
    with pytest.raises(DeploymentError) as caught:
        _deploy(scenario, tmp_path, xml)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.element_id) == ("model.bpmn20.xml", 16, "aenderungStart")
    assert "timer start event" in problem.message


def test_start_events_that_differ_in_interrupting_are_refused(scenario: Scenario, tmp_path: Path) -> None:
    xml = _MESSAGES.replace('id="stornoStart" isInterrupting="{interrupting}"', 'id="stornoStart"').replace(
        "{interrupting}", "false")
    with pytest.raises(DeploymentError) as caught:
        _deploy(scenario, tmp_path, xml)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.element_id) == ("model.bpmn20.xml", 13, "stornoStart")
    assert "isInterrupting" in problem.message
