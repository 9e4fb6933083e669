"""Ported Camunda 7 engine tests: event sub-processes inside embedded sub-processes, inside
called processes and inside other event sub-processes (MessageEventSubprocessTest,
EscalationEventSubprocessTest, ErrorEventSubProcessTest, InterruptingEventSubProcessTest,
TimerStartEventSubprocessTest, SignalEventTest). Every wait is a save/restore (cache off)."""

from __future__ import annotations

from datetime import timedelta

from tests.camunda_scenarios.semantics_helpers import correlate
from tests.camunda_scenarios.test_semantics_event_subprocess import subscriptions

MSG = "event/message/MessageEventSubprocessTest."
ESC = "event/escalation/EscalationEventSubprocessTest."
ERR = "event/error/ErrorEventSubProcessTest."


def test_MessageEventSubprocessTest_testNonInterruptingInEmbeddedSubprocess(scenario):
    scenario.deploy_camunda(MSG + "testNonInterruptingInEmbeddedSubprocess.bpmn20.xml")
    case = scenario.start("process")
    assert subscriptions(scenario) == 1
    scenario.complete(case, "task")
    assert scenario.status(case) == "completed" and subscriptions(scenario) == 0
    second = scenario.start("process")
    correlate(scenario, "newMessage")
    assert scenario.waits_at(second) == ["eventSubProcessTask", "task"]
    scenario.complete(second, "task")
    assert scenario.status(second) != "completed"            # the sub-process waits for its event sub-process
    scenario.complete(second, "eventSubProcessTask")
    assert scenario.status(second) == "completed"
    third = scenario.start("process")
    correlate(scenario, "newMessage")
    scenario.complete(third, "eventSubProcessTask")
    assert scenario.waits_at(third) == ["task"]
    scenario.complete(third, "task")
    assert scenario.status(third) == "completed"


def test_MessageEventSubprocessTest_testMultipleNonInterruptingInEmbeddedSubprocess(scenario):
    scenario.deploy_camunda(MSG + "testMultipleNonInterruptingInEmbeddedSubprocess.bpmn20.xml")
    case = scenario.start("process")
    assert subscriptions(scenario) == 1
    for i in (1, 2):
        correlate(scenario, "newMessage")
        assert scenario.waits_at(case).count("eventSubProcessTask") == i
        assert subscriptions(scenario) == 1                   # non-interrupting: still offered
    scenario.complete(case, "subProcessTask")                 # terminate end event of the sub-process
    assert scenario.waits_at(case) == []
    assert scenario.status(case) == "completed"
    assert subscriptions(scenario) == 0


# --- escalation event sub-processes inside sub-processes -------------------------------------

def _esc(scenario, java: str, key: str = "escalationProcess", *extra: str) -> str:
    scenario.deploy_camunda(*extra, ESC + java + ".bpmn20.xml")
    return scenario.start(key)


def test_EscalationEventSubprocessTest_testCatchEscalationEventInsideSubprocess(scenario):
    case = _esc(scenario, "testCatchEscalationEventInsideSubprocess")
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalation", "taskInSubprocess"]


def test_EscalationEventSubprocessTest_testPreferEscalationEventSubprocessToBoundaryEvent(scenario):
    case = _esc(scenario, "testPreferEscalationEventSubprocessToBoundaryEvent")
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalationInsideSubprocess", "taskInSubprocess"]


def test_EscalationEventSubprocessTest_testEscalationEventSubprocessWithEscalationCode(scenario):
    case = _esc(scenario, "testEscalationEventSubprocessWithEscalationCode")
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalation1", "taskInSubprocess"]


def test_EscalationEventSubprocessTest_testEscalationEventSubprocessWithoutEscalationCode(scenario):
    case = _esc(scenario, "testEscalationEventSubprocessWithoutEscalationCode")
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalation", "taskInSubprocess"]


