"""A message to one instance of a parallel multi-instance activity (issue 11).

Camunda 7 gives each waiting activity instance its own event subscription: the instances of
a parallel multi-instance receive task, of a receive task inside a parallel multi-instance
sub-process, of an event sub-process inside one. A correlation delivers to exactly one
matching subscription (by business key, the instance's local variables, the execution),
``correlateAll`` to each, and one that matches several is refused
(MismatchingMessageCorrelationException). Specification: ReceiveTaskTest,
MessageEventSubprocessTest and MessageCorrelationTest (localVariableEquals, correlateAll,
processInstanceId). Every step below is a command of its own with the case cache off, so
every wait is saved and restored.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.domain.errors import AmbiguousCorrelation, NoCorrelation
from engine.persistence import tables as t
from tests.camunda_scenarios.conftest import Scenario

RT = "receivetask/ReceiveTaskTest."
MSG = "event/message/MessageEventSubprocessTest."

# A parallel multi-instance sub-process over the collection "stellen" (element variable
# "stelle"); each instance waits in a receive task for "antwort", then at a user task.
MI_RECEIVE = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <message id="m" name="antwort"/>
  <process id="umfrage" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="befragen"/>
    <subProcess id="befragen">
      <multiInstanceLoopCharacteristics camunda:collection="${stellen}" camunda:elementVariable="stelle"/>
      <startEvent id="s"/>
      <sequenceFlow id="g1" sourceRef="s" targetRef="warten"/>
      <receiveTask id="warten" messageRef="m"/>
      <sequenceFlow id="g2" sourceRef="warten" targetRef="pruefen"/>
      <userTask id="pruefen"/>
      <sequenceFlow id="g3" sourceRef="pruefen" targetRef="e"/>
      <endEvent id="e"/>
    </subProcess>
    <sequenceFlow id="f2" sourceRef="befragen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""


def _subscriptions(scenario: Scenario, name: str | None = None) -> list[str]:
    s = t.subscriptions
    query = select(s.c.task_id).where(s.c.kind == "message").order_by(s.c.task_id)
    if name is not None:
        query = query.where(s.c.name == name)
    with scenario.engine.db.connect() as conn:
        return list(conn.execute(query).scalars())


def _open_instances(scenario: Scenario, case: str, element_id: str) -> list[dict[str, Any]]:
    """The data each open instance of ``element_id`` sees (read from the stored case)."""
    eng = scenario.engine
    with eng.db.connect() as conn:
        row = conn.execute(select(t.cases).where(t.cases.c.id == case)).one()
    wf = eng.serializer.loads(row.state, eng.definitions.get(row.definition_id), eng.script_engine,
                              row.serializer_version)
    return [seen for seen, _local in eng.runner.activity_variables(wf, element_id)]


def _start_umfrage(scenario: Scenario) -> str:
    scenario.deploy_files([], extra={"umfrage.bpmn": MI_RECEIVE})
    return scenario.start("umfrage", {"stellen": ["a", "b", "c"]}, business_key="U-1")


def test_a_message_naming_an_instance_by_its_element_variable_reaches_that_instance_only(scenario: Scenario) -> None:
    """MessageCorrelationTest (localVariableEquals): the instance whose element variable
    matches gets the message; the other two still wait, each with its own subscription."""
    case = _start_umfrage(scenario)
    assert len(_subscriptions(scenario)) == 3
    outcome = scenario.message("antwort", "U-1", {"antwort": "ja"}, local_variables={"stelle": "b"})
    assert outcome.status == "delivered" and outcome.case_id == case
    assert len(_subscriptions(scenario)) == 2
    [seen] = _open_instances(scenario, case, "pruefen")
    assert seen["stelle"] == "b" and seen["antwort"] == "ja"
    scenario.message("antwort", "U-1", {"antwort": "nein"}, local_variables={"stelle": "a"})
    assert sorted((s["stelle"], s["antwort"]) for s in _open_instances(scenario, case, "pruefen")) == [
        ("a", "nein"), ("b", "ja")]
    assert [s["stelle"] for s in _open_instances(scenario, case, "warten")] == ["c"]


def test_a_message_naming_an_instance_by_its_loop_counter(scenario: Scenario) -> None:
    case = _start_umfrage(scenario)
    scenario.message("antwort", "U-1", local_variables={"loopCounter": 2})
    [seen] = _open_instances(scenario, case, "pruefen")
    assert seen["stelle"] == "c"


def test_a_message_matching_several_instances_is_refused_and_correlate_all_reaches_each(scenario: Scenario) -> None:
    """ReceiveTaskTest.testNotSupportsCorrelateMessageOnParallelMultiReceiveTask with a key:
    three subscriptions match, nothing is delivered; correlateAll delivers to all three."""
    case = _start_umfrage(scenario)
    with pytest.raises(AmbiguousCorrelation) as refused:
        scenario.message("antwort", "U-1")
    assert "3 waits of one case" in refused.value.message
    assert len(_subscriptions(scenario)) == 3 and _open_instances(scenario, case, "pruefen") == []
    outcome = scenario.message("antwort", "U-1", {"antwort": "alle"}, to_all=True)
    assert outcome.status == "delivered" and outcome.case_ids == [case]
    assert _subscriptions(scenario) == []
    assert sorted((s["stelle"], s["antwort"]) for s in _open_instances(scenario, case, "pruefen")) == [
        ("a", "alle"), ("b", "alle"), ("c", "alle")]


def test_a_message_naming_no_waiting_instance_is_refused_not_buffered(scenario: Scenario) -> None:
    case = _start_umfrage(scenario)
    with pytest.raises(NoCorrelation):
        scenario.message("antwort", "U-1", local_variables={"stelle": "x"})
    with scenario.engine.db.connect() as conn:
        assert conn.execute(select(t.messages.c.id)).first() is None
    assert len(_subscriptions(scenario)) == 3 and scenario.status(case) == "waiting"


def test_correlate_all_reaches_instances_in_several_cases(scenario: Scenario) -> None:
    scenario.deploy_files([], extra={"umfrage.bpmn": MI_RECEIVE})
    first = scenario.start("umfrage", {"stellen": ["a", "b"]}, business_key="U-1")
    second = scenario.start("umfrage", {"stellen": ["c"]}, business_key="U-2")
    outcome = scenario.message("antwort", to_all=True, any_key=True, message_id="rundschreiben-1")
    assert sorted(outcome.case_ids) == sorted([first, second])
    assert _subscriptions(scenario) == []
    assert len(_open_instances(scenario, first, "pruefen")) == 2 and len(_open_instances(scenario, second, "pruefen")) == 1


def test_a_buffered_message_reaches_one_instance_only(scenario: Scenario) -> None:
    """A message that came before the case waited (amtsflow buffers it) is one message: it
    reaches the first instance's subscription, not each instance."""
    scenario.deploy_files([], extra={"umfrage.bpmn": MI_RECEIVE})
    assert scenario.message("antwort", "U-1", {"antwort": "vorab"}).status == "buffered"
    case = scenario.start("umfrage", {"stellen": ["a", "b"]}, business_key="U-1")
    assert [s["antwort"] for s in _open_instances(scenario, case, "pruefen")] == ["vorab"]
    assert len(_subscriptions(scenario)) == 1


