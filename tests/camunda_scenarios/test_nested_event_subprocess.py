"""Ported Camunda 7 engine tests: event sub-processes inside embedded sub-processes, inside
called processes and inside other event sub-processes (MessageEventSubprocessTest,
EscalationEventSubprocessTest, ErrorEventSubProcessTest, InterruptingEventSubProcessTest,
TimerStartEventSubprocessTest, SignalEventTest). Every wait is a save/restore (cache off)."""

from __future__ import annotations

from datetime import timedelta

from engine.services import cases
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


# --- timer event sub-processes inside sub-processes --------------------------------------------

TIMER = "event/timer/StartTimerEventTest."
DUMMY = {"delegates": {"org.camunda.bpm.engine.test.bpmn.event.timer.DummyServiceTask": "test.noop"}}


def _timer_jobs(scenario) -> int:
    from sqlalchemy import func, select

    from engine.persistence import tables as t
    with scenario.engine.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.jobs).where(t.jobs.c.kind == "timer")).scalar_one())


def test_StartTimerEventTest_testStartTimerEventSubProcessInSubProcess(scenario):
    scenario.deploy_camunda(TIMER + "testStartTimerEventSubProcessInSubProcess.bpmn20.xml", mapping=DUMMY)
    case = scenario.start("startTimerEventSubProcessInSubProcess")
    assert scenario.waits_at(case) == ["userTask"] and _timer_jobs(scenario) == 1
    scenario.advance(timedelta(minutes=2))
    assert len(scenario.connector.calls) == 1                   # DummyServiceTask ran
    assert _timer_jobs(scenario) == 0
    assert scenario.status(case) == "completed"                 # interrupting: the user task is gone


def test_StartTimerEventTest_testNonInterruptingStartTimerEventSubProcessInSubProcess(scenario):
    scenario.deploy_camunda(TIMER + "testNonInterruptingStartTimerEventSubProcessInSubProcess.bpmn20.xml",
                            mapping=DUMMY)
    case = scenario.start("nonInterruptingStartTimerEventSubProcessInSubProcess")
    assert scenario.waits_at(case) == ["userTask"] and _timer_jobs(scenario) == 1
    scenario.advance(timedelta(minutes=2))
    assert len(scenario.connector.calls) == 1
    assert _timer_jobs(scenario) == 0
    assert scenario.waits_at(case) == ["userTask"] and scenario.status(case) != "completed"
    scenario.complete(case, "userTask")
    assert scenario.status(case) == "completed"


def test_StartTimerEventTest_timer_event_subprocess_of_a_finished_sub_process_never_fires(scenario):
    """The timer of an event sub-process lives as long as its scope: completing the
    sub-process first removes it (StartTimerEventTest, scope of the timer job)."""
    scenario.deploy_camunda(TIMER + "testStartTimerEventSubProcessInSubProcess.bpmn20.xml", mapping=DUMMY)
    case = scenario.start("startTimerEventSubProcessInSubProcess")
    scenario.complete(case, "userTask")
    assert scenario.status(case) == "completed" and _timer_jobs(scenario) == 0
    scenario.advance(timedelta(minutes=2))
    assert scenario.connector.calls == []


# --- own models: scope of interruption, called processes, signals, nesting ---------------------

def _model(body: str, extra: str = "") -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">'
            '<message id="m_cancel" name="cancel"/><message id="m_note" name="note"/><signal id="s_alarm" name="alarm"/>'
            f'{extra}{body}</definitions>').encode()


def _esp(esp_id: str, start: str, task: str, interrupting: bool) -> str:
    return (f'<subProcess id="{esp_id}" triggeredByEvent="true"><startEvent id="{esp_id}_start" '
            f'isInterrupting="{str(interrupting).lower()}">{start}</startEvent>'
            f'<sequenceFlow id="{esp_id}_f1" sourceRef="{esp_id}_start" targetRef="{task}"/><userTask id="{task}"/>'
            f'<sequenceFlow id="{esp_id}_f2" sourceRef="{task}" targetRef="{esp_id}_end"/><endEvent id="{esp_id}_end"/>'
            '</subProcess>')