def test_EscalationEventSubprocessTest_testInterruptionEscalationEventSubprocess(scenario):
    case = _esc(scenario, "testInterruptionEscalationEventSubprocess")
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalation"]     # the sub-process's flow was cancelled
    scenario.complete(case, "taskAfterCatchedEscalation")
    assert scenario.status(case) == "completed"


def test_EscalationEventSubprocessTest_testReThrowEscalationEventToBoundaryEvent(scenario):
    case = _esc(scenario, "testReThrowEscalationEventToBoundaryEvent")
    scenario.complete(case, "taskAfterCatchedEscalationInsideSubprocess")      # re-throws
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalation", "taskInSubprocess"]   # on the boundary event


def test_EscalationEventSubprocessTest_testReThrowEscalationEventToBoundaryEventWithoutEscalationCode(scenario):
    case = _esc(scenario, "testReThrowEscalationEventToBoundaryEventWithoutEscalationCode")
    scenario.complete(case, "taskAfterCatchedEscalationInsideSubprocess")
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalation", "taskInSubprocess"]   # on the boundary event


def test_EscalationEventSubprocessTest_testReThrowEscalationEventToEventSubprocess(scenario):
    case = _esc(scenario, "testReThrowEscalationEventToEventSubprocess")
    scenario.complete(case, "taskAfterCatchedEscalationInsideSubprocess1")
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalationInsideSubprocess2", "taskInSubprocess"]   # process level


def test_EscalationEventSubprocessTest_testReThrowEscalationEventIsNotCatched(scenario):
    """An event sub-process does not catch the escalation its own end event throws."""
    case = _esc(scenario, "testReThrowEscalationEventIsNotCatched")
    scenario.complete(case, "taskAfterCatchedEscalationInsideSubprocess")
    assert scenario.waits_at(case) == ["taskInSubprocess"]
    scenario.complete(case, "taskInSubprocess")
    assert scenario.status(case) == "completed"


def test_EscalationEventSubprocessTest_testThrowEscalationEventToEventSubprocess(scenario):
    case = _esc(scenario, "testThrowEscalationEventToEventSubprocess")
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalationInsideSubprocess1", "taskInSubprocess"]
    scenario.complete(case, "taskAfterCatchedEscalationInsideSubprocess1")
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalationInsideSubprocess2", "taskInSubprocess"]


def test_EscalationEventSubprocessTest_testRetrieveEscalationCodeVariableOnEventSubprocess(scenario):
    case = _esc(scenario, "testRetrieveEscalationCodeVariableOnEventSubprocess")
    assert scenario.data(case)["escalationCodeVar"] == "escalationCode"


def test_EscalationEventSubprocessTest_testRetrieveEscalationCodeVariableOnEventSubprocessWithoutEscalationCode(
        scenario):
    case = _esc(scenario, "testRetrieveEscalationCodeVariableOnEventSubprocessWithoutEscalationCode")
    assert scenario.data(case)["escalationCodeVar"] == "escalationCode"


def test_EscalationEventSubprocessTest_testNonInterruptingEscalationTriggeredTwiceWithMainTaskCompletedFirst(scenario):
    scenario.deploy_camunda(ESC + "testNonInterruptingEscalationTriggeredTwice.bpmn20.xml")
    case = scenario.start("escalationProcess")
    scenario.complete(case, "TaskInMainprocess")
    assert scenario.waits_at(case).count("TaskInSubprocess") == 2


def test_EscalationEventSubprocessTest_testNonInterruptingEscalationTriggeredTwiceWithSubprocessTaskCompletedFirst(
        scenario):
    scenario.deploy_camunda(ESC + "testNonInterruptingEscalationTriggeredTwice.bpmn20.xml")
    case = scenario.start("escalationProcess")
    scenario.complete(case, "TaskInSubprocess")
    scenario.complete(case, "TaskInMainprocess")
    assert scenario.waits_at(case).count("TaskInSubprocess") == 1