def test_ReceiveTaskTest_testSupportsMessageEventReceivedOnParallelMultiReceiveTask(scenario: Scenario) -> None:
    """Each of the two subscriptions is triggered on its own (messageEventReceived(name,
    executionId)); then the case ends."""
    scenario.deploy_camunda(RT + "multiParallelReceiveTask.bpmn20.xml")
    case = scenario.start("testProcess")
    first, second = _subscriptions(scenario)
    scenario.message("newInvoiceMessage", to_case=case, any_key=True, to_wait=first)
    assert _subscriptions(scenario) == [second] and scenario.status(case) == "waiting"
    scenario.message("newInvoiceMessage", to_case=case, any_key=True, to_wait=second)
    assert _subscriptions(scenario) == [] and scenario.status(case) == "completed"


def test_ReceiveTaskTest_testSupportsMessageEventReceivedOnMultiSubProcessReceiveTask(scenario: Scenario) -> None:
    scenario.deploy_camunda(RT + "multiSubProcessReceiveTask.bpmn20.xml")
    case = scenario.start("testProcess")
    first, second = _subscriptions(scenario)
    scenario.message("newInvoiceMessage", to_case=case, any_key=True, to_wait=second)
    assert _subscriptions(scenario) == [first]
    with pytest.raises(NoCorrelation):       # that subscription is gone
        scenario.message("newInvoiceMessage", to_case=case, any_key=True, to_wait=second)
    scenario.message("newInvoiceMessage", to_case=case, any_key=True, to_wait=first)
    assert _subscriptions(scenario) == [] and scenario.status(case) == "completed"


def test_ReceiveTaskTest_testSupportsMessageEventReceivedOnParallelMultiInstanceWithBoundary(scenario: Scenario) -> None:
    """Both receive-task instances triggered one by one; the boundary subscription goes with
    the activity."""
    scenario.deploy_camunda(RT + "multiParallelReceiveTaskBoundary.bpmn20.xml")
    case = scenario.start("testProcess")
    assert len(_subscriptions(scenario)) == 3
    first, second = _subscriptions(scenario, "newInvoiceMessage")
    scenario.message("newInvoiceMessage", to_case=case, any_key=True, to_wait=first)
    scenario.message("newInvoiceMessage", to_case=case, any_key=True, to_wait=second)
    assert _subscriptions(scenario) == [] and scenario.status(case) == "completed"


def test_MessageEventSubprocessTest_testNonInterruptingInMultiParallelEmbeddedSubprocess(scenario: Scenario) -> None:
    scenario.deploy_camunda(MSG + "testNonInterruptingInMultiParallelEmbeddedSubprocess.bpmn20.xml")
    # I. complete the tasks only
    case = scenario.start("process")
    assert len(_subscriptions(scenario)) == 2
    for task in scenario.tasks(case):
        assert task["element_id"] == "subUserTask"
        scenario.complete_task(task["id"])
    assert _subscriptions(scenario) == []
    scenario.complete(case, "userTask")
    assert scenario.status(case) == "completed"
    # II. trigger the event sub-process of each instance
    case = scenario.start("process")
    for wait in _subscriptions(scenario):
        scenario.message("message", to_case=case, any_key=True, to_wait=wait)
    assert len(_subscriptions(scenario)) == 2            # non-interrupting: they stay
    assert scenario.waits_at(case) == ["messageUserTask", "messageUserTask", "subUserTask", "subUserTask"]
    for task in [w for w in scenario.tasks(case) if w["element_id"] == "messageUserTask"]:
        scenario.complete_task(task["id"])
    scenario.complete_task([w for w in scenario.tasks(case) if w["element_id"] == "subUserTask"][0]["id"])
    [left] = _subscriptions(scenario)                   # only the second instance's
    scenario.message("message", to_case=case, any_key=True, to_wait=left)
    assert scenario.waits_at(case) == ["messageUserTask", "subUserTask"]
    for task in scenario.tasks(case):
        scenario.complete_task(task["id"])
    assert _subscriptions(scenario) == []
    scenario.complete(case, "userTask")
    assert scenario.status(case) == "completed"