MESSAGE = '<messageEventDefinition messageRef="m_cancel"/>'
NOTE = '<messageEventDefinition messageRef="m_note"/>'
SIGNAL = '<signalEventDefinition signalRef="s_alarm"/>'

PARALLEL_SCOPE = _model(
    '<process id="scoped" isExecutable="true"><startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="fork"/>'
    '<parallelGateway id="fork"/><sequenceFlow id="f2" sourceRef="fork" targetRef="outside"/>'
    '<sequenceFlow id="f3" sourceRef="fork" targetRef="sub"/><userTask id="outside"/>'
    '<sequenceFlow id="f4" sourceRef="outside" targetRef="join"/>'
    '<subProcess id="sub"><startEvent id="ss"/><sequenceFlow id="sf1" sourceRef="ss" targetRef="inside"/>'
    '<userTask id="inside"/><sequenceFlow id="sf2" sourceRef="inside" targetRef="se"/><endEvent id="se"/>'
    + _esp("cancelSub", MESSAGE, "handleCancel", True) + _esp("noteSub", NOTE, "handleNote", False) +
    '</subProcess><sequenceFlow id="f5" sourceRef="sub" targetRef="afterSub"/><userTask id="afterSub"/>'
    '<sequenceFlow id="f6" sourceRef="afterSub" targetRef="join"/><parallelGateway id="join"/>'
    '<sequenceFlow id="f7" sourceRef="join" targetRef="e"/><endEvent id="e"/></process>')


def test_interrupting_event_subprocess_in_a_sub_process_cancels_only_that_sub_process(scenario):
    scenario.deploy_files([], extra={"scoped.bpmn": PARALLEL_SCOPE})
    case = scenario.start("scoped")
    assert scenario.waits_at(case) == ["inside", "outside"]
    assert subscriptions(scenario, "message") == 2
    correlate(scenario, "note")                                   # non-interrupting: beside "inside"
    assert scenario.waits_at(case) == ["handleNote", "inside", "outside"]
    correlate(scenario, "cancel")                                 # interrupting: the sub-process's own tasks go
    assert scenario.waits_at(case) == ["handleCancel", "outside"]
    assert subscriptions(scenario, "message") == 0                # the scope's other subscriptions went too
    scenario.complete(case, "handleCancel")
    assert scenario.waits_at(case) == ["afterSub", "outside"]     # the sub-process ended; the flow after it goes on
    scenario.complete(case, "afterSub")
    scenario.complete(case, "outside")
    assert scenario.status(case) == "completed"


def test_event_subprocesses_of_a_sub_process_are_offered_only_while_it_runs(scenario):
    scenario.deploy_files([], extra={"scoped.bpmn": PARALLEL_SCOPE})
    case = scenario.start("scoped")
    scenario.complete(case, "inside")
    assert scenario.waits_at(case) == ["afterSub", "outside"]
    assert subscriptions(scenario, "message") == 0
    assert scenario.message("cancel", key=None, only_if_waiting=True).status == "ignored"
    assert scenario.waits_at(case) == ["afterSub", "outside"]


CALLED = _model(
    '<process id="caller" isExecutable="true"><startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="call"/>'
    '<callActivity id="call" calledElement="child"/><sequenceFlow id="f2" sourceRef="call" targetRef="afterCall"/>'
    '<userTask id="afterCall"/><sequenceFlow id="f3" sourceRef="afterCall" targetRef="e"/><endEvent id="e"/></process>'
    '<process id="child" isExecutable="true"><startEvent id="cs"/><sequenceFlow id="cf1" sourceRef="cs" targetRef="work"/>'
    '<userTask id="work"/><sequenceFlow id="cf2" sourceRef="work" targetRef="ce"/><endEvent id="ce"/>'
    + _esp("childCancel", MESSAGE, "childHandleCancel", True) + _esp("childAlarm", SIGNAL, "childHandleAlarm", False)
    + '</process>')