def test_EscalationEventSubprocessTest_testNonInterruptingEscalationTriggeredTwiceByIntermediateEvent(scenario):
    scenario.deploy_camunda(ESC + "testNonInterruptingEscalationTriggeredTwiceByIntermediateEvent.bpmn20.xml")
    case = scenario.start("escalationProcess")
    scenario.complete(case, "FirstTaskInMainprocess")
    waits = scenario.waits_at(case)
    assert waits.count("TaskInSubprocess") == 2 and waits.count("SecondTaskInMainprocess") == 1
    other = scenario.start("escalationProcess")
    scenario.complete(other, "TaskInSubprocess")
    scenario.complete(other, "FirstTaskInMainprocess")
    waits = scenario.waits_at(other)
    assert waits.count("TaskInSubprocess") == 1 and waits.count("SecondTaskInMainprocess") == 1


def test_EscalationEventSubprocessTest_testCatchEscalationEventFromCallActivity(scenario):
    case = _esc(scenario, "testCatchEscalationEventFromCallActivity", "catchEscalationProcess",
                "event/escalation/EscalationEventTest.throwEscalationEvent.bpmn20.xml")
    assert scenario.waits_at(case) == ["task", "taskAfterCatchedEscalation"]   # the called process goes on


def test_EscalationEventSubprocessTest_testInterruptingEscalationEventSubprocessWithCallActivity(scenario):
    case = _esc(scenario, "testInterruptingEscalationEventSubprocessWithCallActivity", "catchEscalationProcess",
                "event/escalation/EscalationEventTest.throwEscalationEvent.bpmn20.xml")
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalation"]      # the called process was cancelled
    scenario.complete(case, "taskAfterCatchedEscalation")
    assert scenario.status(case) == "completed"


def test_EscalationEventSubprocessTest_testPropagateOutputVariablesWhileCatchEscalationOnCallActivity(scenario):
    scenario.deploy_camunda("event/escalation/EscalationEventTest.throwEscalationEvent.bpmn20.xml",
                            ESC + "testPropagateOutputVariablesWhileCatchEscalationOnCallActivity.bpmn20.xml")
    case = scenario.start("catchEscalationProcess", {"input": 42})
    assert "taskAfterCatchedEscalation" in scenario.waits_at(case)
    assert scenario.data(case)["output"] == 42


def test_EscalationEventSubprocessTest_testPropagateOutputVariablesWhileCatchInterruptingEscalationOnCallActivity(
        scenario):
    scenario.deploy_camunda("event/escalation/EscalationEventTest.throwEscalationEvent.bpmn20.xml",
                            ESC + "testPropagateOutputVariablesWhileCatchInterruptingEscalationOnCallActivity.bpmn20.xml")
    case = scenario.start("catchEscalationProcess", {"input": 42})
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalation"]
    assert scenario.data(case)["output"] == 42


def test_EscalationEventSubprocessTest_testInterruptingRetrieveEscalationCodeInSuperProcess(scenario):
    case = _esc(scenario, "testInterruptingRetrieveEscalationCodeInSuperProcess", "catchEscalationProcess",
                "event/escalation/EscalationEventTest.throwEscalationEvent.bpmn20.xml")
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalation"]
    assert scenario.data(case)["escalationCodeVar"] == "escalationCode"


def test_EscalationEventSubprocessTest_testNonInterruptingRetrieveEscalationCodeInSuperProcessWithoutEscalationCode(
        scenario):
    case = _esc(scenario, "testNonInterruptingRetrieveEscalationCodeInSuperProcessWithoutEscalationCode",
                "catchEscalationProcess", "event/escalation/EscalationEventTest.throwEscalationEvent.bpmn20.xml")
    assert "taskAfterCatchedEscalation" in scenario.waits_at(case)
    assert scenario.data(case)["escalationCodeVar"] == "escalationCode"


# --- error event sub-processes inside sub-processes; errors out of event sub-processes --------

