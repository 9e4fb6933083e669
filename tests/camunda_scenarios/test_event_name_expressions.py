"""Message and signal names given as expressions (Camunda 7, issue 11): a catch event, receive
task or boundary event subscribes under the name its expression yields from the case's
variables when it starts to wait; a throw event or end event throws under the name it yields
when it throws; a start event with such a name is refused at deploy, except a signal name
whose expression reads no variable (evaluated at deploy, as Camunda does). SQLite and
PostgreSQL, a save/restore at every wait."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.domain.errors import DeploymentError
from engine.services import queries
from engine.persistence import tables as t
from tests.integration.helpers import MODELS

FOLDER = MODELS / "camunda" / "event_name_expressions"
SIG = "event/signal/SignalEventExpressionNameTest."
MSG = "event/message/"


def subscriptions(scenario, kind: str, case_id: str | None = None) -> list[str]:
    """Names of the stored subscriptions of ``kind`` (of one case, or all), sorted."""
    s = t.subscriptions
    query = select(s.c.name).where(s.c.kind == kind)
    if case_id is not None:
        query = query.where(s.c.case_id == case_id)
    with scenario.engine.db.connect() as conn:
        return sorted(conn.execute(query).scalars())


def test_catching_side_subscribes_under_the_name_resolved_with_the_case_variables(scenario):
    scenario.deploy_files([FOLDER / "akte_wartet.bpmn"])
    erste = scenario.start("akteWartet", {"aktenzeichen": "A-1"}, business_key="BK-1")
    zweite = scenario.start("akteWartet", {"aktenzeichen": "B-2"}, business_key="BK-2")
    assert subscriptions(scenario, "message") == ["nachricht_A-1", "nachricht_B-2"]

    # the name was resolved when the receive task subscribed: a later change does not move it
    scenario.set_variables(erste, {"aktenzeichen": "X-9"})
    assert subscriptions(scenario, "message", erste) == ["nachricht_A-1"]
    assert scenario.message("nachricht_X-9", "BK-1", buffer=False).status != "delivered"

    scenario.message("nachricht_B-2", "BK-2")   # the business key is the correlation key
    assert subscriptions(scenario, "message", zweite) == []
    assert subscriptions(scenario, "signal", zweite) == ["freigabe-BK-2"]   # execution.processBusinessKey
    assert scenario.signal("freigabe-BK-1") == 0                             # case 1 still at its receive task
    scenario.signal("freigabe-BK-2")
    assert scenario.waits_at(zweite) == ["bearbeiten"]
    assert subscriptions(scenario, "message", zweite) == ["storno-B-2"]      # the boundary event

    scenario.message("storno-B-2", "BK-2")
    assert scenario.status(zweite) == "completed" and scenario.waits_at(zweite) == []
    assert scenario.status(erste) != "completed"
    assert subscriptions(scenario, "message", erste) == ["nachricht_A-1"]


def test_throwing_side_resolves_the_name_when_it_throws(scenario):
    scenario.deploy_files([FOLDER / "akte_wartet.bpmn", FOLDER / "akte_meldet.bpmn"])
    erste = scenario.start("akteWartet", {"aktenzeichen": "A-1"}, business_key="BK-1")
    zweite = scenario.start("akteWartet", {"aktenzeichen": "B-2"}, business_key="BK-2")
    scenario.message("nachricht_A-1", "BK-1")
    scenario.message("nachricht_B-2", "BK-2")
    assert subscriptions(scenario, "signal") == ["freigabe-BK-1", "freigabe-BK-2"]

    # the signal goes to freigabe-BK-2 only; the message end event cancels B-2 only
    melder = scenario.start("akteMeldet", {"ziel": "BK-2", "aktenzeichen": "B-2"}, business_key="BK-2")
    assert scenario.status(melder) == "completed"
    assert scenario.status(zweite) == "completed"
    assert scenario.waits_at(zweite) == []
    assert subscriptions(scenario, "signal", erste) == ["freigabe-BK-1"]
    assert scenario.status(erste) != "completed"


def test_a_start_event_with_a_name_expression_is_refused(scenario):
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_files([FOLDER / "start_mit_ausdruck.bpmn"])
    [problem] = caught.value.problems
    assert problem.element_id == "eingegangen"
    assert "eingang-${aktenzeichen}" in problem.message and "start event" in problem.message


def test_a_name_expression_that_cannot_be_resolved_fails_the_case_with_an_incident(scenario):
    """The start is kept (nothing of an application is lost): the case fails with an incident
    naming the expression and subscribes to nothing (tests/camunda_scenarios/test_event_name_failures.py)."""
    scenario.deploy_files([FOLDER / "akte_wartet.bpmn"])
    case = scenario.start("akteWartet", {})
    found = scenario.case(case)
    assert found["status"] == "failed"
    assert any("aktenzeichen" in i["message"] for i in found["incidents"]), found["incidents"]
    assert subscriptions(scenario, "message") == []


@pytest.mark.corpus
def test_SignalEventExpressionNameTest_testSignalThrowCatchIntermediate(scenario):
    scenario.deploy_camunda(SIG + "testSignalCatchIntermediate.bpmn20.xml", SIG + "testSignalThrowIntermediate.bpmn20.xml")
    scenario.start("catchSignal", {"var": "TestVar"})
    assert subscriptions(scenario, "signal") == ["alert-TestVar"]
    scenario.start("throwSignal", {"var": "TestVar"})
    assert subscriptions(scenario, "signal") == []
    with scenario.engine.db.connect() as conn:
        statuses = set(conn.execute(select(t.cases.c.status)).scalars())
    assert statuses == {"completed"}


@pytest.mark.corpus
def test_SignalEventExpressionNameTest_testSignalCatchBoundary(scenario):
    scenario.deploy_camunda(SIG + "testSignalCatchBoundary.bpmn20.xml", SIG + "testSignalThrowIntermediate.bpmn20.xml")
    catcher = scenario.start("catchSignal", {"var": "TestVar"})
    assert subscriptions(scenario, "signal") == ["alert-TestVar"]
    scenario.start("throwSignal", {"var": "TestVar"})
    assert subscriptions(scenario, "signal") == []
    assert scenario.status(catcher) == "completed"


@pytest.mark.corpus
def test_MessageIntermediateEventTest_testExpressionInSingleIntermediateMessageEvent(scenario):
    scenario.deploy_camunda(MSG + "MessageIntermediateEventTest.testExpressionInSingleIntermediateMessageEvent.bpmn20.xml")
    case = scenario.start("process", {"foo": "bar"})
    assert subscriptions(scenario, "message", case) == ["newInvoiceMessage-bar"]
    scenario.message("newInvoiceMessage-bar", to_case=case, any_key=True)   # messageEventReceived(name, executionId)
    assert scenario.waits_at(case) == ["task"]
    scenario.complete(case, "task")
    assert scenario.status(case) == "completed"


@pytest.mark.corpus
def test_MessageBoundaryEventTest_testExpressionInBoundaryMessageEventName(scenario):
    scenario.deploy_camunda(MSG + "MessageBoundaryEventTest.testExpressionInBoundaryMessageEventName.bpmn20.xml")
    case = scenario.start("process", {"foo": "bar"})
    assert subscriptions(scenario, "message", case) == ["messageName-bar"]
    scenario.message("messageName-bar", to_case=case, any_key=True)   # messageEventReceived(name, executionId)
    assert scenario.waits_at(case) == ["taskAfterMessage"]
    scenario.complete(case, "taskAfterMessage")
    assert scenario.status(case) == "completed"


@pytest.mark.corpus
def test_MessageStartEventTest_testUsingExpressionWithDollarTagInMessageStartEventNameThrowsException(scenario):
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_camunda(
            MSG + "MessageStartEventTest.testUsingExpressionWithDollarTagInMessageStartEventNameThrowsException.bpmn20.xml")
    assert any("messageName-${'foo'}" in p.message for p in caught.value.problems)


@pytest.mark.corpus
def test_SignalEventExpressionNameTest_testSignalStartEvent(scenario):
    """A signal start event's name expression that reads no variable is evaluated at deploy."""
    scenario.deploy_camunda(SIG + "testSignalStartEvent.bpmn20.xml")
    assert scenario.signal("alert-foo") == 1
    [case] = queries.list_cases(scenario.engine, process_key="startBySignal")
    assert scenario.waits_at(case["id"]) == ["task"]