def test_message_event_subprocess_of_a_called_process(scenario):
    scenario.deploy_files([], extra={"called.bpmn": CALLED})
    case = scenario.start("caller")
    assert scenario.waits_at(case) == ["work"]
    assert subscriptions(scenario, "message") == 1 and subscriptions(scenario, "signal") == 1
    correlate(scenario, "cancel")
    assert scenario.waits_at(case) == ["childHandleCancel"]      # the called process's flow was interrupted
    scenario.complete(case, "childHandleCancel")
    assert scenario.waits_at(case) == ["afterCall"]              # the called process ended: the caller goes on
    scenario.complete(case, "afterCall")
    assert scenario.status(case) == "completed"


def test_signal_event_subprocess_of_a_called_process_fires_every_time(scenario):
    scenario.deploy_files([], extra={"called.bpmn": CALLED})
    case = scenario.start("caller")
    assert scenario.signal("alarm") == 1
    assert scenario.signal("alarm") == 1
    assert scenario.waits_at(case) == ["childHandleAlarm", "childHandleAlarm", "work"]
    scenario.complete(case, "work")
    assert scenario.status(case) != "completed"                 # the called process waits for its event sub-processes
    for task in scenario.tasks(case):
        cases.complete_task(scenario.engine, task["id"], None, actor="system", internal=True)
    scenario.run_jobs()
    assert scenario.waits_at(case) == ["afterCall"]
    assert scenario.signal("alarm") == 0                         # the called process is over


NESTED = _model(
    '<process id="nested" isExecutable="true"><startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="main"/>'
    '<userTask id="main"/><sequenceFlow id="f2" sourceRef="main" targetRef="e"/><endEvent id="e"/>'
    '<subProcess id="outerEsp" triggeredByEvent="true"><startEvent id="outerStart" isInterrupting="false">'
    + NOTE + '</startEvent><sequenceFlow id="of1" sourceRef="outerStart" targetRef="outerTask"/><userTask id="outerTask"/>'
    '<sequenceFlow id="of2" sourceRef="outerTask" targetRef="outerEnd"/><endEvent id="outerEnd"/>'
    + _esp("innerEsp", MESSAGE, "innerTask", True) + '</subProcess></process>')


def test_event_subprocess_nested_in_an_event_subprocess(scenario):
    """The inner event sub-process waits only while the outer one runs, and interrupts only it."""
    scenario.deploy_files([], extra={"nested.bpmn": NESTED})
    case = scenario.start("nested")
    assert subscriptions(scenario, "message") == 1                # only the outer one's start
    correlate(scenario, "note")
    assert scenario.waits_at(case) == ["main", "outerTask"]
    assert subscriptions(scenario, "message") == 2                # note again, and the inner one's cancel
    correlate(scenario, "cancel")
    assert scenario.waits_at(case) == ["innerTask", "main"]       # the outer event sub-process's task went
    scenario.complete(case, "innerTask")
    assert scenario.waits_at(case) == ["main"]
    scenario.complete(case, "main")
    assert scenario.status(case) == "completed"


# --- conditional event sub-processes (EventSubProcessStartConditionalEventTest) ----------------

COND = "event/conditional/EventSubProcessStartConditionalEventTest."


def test_EventSubProcessStartConditionalEventTest_testTrueCondition(scenario):
    scenario.deploy_camunda(COND + "testTrueCondition.bpmn20.xml")
    case = scenario.start("conditionalEventProcess")
    assert [t["name"] for t in scenario.tasks(case)] == ["After Condition"]


def test_EventSubProcessStartConditionalEventTest_testFalseCondition(scenario):
    scenario.deploy_camunda(COND + "testFalseCondition.bpmn20.xml")
    case = scenario.start("conditionalEventProcess", {"variable": 1})
    assert [t["name"] for t in scenario.tasks(case)] == ["Before Condition"]


def test_EventSubProcessStartConditionalEventTest_testVariableConditionAndStartingWithVar(scenario):
    scenario.deploy_camunda(COND + "testVariableCondition.bpmn20.xml")
    case = scenario.start("conditionalEventProcess", {"variable": 1})
    assert [t["name"] for t in scenario.tasks(case)] == ["After Condition"]
    scenario.complete(case, scenario.tasks(case)[0]["element_id"])
    assert scenario.status(case) == "completed"


