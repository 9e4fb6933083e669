"""A process whose start event is conditional, started directly (Camunda 7's
``runtimeService.startProcessInstanceByKey``, our ``start_case`` and the REST start).

Camunda's BpmnParse.selectInitial makes the process's only start event its initial activity,
whatever its type, and every process start event behaves as NoneStartEventActivityBehavior: a
direct start passes through it without evaluating the condition (the condition is evaluated
only by ``runtimeService.createConditionEvaluation().evaluateStartConditions()``). With several
start events and neither a none nor a timer start event there is no initial activity and the
direct start is refused (ProcessDefinitionImpl.ensureDefaultInitialExists). Here a case stood at
such a start event until the condition held, listed as waiting for nothing. SQLite and
PostgreSQL, a save/restore at every wait."""

from __future__ import annotations

import pytest

from engine.domain.errors import InvalidState
from engine.services import queries

ONLY_CONDITIONAL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="bei_bedarf" isExecutable="true">
    <bpmn:startEvent id="bedarf_gemeldet">
      <bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:conditionalEventDefinition>
        <bpmn:condition xsi:type="bpmn:tFormalExpression"
            xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${bedarf == true}</bpmn:condition>
      </bpmn:conditionalEventDefinition>
    </bpmn:startEvent>
    <bpmn:userTask id="bedarf_pruefen"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="ende"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="bedarf_gemeldet" targetRef="bedarf_pruefen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="bedarf_pruefen" targetRef="ende"/>
  </bpmn:process>
</bpmn:definitions>
"""

TWO_STARTS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:message id="m" name="antrag_eingegangen"/>
  <bpmn:process id="bedarf_oder_antrag" isExecutable="true">
    <bpmn:startEvent id="bedarf_gemeldet">
      <bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:conditionalEventDefinition>
        <bpmn:condition xsi:type="bpmn:tFormalExpression">${bedarf == true}</bpmn:condition>
      </bpmn:conditionalEventDefinition>
    </bpmn:startEvent>
    <bpmn:startEvent id="antrag">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="m"/>
    </bpmn:startEvent>
    <bpmn:userTask id="bedarf_pruefen"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="ende"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="bedarf_gemeldet" targetRef="bedarf_pruefen"/>
    <bpmn:sequenceFlow id="f3" sourceRef="antrag" targetRef="bedarf_pruefen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="bedarf_pruefen" targetRef="ende"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _deploy(scenario, tmp_path, name: str, xml: str) -> None:
    path = tmp_path / name
    path.write_text(xml)
    scenario.deploy_files([path])


@pytest.mark.parametrize("data", [None, {"bedarf": False}, {"bedarf": True}])
def test_a_direct_start_passes_through_the_only_conditional_start_event(scenario, tmp_path, data):
    """ConditionalStartEventTest: the condition is not evaluated by startProcessInstanceByKey."""
    _deploy(scenario, tmp_path, "bei_bedarf.bpmn", ONLY_CONDITIONAL)
    case = scenario.start("bei_bedarf", data)
    assert scenario.waits_at(case) == ["bedarf_pruefen"]
    scenario.complete(case, "bedarf_pruefen")
    assert scenario.status(case) == "completed"


def test_a_direct_start_without_an_initial_start_event_is_refused(scenario, tmp_path):
    """Conditional and message start events, no none start event: Camunda has no initial
    activity and refuses startProcessInstanceByKey; the message still starts a case."""
    _deploy(scenario, tmp_path, "bedarf_oder_antrag.bpmn", TWO_STARTS)
    with pytest.raises(InvalidState) as refused:
        scenario.start("bedarf_oder_antrag", {"bedarf": True})
    assert "Startereignis" in refused.value.user_message
    scenario.message("antrag_eingegangen")
    [case] = [c["id"] for c in queries.list_cases(scenario.engine, process_key="bedarf_oder_antrag")]
    assert scenario.waits_at(case) == ["bedarf_pruefen"]


CALLER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d2" targetNamespace="t">
  <bpmn:process id="aufrufer" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:callActivity id="bedarf_aufrufen" calledElement="bei_bedarf">
      <bpmn:incoming>g1</bpmn:incoming><bpmn:outgoing>g2</bpmn:outgoing>
    </bpmn:callActivity>
    <bpmn:endEvent id="fertig"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="g1" sourceRef="start" targetRef="bedarf_aufrufen"/>
    <bpmn:sequenceFlow id="g2" sourceRef="bedarf_aufrufen" targetRef="fertig"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_call_activity_starts_its_called_process_at_its_only_conditional_start_event(scenario, tmp_path):
    """PvmExecutionImpl.createSubProcessInstance begins the called process at its initial
    activity: its only start event, conditional or not; the condition is not evaluated."""
    (tmp_path / "bei_bedarf.bpmn").write_text(ONLY_CONDITIONAL)
    (tmp_path / "aufrufer.bpmn").write_text(CALLER)
    scenario.deploy_files([tmp_path / "bei_bedarf.bpmn", tmp_path / "aufrufer.bpmn"])
    case = scenario.start("aufrufer")
    assert scenario.waits_at(case) == ["bedarf_pruefen"]
    scenario.complete(case, "bedarf_pruefen")
    assert scenario.status(case) == "completed"


def test_MessageStartEventTest_testSingleMessageStartEvent(scenario):
    """The message starts a case; so does startProcessInstanceByKey, "if there is a single start
    event" (it passes through the message start event)."""
    scenario.deploy_camunda("event/message/MessageStartEventTest.testSingleMessageStartEvent.bpmn20.xml")
    scenario.message("newInvoiceMessage")
    [by_message] = [c["id"] for c in queries.list_cases(scenario.engine, process_key="singleMessageStartEvent")]
    [task] = scenario.waits_at(by_message)
    scenario.complete(by_message, task)
    assert scenario.status(by_message) == "completed"
    direct = scenario.start("singleMessageStartEvent")
    assert scenario.waits_at(direct) == [task]
    scenario.complete(direct, task)
    assert scenario.status(direct) == "completed"


