"""A plain-BPMN process (the spiff dialect: no Camunda or Flowable extension) whose only start event
is a message, signal or conditional start event, started directly (start_case, POST /api/v1/cases,
``amtsflow start``): it begins there, as a Camunda or Flowable model does (Camunda's
MessageStartEventTest.testSingleMessageStartEvent) and as a call activity already began such a
called process. Before, the case stood at the start event waiting for an event nobody was asked to
send. Several event start events keep SpiffWorkflow's reading: the case waits for whichever comes.
SQLite and PostgreSQL, a save/restore at every wait."""

from __future__ import annotations

import pytest

from engine.runtime.parsing import SourceFile, detect_dialect
from engine.services import queries
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

DEFINITIONS = {
    "message": '<bpmn:messageEventDefinition messageRef="m"/>',
    "signal": '<bpmn:signalEventDefinition signalRef="s"/>',
    "conditional": ('<bpmn:conditionalEventDefinition><bpmn:condition>bedarf == True</bpmn:condition>'
                    '</bpmn:conditionalEventDefinition>'),
}


def _model(*kinds: str) -> bytes:
    starts = "".join(f'<bpmn:startEvent id="start_{i}">{DEFINITIONS[k]}</bpmn:startEvent>'
                     f'<bpmn:sequenceFlow id="s{i}" sourceRef="start_{i}" targetRef="pruefen"/>'
                     for i, k in enumerate(kinds))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:message id="m" name="antrag_eingegangen"/>
  <bpmn:signal id="s" name="frist_abgelaufen"/>
  <bpmn:process id="eingang" isExecutable="true">
    {starts}
    <bpmn:userTask id="pruefen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="pruefen" targetRef="ende"/>
    <bpmn:endEvent id="ende"/>
  </bpmn:process>
</bpmn:definitions>
""".encode()


def _deploy(scenario: Scenario, xml: bytes) -> None:
    assert detect_dialect(xml) == "spiff"
    deploy(scenario.engine, [SourceFile("eingang.bpmn", xml)], actor="scenario")


@pytest.mark.parametrize("kind", ["message", "signal", "conditional"])
def test_a_direct_start_passes_through_the_only_event_start(scenario: Scenario, kind: str) -> None:
    _deploy(scenario, _model(kind))
    case = scenario.start("eingang", {"bedarf": False})   # the condition is not evaluated, as in Camunda
    assert scenario.waits_at(case) == ["pruefen"]
    scenario.complete(case, "pruefen")
    assert scenario.status(case) == "completed"


@pytest.mark.parametrize("kind", ["message", "signal"])
def test_the_event_still_starts_a_case(scenario: Scenario, kind: str) -> None:
    _deploy(scenario, _model(kind))
    if kind == "message":
        scenario.message("antrag_eingegangen")
    else:
        scenario.signal("frist_abgelaufen")
    [case] = queries.list_cases(scenario.engine, process_key="eingang")
    assert scenario.waits_at(case["id"]) == ["pruefen"]


def test_several_event_starts_still_wait_for_the_first_event(scenario: Scenario) -> None:
    _deploy(scenario, _model("message", "signal"))
    case = scenario.start("eingang")
    assert scenario.waits_at(case) == []
    scenario.signal("frist_abgelaufen")
    assert scenario.waits_at(case) == ["pruefen"]