def test_EventSubProcessStartConditionalEventTest_testWrongVariableCondition(scenario):
    """The condition names a variable that is not set: false, not an error."""
    scenario.deploy_camunda(COND + "testVariableCondition.bpmn20.xml")
    case = scenario.start("conditionalEventProcess", {"variable1": 1})
    assert [t["name"] for t in scenario.tasks(case)] == ["Before Condition"]


def test_EventSubProcessStartConditionalEventTest_testNonInterruptingVariableCondition(scenario):
    scenario.deploy_camunda(COND + "testNonInterruptingVariableCondition.bpmn20.xml")
    case = scenario.start("conditionalEventProcess", {"variable": 1})
    assert sorted(t["name"] for t in scenario.tasks(case)) == ["After Condition", "Before Condition"]
    scenario.run_jobs()
    assert len(scenario.tasks(case)) == 2                   # the condition still holds, but nothing was set again


CONDITIONAL = _model(
    '<process id="cond" isExecutable="true"><startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="sub"/>'
    '<subProcess id="sub"><startEvent id="ss"/><sequenceFlow id="sf1" sourceRef="ss" targetRef="first"/>'
    '<userTask id="first"/><sequenceFlow id="sf2" sourceRef="first" targetRef="second"/><userTask id="second"/>'
    '<sequenceFlow id="sf3" sourceRef="second" targetRef="se"/><endEvent id="se"/>'
    + _esp("onLimit", '<conditionalEventDefinition><condition>${amount &gt; 100}</condition>'
           '</conditionalEventDefinition>', "review", True)
    + _esp("onNote", '<conditionalEventDefinition><condition>${note != null}</condition>'
           '</conditionalEventDefinition>', "readNote", False)
    + '</subProcess><sequenceFlow id="f2" sourceRef="sub" targetRef="after"/><userTask id="after"/>'
    '<sequenceFlow id="f3" sourceRef="after" targetRef="e"/><endEvent id="e"/></process>')


def test_conditional_event_subprocesses_inside_a_sub_process(scenario):
    scenario.deploy_files([], extra={"cond.bpmn": CONDITIONAL})
    case = scenario.start("cond", {"amount": 10})
    assert scenario.waits_at(case) == ["first"]
    scenario.complete(case, "first", {"note": "bitte prüfen"})     # non-interrupting: beside the flow
    assert scenario.waits_at(case) == ["readNote", "second"]
    scenario.complete(case, "readNote")
    assert scenario.waits_at(case) == ["second"]                 # the note did not change: not again
    scenario.complete(case, "second")
    assert scenario.waits_at(case) == ["after"]                  # the sub-process ended: its conditions are gone
    other = scenario.start("cond", {"amount": 10})
    scenario.complete(other, "first", {"amount": 500})           # interrupting: the sub-process's flow goes
    assert scenario.waits_at(other) == ["review"]
    scenario.complete(other, "review")
    assert scenario.waits_at(other) == ["after"]
    scenario.complete(other, "after")
    assert scenario.status(other) == "completed"


def test_ErrorEndEventTest_testPropagateOutputVariablesWhileThrowError(scenario):
    """Parent and called process deployed together share listener-carrying specs (each process
    prepares them once: the deploy crashed on the second); the error from the called process
    is caught on the call activity with its out mappings applied after the throwing end
    event's own start listener ran: its cancelReason reaches the parent."""
    scenario.deploy_camunda("event/error/testPropagateOutputVariablesWhileThrowError.bpmn20.xml",
                            "event/error/ErrorEventTest.errorParent.bpmn20.xml")
    case = scenario.start("ErrorParentProcess", {"input": 42})
    [task] = [t for t in scenario.tasks(case) if t["name"] == "ut2"]
    scenario.complete(case, task["element_id"])
    assert [t["name"] for t in scenario.tasks(case)] == ["task after catched error"]
    data = scenario.data(case)
    assert data["output"] == 42
    assert data["cancelReason"] == "reason1"
