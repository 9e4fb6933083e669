"""Ported Camunda 7 engine tests: escalation events (boundary, end, event sub-process),
parallel gateways and embedded sub-processes. Each row names the Java test it ports and
states what that test asserts right after the start: the open user tasks (element ids;
the Java tests query them by name) or that the instance ended."""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError

ESC = "event/escalation/"

# (Java class.method, model file, process key, expected open tasks after start | "completed")
CASES = [
    ("EscalationEventTest.testThrowEscalationEventFromEmbeddedSubprocess", ESC, "escalationProcess",
     ["taskAfterCatchedEscalation", "taskInSubprocess"]),
    ("EscalationEventTest.testThrowEscalationEventHierarchical", ESC, "escalationProcess",
     ["taskAfterCatchedEscalationInsideSubprocess", "taskInSubprocess"]),
    ("EscalationEventTest.testThrowEscalationEventNotCaught", ESC + "EscalationEventTest.throwEscalationEvent.bpmn20.xml",
     "throwEscalationProcess", ["task"]),
    ("EscalationEventTest.testBoundaryEventWithEscalationCode", ESC, "escalationProcess",
     ["taskAfterCatchedEscalation1", "taskInSubprocess"]),
    ("EscalationEventTest.testBoundaryEventWithoutEscalationCode", ESC, "escalationProcess",
     ["taskAfterCatchedEscalation", "taskInSubprocess"]),
    ("EscalationEventTest.testBoundaryEventWithEmptyEscalationCode", ESC, "escalationProcess",
     ["taskAfterCatchedEscalation", "taskInSubprocess"]),
    ("EscalationEventTest.testBoundaryEventWithoutEscalationRef", ESC, "escalationProcess",
     ["taskAfterCatchedEscalation", "taskInSubprocess"]),
    ("EscalationEventTest.testNonInterruptingEscalationBoundaryEventOnMultiInstanceSubprocess", ESC,
     "escalationProcess", ["taskAfterCatchedEscalation"] * 5 + ["taskInSubprocess"] * 5),
    ("EscalationEventTest.testInterruptingEscalationBoundaryEventOnMultiInstanceSubprocess", ESC,
     "escalationProcess", ["taskAfterCatchedEscalation"]),
    ("EscalationEventTest.testInterruptingEscalationBoundaryEvent", ESC, "escalationProcess",
     ["taskAfterCatchedEscalation"]),
    ("EscalationEventTest.testParallelEscalationEndEvent", ESC, "escalationProcess",
     ["taskAfterCatchedEscalation", "taskInSubprocess"]),
    ("EscalationEventTest.testEscalationEndEvent", ESC, "escalationProcess", ["taskAfterCatchedEscalation"]),
    ("ParallelGatewayTest.testForkJoin", "gateway/", "forkJoin", ["receivePayment", "shipOrder"]),
    ("ParallelGatewayTest.testUnbalancedForkJoin", "gateway/", "UnbalancedForkJoin", ["task1", "task2", "task3"]),
    ("ParallelGatewayTest.testSplitMergeNoWaitstates", "gateway/", "forkJoinNoWaitStates", "completed"),
    ("ParallelGatewayTest.testForkFollowedByOnlyEndEvents", "gateway/", "forkFollowedByEndEvents", "completed"),
    ("ParallelGatewayTest.testNestedForksFollowedByEndEvents", "gateway/", "nestedForksFollowedByEndEvents",
     "completed"),
    ("SubProcessTest.testSimpleSubProcess", "subprocess/", "simpleSubProcess", ["subProcessTask"]),
    ("SubProcessTest.testNestedSimpleSubProcess", "subprocess/", "nestedSimpleSubProcess", ["innerSubProcessTask"]),
    ("SubProcessTest.testSimpleParallelSubProcess", "subprocess/", "simpleParallelSubProcess", ["task1", "task2"]),
    ("SubProcessTest.testTwoSubProcessInParallel", "subprocess/", "twoSubProcessInParallel",
     ["subProcessATask", "subProcessBTask"]),
]


def _file(java: str, where: str) -> str:
    return where if where.endswith(".xml") else f"{where}{java}.bpmn20.xml"


@pytest.mark.parametrize(("java", "where", "key", "expected"), CASES, ids=[c[0] for c in CASES])
def test_camunda_engine_test_after_start(scenario, java, where, key, expected):
    scenario.deploy_camunda(_file(java, where))
    case = scenario.start(key)
    if expected == "completed":
        assert scenario.status(case) == "completed"
    else:
        assert scenario.waits_at(case) == sorted(expected)


def test_EscalationEventSubprocessTest_testCatchEscalationEventFromTopLevelProcess(scenario):
    """A non-interrupting escalation event sub-process at process level catches an escalation
    thrown by the main flow, which goes on."""
    scenario.deploy_camunda(ESC + "EscalationEventSubprocessTest.testCatchEscalationEventFromTopLevelProcess.bpmn20.xml")
    case = scenario.start("escalationProcess")
    assert scenario.waits_at(case) == ["taskAfterCatchedEscalation", "taskAfterThrownEscalation"]


def test_EscalationEventTest_testInterruptingEscalationBoundaryEvent_then_completes(scenario):
    """After the interrupting boundary event the sub-process is gone: completing the task after
    it ends the instance (EscalationEventTest.testInterruptingEscalationBoundaryEvent)."""
    scenario.deploy_camunda(ESC + "EscalationEventTest.testInterruptingEscalationBoundaryEvent.bpmn20.xml")
    case = scenario.start("escalationProcess")
    scenario.complete(case, "taskAfterCatchedEscalation")
    assert scenario.status(case) == "completed"


@pytest.mark.parametrize(("model", "message", "element"), [
    ("multipleInterruptingEscalationEventSubprocesses", "multiple escalation event subprocesses with the same "
     "escalationCode 'escalationCode' are not supported on same scope", "escalationStartEvent2"),
    ("multipleEscalationEventSubprocessWithSameEscalationCode", "multiple escalation event subprocesses with the same "
     "escalationCode 'escalationCode' are not supported on same scope", "escalationStartEvent2"),
    ("multipleEscalationEventSubprocessWithAndWithoutEscalationCode", "The same scope can not contains an escalation "
     "event subprocess without escalation code and another one with escalation code.", "escalationStartEvent2"),
    ("multipleEscalationEventSubprocessWithoutEscalationCode", "The same scope can not contains more than one "
     "escalation event subprocess without escalation code.", "escalationStartEvent2"),
])
def test_EscalationEventParseInvalidProcessTest_event_subprocesses(scenario, model, message, element):
    """EscalationEventParseInvalidProcessTest: escalation event sub-processes of one scope that
    Camunda 7 refuses to parse are refused at deploy, with Camunda's message and element."""
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_camunda(f"{ESC}EscalationEventParseInvalidProcessTest.{model}.bpmn20.xml")
    assert any(p.message == message and p.element_id == element for p in caught.value.problems), \
        caught.value.problems
