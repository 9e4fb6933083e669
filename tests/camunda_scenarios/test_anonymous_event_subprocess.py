"""An event sub-process without an id (nothing flows into it, so BPMN modelers and Flowable's and
Camunda's own test models leave it out: Flowable's MessageEventSubprocessTest, SignalEventSubprocessTest,
TimerEventSubprocessTest and ConditionalEventSubprocessTest.testInterruptingSubProcess) runs like
one with an id. Before, the first save of every case of such a model crashed (TypeError)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="t">
  <message id="m" name="Widerspruch"/>
  <process id="akte" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow sourceRef="start" targetRef="pruefen"/>
    <userTask id="pruefen" flowable:assignee="sachbearbeitung"/>
    <sequenceFlow sourceRef="pruefen" targetRef="ende"/>
    <endEvent id="ende"/>
    <subProcess triggeredByEvent="true">
      <startEvent id="ausloeser" isInterrupting="{interrupting}">{definition}</startEvent>
      <sequenceFlow sourceRef="ausloeser" targetRef="anhoeren"/>
      <userTask id="anhoeren"/>
      <sequenceFlow sourceRef="anhoeren" targetRef="ende2"/>
      <endEvent id="ende2"/>
    </subProcess>
  </process>
</definitions>"""

MESSAGE = '<messageEventDefinition messageRef="m"/>'
TIMER = "<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>"


def _deploy(scenario: Scenario, definition: str, interrupting: bool = True) -> None:
    xml = HEAD.replace("{definition}", definition).replace("{interrupting}", str(interrupting).lower())
    deploy(scenario.engine, [SourceFile("akte.bpmn20.xml", xml.encode())], actor="scenario")


def test_anonymous_message_event_subprocess_interrupts(scenario: Scenario) -> None:
    _deploy(scenario, MESSAGE)
    case = scenario.start("akte", business_key="A-1")
    assert scenario.waits_at(case) == ["pruefen"]
    scenario.message("Widerspruch", key="A-1")
    assert scenario.waits_at(case) == ["anhoeren"]
    scenario.complete(case, "anhoeren")
    assert scenario.status(case) == "completed"


@pytest.mark.parametrize("interrupting", [True, False])
def test_anonymous_timer_event_subprocess(scenario: Scenario, interrupting: bool) -> None:
    _deploy(scenario, TIMER, interrupting)
    case = scenario.start("akte")
    scenario.advance(timedelta(hours=1, seconds=1))
    assert scenario.waits_at(case) == (["anhoeren", "pruefen"] if not interrupting else ["anhoeren"])
    scenario.complete(case, "anhoeren")
    if not interrupting:
        scenario.complete(case, "pruefen")
    assert scenario.status(case) == "completed"


def test_ids_given_to_anonymous_flows_stay_as_they_were() -> None:
    """Stored definitions are read again: a sequence flow keeps the generated id it had."""
    from lxml import etree

    from engine.runtime import checks

    root = etree.fromstring(HEAD.replace("{definition}", MESSAGE).replace("{interrupting}", "true").encode())
    checks.name_anonymous_flows(root)
    ids = [n.get("id") for n in root.iter() if isinstance(n.tag, str) and n.tag.endswith(("sequenceFlow", "Process"))]
    assert ids == ["flow_7_0", "flow_9_1", "subProcess_11_0", "flow_13_2", "flow_15_3"]
