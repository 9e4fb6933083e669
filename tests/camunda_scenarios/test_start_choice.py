"""Which start event begins a case when a process has several (Camunda 7's "initial"
activity): a case started by a person or a client begins at the none start event even when a
timer start event exists beside it; a case the scheduler starts begins at the timer start event
alone; a process whose only start event is a timer starts there at once. SQLite and
PostgreSQL, a save/restore at every wait."""

from __future__ import annotations

from datetime import timedelta

from engine.services import queries
from tests.integration.helpers import MODELS

MODEL = MODELS / "camunda" / "start_choice" / "timer_und_none_start.bpmn"


def test_a_person_starts_at_the_none_start_and_the_timer_starts_at_the_timer_start(scenario):
    scenario.deploy_files([MODEL])
    by_hand = scenario.start("erinnerung_oder_antrag")
    assert scenario.waits_at(by_hand) == ["antrag_erfassen"]          # not the timer's path
    scenario.advance(timedelta(hours=1))
    scheduled = [c["id"] for c in queries.list_cases(scenario.engine, process_key="erinnerung_oder_antrag")
                 if c["id"] != by_hand]
    assert len(scheduled) == 1
    assert scenario.waits_at(scheduled[0]) == ["fristen_pruefen"]     # the timer's start alone
    scenario.complete(by_hand, "antrag_erfassen")
    scenario.complete(scheduled[0], "fristen_pruefen")
    assert scenario.status(by_hand) == "completed" and scenario.status(scheduled[0]) == "completed"


ONLY_TIMER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="nur_zeitgesteuert" isExecutable="true">
    <bpmn:startEvent id="stuendlich">
      <bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:userTask id="fristen_pruefen"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="ende"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="stuendlich" targetRef="fristen_pruefen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="fristen_pruefen" targetRef="ende"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_process_whose_only_start_is_a_timer_starts_there_when_started_by_hand(scenario, tmp_path):
    only_timer = tmp_path / "nur_zeitgesteuert.bpmn"
    only_timer.write_text(ONLY_TIMER)
    scenario.deploy_files([only_timer])
    case = scenario.start("nur_zeitgesteuert")
    assert scenario.waits_at(case) == ["fristen_pruefen"]
