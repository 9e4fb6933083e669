"""Ported Camunda 7 engine tests: event sub-processes at process level, interrupting and not
(MessageEventSubprocessTest, InterruptingEventSubProcessTest, EscalationEventSubprocessTest,
ErrorEventSubProcessTest, UnhandledBpmnErrorTest)."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.persistence import tables as t
from tests.camunda_scenarios.semantics_helpers import correlate

MSG = "event/message/MessageEventSubprocessTest."
ESC = "event/escalation/EscalationEventSubprocessTest."


def subscriptions(scenario, kind: str | None = None) -> int:
    s = t.subscriptions
    query = select(func.count()).select_from(s)
    if kind is not None:
        query = query.where(s.c.kind == kind)
    with scenario.engine.db.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _interrupting_under_process_definition(scenario, model: str, expected_subscriptions: int) -> None:
    scenario.deploy_camunda(MSG + model)
    case = scenario.start("process")
    assert subscriptions(scenario) == expected_subscriptions
    scenario.complete(case, "task")
    assert scenario.status(case) == "completed", scenario.case(case)["error"]
    assert subscriptions(scenario) == 0
    second = scenario.start("process")
    assert correlate(scenario, "newMessage").status == "delivered"
    assert scenario.waits_at(second) == ["eventSubProcessTask"]      # the main flow was interrupted
    assert subscriptions(scenario) == 0
    scenario.complete(second, "eventSubProcessTask")
    assert scenario.status(second) == "completed", scenario.case(second)["error"]
    assert subscriptions(scenario) == 0


def test_MessageEventSubprocessTest_testInterruptingUnderProcessDefinition(scenario):
    _interrupting_under_process_definition(scenario, "testInterruptingUnderProcessDefinition.bpmn20.xml", 1)


def test_MessageEventSubprocessTest_testTwoInterruptingUnderProcessDefinition(scenario):
    _interrupting_under_process_definition(scenario, "testTwoInterruptingUnderProcessDefinition.bpmn20.xml", 2)


def test_MessageEventSubprocessTest_testNonInterruptingUnderProcessDefinition(scenario):
    scenario.deploy_camunda(MSG + "testNonInterruptingUnderProcessDefinition.bpmn20.xml")
    case = scenario.start("process")
    assert subscriptions(scenario) == 1
    scenario.complete(case, "task")
    assert scenario.status(case) == "completed" and subscriptions(scenario) == 0
    second = scenario.start("process")
    correlate(scenario, "newMessage")
    assert scenario.waits_at(second) == ["eventSubProcessTask", "task"]
    scenario.complete(second, "task")
    assert scenario.status(second) != "completed"                   # the event sub-process still runs
    scenario.complete(second, "eventSubProcessTask")
    assert scenario.status(second) == "completed"
    third = scenario.start("process")
    correlate(scenario, "newMessage")
    assert scenario.waits_at(third) == ["eventSubProcessTask", "task"]
    scenario.complete(third, "eventSubProcessTask")
    assert scenario.status(third) != "completed"
    scenario.complete(third, "task")
    assert scenario.status(third) == "completed"


def test_MessageEventSubprocessTest_testNonInterruptingUnderProcessDefinitionScope(scenario):
    scenario.deploy_camunda(MSG + "testNonInterruptingUnderProcessDefinitionScope.bpmn20.xml")
    case = scenario.start("process")
    assert subscriptions(scenario) == 1
    scenario.complete(case, "task")
    assert scenario.status(case) == "completed" and subscriptions(scenario) == 0
    second = scenario.start("process")
    correlate(scenario, "newMessage")
    assert len(scenario.tasks(second)) == 2 and subscriptions(scenario) == 1   # non-interrupting: still offered
    scenario.complete(second, "task")
    scenario.complete(second, "eventSubProcessTask")
    assert scenario.status(second) == "completed"


def test_InterruptingEventSubProcessTest_testCancelEventSubscriptionsWhenReceivingAMessage(scenario):
    scenario.deploy_camunda("subprocess/InterruptingEventSubProcessTest.testCancelEventSubscriptions.bpmn")
    case = scenario.start("process")
    assert scenario.waits_at(case) == ["taskBeforeInterruptingEventSuprocess"]
    assert subscriptions(scenario) == 2
    correlate(scenario, "newMessage")
    assert scenario.waits_at(case) == ["taskAfterMessageStartEvent"]
    assert subscriptions(scenario) == 0
    assert scenario.signal("newSignal") == 0                       # nobody waits for it any more
    scenario.complete(case, "taskAfterMessageStartEvent")
    assert scenario.status(case) == "completed"


def test_InterruptingEventSubProcessTest_testCancelEventSubscriptionsWhenReceivingASignal(scenario):
    scenario.deploy_camunda("subprocess/InterruptingEventSubProcessTest.testCancelEventSubscriptions.bpmn")
    case = scenario.start("process")
    assert subscriptions(scenario) == 2
    assert scenario.signal("newSignal") == 1
    assert scenario.waits_at(case) == ["tastAfterSignalStartEvent"]
    assert subscriptions(scenario) == 0
    assert correlate(scenario, "newMessage", only_if_waiting=True).status == "ignored"
    scenario.complete(case, "tastAfterSignalStartEvent")
    assert scenario.status(case) == "completed"


def test_EscalationEventSubprocessTest_testInterruptionEscalationEventSubprocessWithMultiInstanceSubprocess(scenario):
    scenario.deploy_camunda(ESC + "testInterruptionEscalationEventSubprocessWithMultiInstanceSubprocess.bpmn20.xml")
    case = scenario.start("escalationProcess")
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalation"]


def test_EscalationEventSubprocessTest_testCatchEscalationEventFromMultiInstanceSubprocess(scenario):
    scenario.deploy_camunda(ESC + "testCatchEscalationEventFromMultiInstanceSubprocess.bpmn20.xml")
    case = scenario.start("escalationProcess")
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalation"] * 5 + ["taskInSubprocess"] * 5


def test_EscalationEventSubprocessTest_testCatchEscalationEventFromEmbeddedSubprocess(scenario):
    scenario.deploy_camunda(ESC + "testCatchEscalationEventFromEmbeddedSubprocess.bpmn20.xml")
    case = scenario.start("escalationProcess")
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalation", "taskInSubprocess"]


def test_ErrorEventSubProcessTest_testCatchErrorEventSubprocessSetErrorVariables_catches(scenario):
    """The error end event's error starts the interrupting error event sub-process (the
    variables part of the Java test is not ported: errorCodeVariable is not read)."""
    scenario.deploy_camunda("event/error/ErrorEventSubProcessTest.testCatchErrorEventSubprocessSetErrorVariables.bpmn")
    case = scenario.start("Process_1")
    assert scenario.waits_at(case) == ["UserTask_1"]


def test_UnhandledBpmnErrorTest_testUncaughtErrorSimpleProcess(scenario):
    """An error end event nothing catches: Camunda (enableExceptionsAfterUnhandledBpmnError)
    fails with "no error handler"; here the case fails with an open incident."""
    scenario.deploy_camunda("event/error/UnhandledBpmnErrorTest.testUncaughtErrorSimpleProcess.bpmn20.xml")
    case = scenario.start("process")
    view = scenario.case(case)
    assert view["status"] == "failed" and "myError" in view["error"]
    assert [i["element_id"] for i in view["incidents"]] == ["theEnd"]
