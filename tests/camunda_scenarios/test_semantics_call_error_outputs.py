"""An error leaving a called process passes the call activity's out mappings after the
throwing event's start listeners ran (Camunda 7, ErrorEndEventTest.
testPropagateOutputVariablesWhileThrowError): what such a listener sets reaches the caller,
level by level through nested calls, whether a boundary event or an event sub-process
catches it. Each step is a command of its own with the case cache off (save/restore at every
wait)."""

from __future__ import annotations

import pytest

from tests.camunda_scenarios.conftest import Scenario

HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        b'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">\n'
        b'<error id="fehler" errorCode="ABGELEHNT"/>\n')

# The called process waits in two branches; the error ends it from one of them.
KIND = HEAD + b"""<process id="kind" isExecutable="true">
  <startEvent id="s"/>
  <sequenceFlow id="f0" sourceRef="s" targetRef="teilen"/>
  <parallelGateway id="teilen"/>
  <sequenceFlow id="f1" sourceRef="teilen" targetRef="arbeiten"/>
  <sequenceFlow id="f5" sourceRef="teilen" targetRef="nebenbei"/>
  <userTask id="nebenbei"/>
  <sequenceFlow id="f6" sourceRef="nebenbei" targetRef="e6"/>
  <endEvent id="e6"/>
  <userTask id="arbeiten"/>
  <sequenceFlow id="f2" sourceRef="arbeiten" targetRef="abbruch"/>
  <endEvent id="abbruch">
    <extensionElements>
      <camunda:executionListener event="start" expression="${execution.setVariable('grund', 'unvollstaendig')}"/>
    </extensionElements>
    <errorEventDefinition errorRef="fehler"/>
  </endEvent>
</process></definitions>"""

MITTE = HEAD + b"""<process id="mitte" isExecutable="true">
  <startEvent id="s"/>
  <sequenceFlow id="f1" sourceRef="s" targetRef="rufeKind"/>
  <callActivity id="rufeKind" calledElement="kind">
    <extensionElements>
      <camunda:out source="grund" target="grundMitte"/>
    </extensionElements>
  </callActivity>
  <sequenceFlow id="f2" sourceRef="rufeKind" targetRef="e"/>
  <endEvent id="e"/>
</process></definitions>"""

ELTERN_BOUNDARY = HEAD + b"""<process id="eltern" isExecutable="true">
  <startEvent id="s"/>
  <sequenceFlow id="f1" sourceRef="s" targetRef="rufeMitte"/>
  <callActivity id="rufeMitte" calledElement="mitte">
    <extensionElements>
      <camunda:out source="grundMitte" target="grundEltern"/>
    </extensionElements>
  </callActivity>
  <boundaryEvent id="gefangen" attachedToRef="rufeMitte"><errorEventDefinition errorRef="fehler"/></boundaryEvent>
  <sequenceFlow id="f2" sourceRef="rufeMitte" targetRef="e"/>
  <endEvent id="e"/>
  <sequenceFlow id="f3" sourceRef="gefangen" targetRef="behandeln"/>
  <userTask id="behandeln"/>
  <sequenceFlow id="f4" sourceRef="behandeln" targetRef="e2"/>
  <endEvent id="e2"/>
</process></definitions>"""

ELTERN_EVENT_SUBPROCESS = HEAD + b"""<process id="eltern" isExecutable="true">
  <startEvent id="s"/>
  <sequenceFlow id="f1" sourceRef="s" targetRef="rufeMitte"/>
  <callActivity id="rufeMitte" calledElement="mitte">
    <extensionElements>
      <camunda:out source="grundMitte" target="grundEltern"/>
    </extensionElements>
  </callActivity>
  <sequenceFlow id="f2" sourceRef="rufeMitte" targetRef="e"/>
  <endEvent id="e"/>
  <subProcess id="fehlerbehandlung" triggeredByEvent="true">
    <startEvent id="fs"><errorEventDefinition errorRef="fehler"/></startEvent>
    <sequenceFlow id="g1" sourceRef="fs" targetRef="behandeln"/>
    <userTask id="behandeln"/>
    <sequenceFlow id="g2" sourceRef="behandeln" targetRef="fe"/>
    <endEvent id="fe"/>
  </subProcess>
</process></definitions>"""


@pytest.mark.parametrize("parent", [ELTERN_BOUNDARY, ELTERN_EVENT_SUBPROCESS], ids=["boundary", "event-subprocess"])
def test_a_variable_the_error_end_events_start_listener_sets_passes_every_out_mapping(
        scenario: Scenario, parent: bytes) -> None:
    scenario.deploy_files([], extra={"kind.bpmn": KIND, "mitte.bpmn": MITTE, "eltern.bpmn": parent})
    case = scenario.start("eltern")
    assert scenario.waits_at(case) == ["arbeiten", "nebenbei"]
    scenario.complete(case, "arbeiten")
    assert scenario.waits_at(case) == ["behandeln"]
    data = scenario.data(case)
    assert data["grundEltern"] == "unvollstaendig"
    assert "grund" not in data and "grundMitte" not in data      # only what the out mappings name
    scenario.complete(case, "behandeln")
    assert scenario.status(case) == "completed"