def _error_caught_by_escalated_task(scenario, java: str) -> None:
    """ErrorEventSubProcessTest.assertThatErrorHasBeenCaught: one task, the event sub-process's."""
    scenario.deploy_camunda(ERR + java + ".bpmn20.xml")
    case = scenario.start("CatchErrorInEmbeddedSubProcess")
    [task] = scenario.tasks(case)
    assert task["name"] == "Escalated Task"
    scenario.complete(case, task["element_id"])
    assert scenario.status(case) == "completed", scenario.case(case)["error"]


def test_ErrorEventSubProcessTest_testEventSubprocessTakesPrecedence(scenario):
    _error_caught_by_escalated_task(scenario, "testEventSubprocessTakesPrecedence")


def test_ErrorEventSubProcessTest_testCatchErrorInEmbeddedSubProcess(scenario):
    _error_caught_by_escalated_task(scenario, "testCatchErrorInEmbeddedSubProcess")


def test_ErrorEventSubProcessTest_testErrorCodeTakesPrecedence(scenario):
    scenario.deploy_camunda(ERR + "testErrorCodeTakesPrecedence.bpmn20.xml")
    case = scenario.start("CatchErrorInEmbeddedSubProcess")
    assert scenario.waits_at(case) == ["taskAfterErrorCatch2"]        # the one naming the code, not the catch-all
    scenario.complete(case, "taskAfterErrorCatch2")
    assert scenario.status(case) == "completed"


def test_UnhandledBpmnErrorTest_testUncaughtErrorOnEventSubprocess(scenario):
    """The sub-process's error event sub-process waits for another code: nothing catches the
    error, the case fails with an incident (Camunda: "no error handler")."""
    scenario.deploy_camunda("event/error/UnhandledBpmnErrorTest.testUncaughtErrorOnEventSubprocess.bpmn20.xml")
    case = scenario.start("process")
    assert scenario.waits_at(case) == ["subprocessTask"]
    scenario.complete(case, "subprocessTask")
    view = scenario.case(case)
    assert view["status"] == "failed" and "123" in view["error"]


def test_ErrorEventSubProcessTest_testCatchErrorFromCallActivitySetsErrorVariable(scenario):
    scenario.deploy_camunda("event/error/ThrowErrorProcess.bpmn",
                            ERR + "testCatchErrorFromCallActivitySetsErrorVariables.bpmn")
    case = scenario.start("Process_1")
    assert scenario.data(case)["errorCode"] == "error"


def _boundary_catches_error_from_event_subprocess(scenario, java: str, *messages: str) -> str:
    scenario.deploy_camunda(f"event/error/BoundaryErrorEventTest.{java}.bpmn20.xml")
    case = scenario.start("testProcess")
    assert scenario.waits_at(case) == ["subTask"]
    for name in messages:
        assert subscriptions(scenario, "message") == 1
        correlate(scenario, name)
    assert "afterBoundaryTask" in scenario.waits_at(case)
    return case


def test_BoundaryErrorEventTest_testCatchErrorOnSubprocessThrownByNonInterruptingEventSubprocess(scenario):
    case = _boundary_catches_error_from_event_subprocess(
        scenario, "testCatchErrorOnSubprocessThrownByNonInterruptingEventSubprocess", "message")
    assert scenario.waits_at(case) == ["afterBoundaryTask"]        # the error boundary event interrupts it
    assert subscriptions(scenario) == 0


def test_BoundaryErrorEventTest_testCatchErrorOnSubprocessThrownByInterruptingEventSubprocess(scenario):
    case = _boundary_catches_error_from_event_subprocess(
        scenario, "testCatchErrorOnSubprocessThrownByInterruptingEventSubprocess", "message")
    assert scenario.waits_at(case) == ["afterBoundaryTask"]


def test_BoundaryErrorEventTest_testCatchErrorOnSubprocessThrownByNestedEventSubprocess(scenario):
    case = _boundary_catches_error_from_event_subprocess(
        scenario, "testCatchErrorOnSubprocessThrownByNestedEventSubprocess", "outerMessage", "innerMessage")
    assert scenario.waits_at(case) == ["afterBoundaryTask"]
    scenario.complete(case, "afterBoundaryTask")
    assert scenario.status(case) == "completed"