def test_MessageStartEventTest_testMultipleMessageStartEvents(scenario):
    """Two message start events: each message starts a case at its own; a direct start is
    refused ("has no default start activity")."""
    scenario.deploy_camunda("event/message/MessageStartEventTest.testMultipleMessageStartEvents.bpmn20.xml")
    for message, task in (("newInvoiceMessage", "taskAfterMessageStart"),
                          ("newInvoiceMessage2", "taskAfterMessageStart2")):
        before = {c["id"] for c in queries.list_cases(scenario.engine, process_key="testProcess")}
        scenario.message(message)
        [case] = [c["id"] for c in queries.list_cases(scenario.engine, process_key="testProcess")
                  if c["id"] not in before]
        assert scenario.waits_at(case) == [task]
    with pytest.raises(InvalidState, match="no default start activity"):
        scenario.start("testProcess")


ONLY_SIGNAL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d3" targetNamespace="t">
  <bpmn:signal id="s" name="frist_abgelaufen"/>
  <bpmn:process id="bei_signal" isExecutable="true">
    <bpmn:startEvent id="signal_start"><bpmn:outgoing>h1</bpmn:outgoing>
      <bpmn:signalEventDefinition signalRef="s"/></bpmn:startEvent>
    <bpmn:userTask id="nachfassen"><bpmn:incoming>h1</bpmn:incoming><bpmn:outgoing>h2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="ende"><bpmn:incoming>h2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="h1" sourceRef="signal_start" targetRef="nachfassen"/>
    <bpmn:sequenceFlow id="h2" sourceRef="nachfassen" targetRef="ende"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_direct_start_and_a_call_pass_through_the_only_signal_start_event(scenario, tmp_path):
    (tmp_path / "bei_signal.bpmn").write_text(ONLY_SIGNAL)
    (tmp_path / "aufrufer.bpmn").write_text(CALLER.replace('calledElement="bei_bedarf"', 'calledElement="bei_signal"'))
    scenario.deploy_files([tmp_path / "bei_signal.bpmn", tmp_path / "aufrufer.bpmn"])
    direct = scenario.start("bei_signal")
    assert scenario.waits_at(direct) == ["nachfassen"]
    called = scenario.start("aufrufer")
    assert scenario.waits_at(called) == ["nachfassen"]
    scenario.complete(called, "nachfassen")
    assert scenario.status(called) == "completed"


FLOWABLE_SIGNAL_STARTS = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="t">
  <signal id="s1" name="frist_a"/>
  <signal id="s2" name="frist_b"/>
  <process id="zwei_fristen" isExecutable="true">
    <startEvent id="start_b"><signalEventDefinition signalRef="s2"/></startEvent>
    <startEvent id="start_a"><signalEventDefinition signalRef="s1"/></startEvent>
    <sequenceFlow id="fb" sourceRef="start_b" targetRef="pruefen_b"/>
    <sequenceFlow id="fa" sourceRef="start_a" targetRef="pruefen_a"/>
    <userTask id="pruefen_b" flowable:candidateGroups="sachbearbeitung"/>
    <userTask id="pruefen_a" flowable:candidateGroups="sachbearbeitung"/>
    <sequenceFlow id="fb2" sourceRef="pruefen_b" targetRef="ende"/>
    <sequenceFlow id="fa2" sourceRef="pruefen_a" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""


def test_a_flowable_model_with_several_start_events_starts_directly_at_the_first(scenario, tmp_path):
    """Flowable's StartEventParseHandler: without a none start event the first start event of
    the process is its initial activity (Camunda refuses instead, see above); the other start
    events stay shut, and each signal still starts a case of its own."""
    _deploy(scenario, tmp_path, "zwei_fristen.bpmn", FLOWABLE_SIGNAL_STARTS)
    direct = scenario.start("zwei_fristen")
    assert scenario.waits_at(direct) == ["pruefen_b"]
    scenario.complete(direct, "pruefen_b")
    assert scenario.status(direct) == "completed"
    scenario.signal("frist_a")
    started = [c["id"] for c in queries.list_cases(scenario.engine, process_key="zwei_fristen") if c["id"] != direct]
    assert [scenario.waits_at(c) for c in started] == [["pruefen_a"]]
