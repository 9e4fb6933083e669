"""Flowable's ``idVariableName`` on call activities and ``elementIndexVariable`` on multi-instance
activities (issue 11, item 6), ported from Flowable's engine tests (CallActivityAdvancedTest,
MultiInstanceTest; models read from ../shared/corpus/flowable-engine-tests) and checked on models
of our own, on SQLite and PostgreSQL with the case cache off (a save/restore at every wait).

``idVariableName``: when the call starts, after its ``in`` mappings, the caller's variable of that
name (or of the name an expression yields) holds the called instance's id: here the case's own id,
as a called process runs inside its caller's case (the id its tasks report as their process
instance). ``elementIndexVariable``: the name under which each instance sees its index, instead of
``loopCounter``."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.domain.errors import DeploymentError
from tests.camunda_scenarios.conftest import Scenario

CALL = "callactivity/"
MI = "multiinstance/"


def _write(tmp_path: Path, name: str, xml: str) -> Path:
    path = tmp_path / name
    path.write_text(xml)
    return path


# --- callactivity/CallActivityAdvancedTest -----------------------------------------------------

@pytest.mark.corpus
def test_CallActivityAdvancedTest_testIdVariableName(scenario: Scenario) -> None:
    scenario.deploy_flowable(CALL + "CallActivity.testIdVariableName.bpmn20.xml", CALL + "simpleSubProcess.bpmn20.xml")
    case = scenario.start("testIdVariableName")
    [task] = scenario.tasks(case)
    assert task["name"] == "Task in subprocess"
    assert scenario.data(case) == {"myVariable": case}     # the only variable; the called process's instance
    scenario.complete_task(task["id"])
    assert scenario.status(case) == "completed"
    assert scenario.data(case) == {"myVariable": case}


@pytest.mark.corpus
def test_CallActivityAdvancedTest_testIdVariableNameExpression(scenario: Scenario) -> None:
    scenario.deploy_flowable(CALL + "CallActivity.testIdVariableNameExpression.bpmn20.xml",
                             CALL + "simpleSubProcess.bpmn20.xml")
    case = scenario.start("testIdVariableName", {"counter": 123})
    [task] = scenario.tasks(case)
    assert task["name"] == "Task in subprocess"
    assert scenario.data(case) == {"counter": 123, "myVariable-123": case}


# --- models of our own ---------------------------------------------------------------------------

_CALLER = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="http://amtsflow.test">
  <process id="antrag" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="pruefung"/>
    <callActivity id="pruefung" calledElement="pruefen" flowable:inheritVariables="true"
                  flowable:idVariableName="${art}Id">
      <extensionElements>
        <flowable:out source="gesehen" target="gesehen"/>
      </extensionElements>
    </callActivity>
    <sequenceFlow id="f2" sourceRef="pruefung" targetRef="bescheid"/>
    <userTask id="bescheid"/>
    <sequenceFlow id="f3" sourceRef="bescheid" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""

_CALLED = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="http://amtsflow.test">
  <process id="pruefen" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="merken"/>
    <scriptTask id="merken" scriptFormat="juel">
      <script>${execution.setVariable('gesehen', execution.hasVariable('pruefungId'))}</script>
    </scriptTask>
    <sequenceFlow id="f2" sourceRef="merken" targetRef="sachbearbeitung"/>
    <userTask id="sachbearbeitung"/>
    <sequenceFlow id="f3" sourceRef="sachbearbeitung" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""


def test_the_id_is_stored_after_the_in_mappings_and_survives_the_waits(scenario: Scenario, tmp_path: Path) -> None:
    scenario.deploy_files([_write(tmp_path, "antrag.bpmn20.xml", _CALLER), _write(tmp_path, "pruefen.bpmn20.xml", _CALLED)])
    case = scenario.start("antrag", {"art": "pruefung"})
    assert scenario.waits_at(case) == ["sachbearbeitung"]          # restored from the database
    assert scenario.data(case)["pruefungId"] == case
    scenario.complete(case, "sachbearbeitung")
    data = scenario.data(case)
    assert data["pruefungId"] == case
    assert data["gesehen"] is False     # inheritVariables copied the variables before the id was stored
    scenario.complete(case, "bescheid")
    assert scenario.status(case) == "completed"


def test_id_variable_name_elsewhere_is_refused(scenario: Scenario, tmp_path: Path) -> None:
    xml = _CALLED.replace('<userTask id="sachbearbeitung"/>',
                          '<userTask id="sachbearbeitung" flowable:idVariableName="x"/>')
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_files([_write(tmp_path, "pruefen.bpmn20.xml", xml)])
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.element_id) == ("pruefen.bpmn20.xml", 11, "sachbearbeitung")
    assert "flowable:idVariableName" in problem.message and "call activities" in problem.message


# --- multiinstance/MultiInstanceTest ---------------------------------------------------------------

@pytest.mark.corpus
def test_MultiInstanceTest_testSequentialUserTasksCustomExtensions(scenario: Scenario) -> None:
    scenario.deploy_flowable(MI + "MultiInstanceTest.testSequentialUserTasksCustomExtensions.bpmn20.xml")
    case = scenario.start("miSequentialUserTasksCustomExtensions", {"nrOfLoops": 3})
    for index in range(3):
        [task] = scenario.tasks(case)
        assert (task["name"], task["assignee"]) == ("My Task", f"kermit_{index}")   # elementIndexVariable="loopValueIndex"
        scenario.complete_task(task["id"])
    assert scenario.tasks(case) == []
    assert scenario.status(case) == "completed"


@pytest.mark.corpus
def test_MultiInstanceTest_testParallelUserTasksCustomExtensionsLoopIndexVariable(scenario: Scenario) -> None:
    scenario.deploy_flowable(MI + "MultiInstanceTest.testParallelUserTasksCustomExtensionsLoopIndexVariable.bpmn20.xml")
    case = scenario.start("miParallelUserTasksLoopVariable", {"assigneeList": ["kermit", "gonzo", "fozzie"]})
    tasks = scenario.tasks(case)     # (the task name's ${loopValueIndex}: names are not evaluated here)
    assert sorted(t["assignee"] for t in tasks) == ["fozzie", "gonzo", "kermit"]
    for task in tasks:
        scenario.complete_task(task["id"])
    assert scenario.tasks(case) == []
    assert scenario.status(case) == "completed"


_INDEXED = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="http://amtsflow.test">
  <process id="nachweise" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="pruefen"/>
    <subProcess id="pruefen">
      <multiInstanceLoopCharacteristics isSequential="{sequential}" flowable:elementIndexVariable="nr"
        flowable:collection="${nachweise}" flowable:elementVariable="nachweis"/>
      <startEvent id="s"/>
      <sequenceFlow id="g1" sourceRef="s" targetRef="merken"/>
      <scriptTask id="merken" scriptFormat="juel">
        <script>${execution.setVariable('zaehlerGesehen', execution.hasVariable('loopCounter'))}</script>
      </scriptTask>
      <sequenceFlow id="g2" sourceRef="merken" targetRef="sichten"/>
      <userTask id="sichten" flowable:assignee="${nr}: ${nachweis}"/>
      <sequenceFlow id="g3" sourceRef="sichten" targetRef="e"/>
      <endEvent id="e"/>
    </subProcess>
    <sequenceFlow id="f2" sourceRef="pruefen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""


@pytest.mark.parametrize("sequential", ["true", "false"])
def test_each_instance_sees_its_index_under_the_given_name_only(scenario: Scenario, tmp_path: Path,
                                                                sequential: str) -> None:
    scenario.deploy_files([_write(tmp_path, "nachweise.bpmn20.xml", _INDEXED.replace("{sequential}", sequential))])
    case = scenario.start("nachweise", {"nachweise": ["Meldebescheinigung", "Einkommen"]})
    seen = []
    while scenario.tasks(case):
        task = sorted(scenario.tasks(case), key=lambda t: t["assignee"])[0]
        seen.append(task["assignee"])
        scenario.complete_task(task["id"])      # the next command restores the case from the database
    assert seen == ["0: Meldebescheinigung", "1: Einkommen"]
    data = scenario.data(case)
    assert data["zaehlerGesehen"] is False
    assert "nr" not in data and "loopCounter" not in data   # local to each instance
    assert scenario.status(case) == "completed"


def test_an_index_variable_that_is_no_plain_name_is_refused(scenario: Scenario, tmp_path: Path) -> None:
    xml = _INDEXED.replace("{sequential}", "true").replace('flowable:elementIndexVariable="nr"',
                                                           'flowable:elementIndexVariable="${name}"')
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_files([_write(tmp_path, "nachweise.bpmn20.xml", xml)])
    [problem] = [p for p in caught.value.problems if "elementIndexVariable" in p.message]
    # the loop characteristics, on the line where libxml2 sees their start tag end
    assert (problem.file, problem.line, problem.element_id) == ("nachweise.bpmn20.xml", 9, "pruefen")
