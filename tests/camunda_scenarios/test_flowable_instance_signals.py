"""Flowable signals with scope="processInstance" (SignalEventTest.testSignalWithProcessInstanceScope,
testCallActivityWithInstanceScopeSignal): such a signal reaches only catchers of the case that
throws it (a called process runs inside its caller's case), never another case, and a signal sent
from outside (the API) does not reach its catchers either. Before, such models were refused."""

from __future__ import annotations

from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

SIG = "event/signal/SignalEventTest."

OWN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="t">
  <signal id="intern" name="Akte geschlossen" flowable:scope="processInstance"/>
  <process id="akte" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
    <parallelGateway id="split"/>
    <sequenceFlow id="f2" sourceRef="split" targetRef="bearbeiten"/>
    <sequenceFlow id="f3" sourceRef="split" targetRef="warten"/>
    <userTask id="bearbeiten"/>
    <sequenceFlow id="f4" sourceRef="bearbeiten" targetRef="schliessen"/>
    <intermediateThrowEvent id="schliessen"><signalEventDefinition signalRef="intern"/></intermediateThrowEvent>
    <sequenceFlow id="f5" sourceRef="schliessen" targetRef="ende1"/>
    <endEvent id="ende1"/>
    <intermediateCatchEvent id="warten"><signalEventDefinition signalRef="intern"/></intermediateCatchEvent>
    <sequenceFlow id="f6" sourceRef="warten" targetRef="archivieren"/>
    <userTask id="archivieren"/>
    <sequenceFlow id="f7" sourceRef="archivieren" targetRef="ende2"/>
    <endEvent id="ende2"/>
  </process>
</definitions>"""


def test_a_case_signal_reaches_its_own_case_and_no_other(scenario: Scenario) -> None:
    deploy(scenario.engine, [SourceFile("akte.bpmn", OWN.encode())], actor="scenario")
    first, second = scenario.start("akte"), scenario.start("akte")
    assert scenario.signal("Akte geschlossen") == 0                 # from outside: reaches nobody
    assert scenario.waits_at(first) == ["bearbeiten"]
    scenario.complete(first, "bearbeiten")
    assert scenario.waits_at(first) == ["archivieren"]              # its own catcher heard it
    assert scenario.waits_at(second) == ["bearbeiten"]              # the other case did not


def test_SignalEventTest_testSignalWithProcessInstanceScope(scenario: Scenario) -> None:
    scenario.deploy_flowable(SIG + "testSignalWithProcessInstanceScope.bpmn20.xml")
    catching = scenario.start("processWithSignalCatch")
    assert scenario.waits_at(catching) == ["userTaskWithSignalCatch"]
    scenario.start("processWithSignalThrow")
    assert scenario.waits_at(catching) == ["userTaskWithSignalCatch"]
    scenario.signal("The Signal")
    assert scenario.waits_at(catching) == ["userTaskWithSignalCatch"]


def test_SignalEventTest_testCallActivityWithInstanceScopeSignal(scenario: Scenario) -> None:
    scenario.deploy_flowable(SIG + "testCallActivityWithInstanceScopeSignal.bpmn20.xml")
    case = scenario.start("processWithSignalCatch")
    assert scenario.waits_at(case) == ["beforeThrowTask", "userTaskWithSignalCatch"]   # the called process's task too
    scenario.complete(case, "beforeThrowTask")
    assert scenario.waits_at(case) == ["userTaskAfterSignalCatch"]
    scenario.complete(case, "userTaskAfterSignalCatch")
    assert scenario.status(case) == "completed"