@pytest.mark.corpus
def test_SignalEventExpressionNameTest_testAsyncSignalStartEvent(scenario):
    scenario.deploy_camunda(SIG + "testSignalStartEvent.bpmn20.xml", SIG + "throwAlertSignalAsync.bpmn20.xml")
    thrower = scenario.start("throwSignalAsync")
    scenario.run_jobs()                                        # the asynchronous throw
    assert scenario.status(thrower) == "completed"
    [case] = queries.list_cases(scenario.engine, process_key="startBySignal")
    assert scenario.waits_at(case["id"]) == ["task"]


def test_a_start_event_signal_name_that_reads_a_variable_stays_refused(scenario, tmp_path):
    model = tmp_path / "signal_start_variable.bpmn"
    model.write_text(SIGNAL_START.replace("${'foo'}", "${art}"))
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_files([model])
    assert any("alert-${art}" in p.message and "start event" in p.message for p in caught.value.problems)


SIGNAL_START = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             id="d" targetNamespace="t">
  <signal id="alarm" name="alert-${'foo'}"/>
  <process id="start_per_signal" isExecutable="true">
    <startEvent id="start"><signalEventDefinition signalRef="alarm"/></startEvent>
    <sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <userTask id="task"/>
    <sequenceFlow id="f2" sourceRef="task" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""
