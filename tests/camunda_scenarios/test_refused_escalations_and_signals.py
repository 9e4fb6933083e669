"""Escalation and signal shapes Camunda 7 refuses at deploy (EscalationEventParseInvalidProcessTest,
SignalEventParseInvalidProcessTest), refused here with its words. Before, they deployed: an
escalation without a code was thrown as nothing in particular, competing escalation boundary
events left undefined which one catches, and of two signal start events for one signal only
one ever started a case."""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

CAMUNDA = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'


def _model(body: str, extra: str = "", namespace: str = CAMUNDA) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" {namespace} targetNamespace="t">
  <escalation id="mitCode" escalationCode="frist"/>
  <escalation id="ohneCode"/>
  {extra}
  <process id="p" isExecutable="true">{body}</process>
</definitions>""".encode()


SUB = """<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="teil"/>
<subProcess id="teil"><startEvent id="ts"/><sequenceFlow id="tf" sourceRef="ts" targetRef="te"/><endEvent id="te"/>
</subProcess><sequenceFlow id="f2" sourceRef="teil" targetRef="e"/><endEvent id="e"/>"""


def _boundary(id_: str, ref: str | None, host: str = "teil") -> str:
    ref_attr = f' escalationRef="{ref}"' if ref else ""
    return (f'<boundaryEvent id="{id_}" attachedToRef="{host}"><escalationEventDefinition{ref_attr}/></boundaryEvent>'
            f'<sequenceFlow id="to{id_}" sourceRef="{id_}" targetRef="end{id_}"/><endEvent id="end{id_}"/>')


def _refused(scenario: Scenario, content: bytes) -> list[tuple[str, str]]:
    with pytest.raises(DeploymentError) as refused:
        deploy(scenario.engine, [SourceFile("p.bpmn", content)], actor="scenario")
    return [(p.element_id, p.message) for p in refused.value.problems]


@pytest.mark.parametrize(("first", "second", "message"), [
    ("mitCode", "mitCode", "multiple escalation boundary events with the same escalationCode 'frist' are not "
                           "supported on same scope"),
    ("ohneCode", "mitCode", "The same scope can not contains an escalation boundary event without escalation code "
                            "and another one with escalation code."),
    (None, None, "The same scope can not contains more than one escalation boundary event without escalation "
                 "code."),
])
def test_competing_escalation_boundary_events(scenario: Scenario, first: str | None, second: str | None,
                                              message: str) -> None:
    content = _model(SUB + _boundary("b1", first) + _boundary("b2", second))
    assert ("b2", message) in _refused(scenario, content)


def test_an_escalation_boundary_event_on_a_script_task(scenario: Scenario) -> None:
    body = ('<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="t"/><scriptTask id="t" '
            'scriptFormat="python"><script>x = 1</script></scriptTask><sequenceFlow id="f2" sourceRef="t" '
            'targetRef="e"/><endEvent id="e"/>' + _boundary("b1", "mitCode", host="t"))
    assert ("b1", "An escalation boundary event should only be attached to a subprocess, a call activity or an "
                  "user task") in _refused(scenario, _model(body))


@pytest.mark.parametrize(("thrower", "ref", "message"), [
    ("endEvent", "ohneCode", "escalation end event must have an 'escalationCode'"),
    ("intermediateThrowEvent", "ohneCode", "throwing escalation event must have an 'escalationCode'"),
    ("endEvent", None, "escalationEventDefinition does not have required attribute 'escalationRef'"),
])
def test_a_thrown_escalation_needs_a_code(scenario: Scenario, thrower: str, ref: str | None, message: str) -> None:
    ref_attr = f' escalationRef="{ref}"' if ref else ""
    throw = f'<{thrower} id="wirf"><escalationEventDefinition{ref_attr}/></{thrower}>'
    tail = '<sequenceFlow id="f2" sourceRef="wirf" targetRef="e"/><endEvent id="e"/>' if thrower != "endEvent" else ""
    body = f'<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="wirf"/>{throw}{tail}'
    assert ("wirf", message) in _refused(scenario, _model(body))


SIGNAL_STARTS = """<startEvent id="s1"><signalEventDefinition signalRef="sig"/></startEvent>
<startEvent id="s2"><signalEventDefinition signalRef="sig"/></startEvent>
<sequenceFlow id="f1" sourceRef="s1" targetRef="e"/><sequenceFlow id="f2" sourceRef="s2" targetRef="e"/><endEvent id="e"/>"""


@pytest.mark.parametrize("namespace", [CAMUNDA, ""])
def test_two_signal_starts_for_one_signal(scenario: Scenario, namespace: str) -> None:
    content = _model(SIGNAL_STARTS, '<signal id="sig" name="Alarm"/>', namespace)
    assert ("s2", "Cannot have more than one signal event subscription with name 'Alarm'") in _refused(scenario, content)


def test_two_signals_of_one_name(scenario: Scenario) -> None:
    body = ('<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="w"/><intermediateCatchEvent id="w">'
            '<signalEventDefinition signalRef="a"/></intermediateCatchEvent><sequenceFlow id="f2" sourceRef="w" '
            'targetRef="e"/><endEvent id="e"/>')
    content = _model(body, '<signal id="a" name="Alarm"/><signal id="b" name="Alarm"/>')
    assert ("b", "duplicate signal name 'Alarm'") in _refused(scenario, content)


def test_one_escalation_boundary_per_code_and_one_signal_start_deploy(scenario: Scenario) -> None:
    content = _model(SUB + _boundary("b1", "mitCode"), '<signal id="sig" name="Alarm"/>')
    assert [p.key for p in deploy(scenario.engine, [SourceFile("p.bpmn", content)], actor="scenario").processes] == ["p"]
