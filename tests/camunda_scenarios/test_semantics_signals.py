"""Ported Camunda 7 engine tests: signals (SignalEventTest, SignalEventPayloadTest,
SignalEndEventTest). A signal thrown by a case is broadcast after the thrower's commit (a
job, which the scenario runs): the Java tests' synchronous delivery becomes "after the
jobs ran"."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.persistence import tables as t

SIG = "event/signal/"


def signal_subscriptions(scenario) -> int:
    s = t.subscriptions
    with scenario.engine.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(s).where(s.c.kind == "signal")).scalar_one())


def running(scenario, key: str | None = None) -> list[str]:
    c = t.cases
    query = select(c.c.id).where(c.c.status.not_in(["completed", "cancelled"]))
    if key is not None:
        query = query.where(c.c.process_key == key)
    with scenario.engine.db.connect() as conn:
        return list(conn.execute(query).scalars())


def cases_of(scenario, key: str) -> list[str]:
    with scenario.engine.db.connect() as conn:
        return list(conn.execute(select(t.cases.c.id).where(t.cases.c.process_key == key)).scalars())


def _catch_then_throw(scenario, catch_model: str) -> None:
    scenario.deploy_camunda(SIG + catch_model, SIG + "SignalEventTests.throwAlertSignal.bpmn20.xml")
    scenario.start("catchSignal")
    assert signal_subscriptions(scenario) == 1 and len(running(scenario)) == 1
    scenario.start("throwSignal")
    assert signal_subscriptions(scenario) == 0 and running(scenario) == []


def test_SignalEventTest_testSignalCatchIntermediate(scenario):
    _catch_then_throw(scenario, "SignalEventTests.catchAlertSignal.bpmn20.xml")


def test_SignalEventTest_testSignalCatchBoundary(scenario):
    _catch_then_throw(scenario, "SignalEventTests.catchAlertSignalBoundary.bpmn20.xml")


def test_SignalEventTest_testSignalCatchBoundaryWithVariables(scenario):
    """A signal carries no variables of the thrower unless camunda:in says so."""
    scenario.deploy_camunda(SIG + "SignalEventTests.catchAlertSignalBoundaryWithReceiveTask.bpmn20.xml",
                            SIG + "SignalEventTests.throwAlertSignal.bpmn20.xml")
    case = scenario.start("catchSignal", {"processName": "catchSignal"})
    scenario.start("throwSignal", {"processName": "throwSignal"})
    assert scenario.data(case)["processName"] == "catchSignal"


def test_SignalEventTest_testSignalCatchDifferentSignals(scenario):
    scenario.deploy_camunda(SIG + "SignalEventTests.catchMultipleSignals.bpmn20.xml",
                            SIG + "SignalEventTests.throwAlertSignal.bpmn20.xml",
                            SIG + "SignalEventTests.throwAbortSignal.bpmn20.xml")
    case = scenario.start("catchSignal")
    assert signal_subscriptions(scenario) == 2
    scenario.start("throwAbort")
    assert signal_subscriptions(scenario) == 1 and running(scenario) == [case]
    [task] = [t_ for t_ in scenario.tasks(case) if t_["assignee"] == "gonzo"]
    scenario.complete(case, task["element_id"], actor="gonzo")
    scenario.start("throwSignal")
    assert signal_subscriptions(scenario) == 0 and running(scenario) == []


def test_SignalEventTest_testSignalBoundaryOnSubProcess(scenario):
    scenario.deploy_camunda(SIG + "SignalEventTest.testSignalBoundaryOnSubProcess.bpmn20.xml")
    case = scenario.start("signalEventOnSubprocess")
    scenario.signal("stopSignal")
    assert scenario.status(case) == "completed"


def test_SignalEventTest_testNonInterruptingSignal(scenario):
    scenario.deploy_camunda(SIG + "SignalEventTest.testNonInterruptingSignal.bpmn20.xml")
    case = scenario.start("nonInterruptingSignalEvent")
    assert [t_["name"] for t_ in scenario.tasks(case)] == ["My User Task"]
    scenario.signal("alert")
    assert sorted(t_["name"] for t_ in scenario.tasks(case)) == ["My Second User Task", "My User Task"]
    [first] = [t_ for t_ in scenario.tasks(case) if t_["name"] == "My User Task"]
    scenario.complete(case, first["element_id"])
    assert [t_["name"] for t_ in scenario.tasks(case)] == ["My Second User Task"]


def test_SignalEventTest_testNonInterruptingSignalWithSubProcess(scenario):
    scenario.deploy_camunda(SIG + "SignalEventTest.testNonInterruptingSignalWithSubProcess.bpmn20.xml")
    case = scenario.start("nonInterruptingSignalWithSubProcess")
    assert [t_["name"] for t_ in scenario.tasks(case)] == ["Approve"]
    scenario.signal("alert")
    assert sorted(t_["name"] for t_ in scenario.tasks(case)) == ["Approve", "Review"]
    [approve] = [t_ for t_ in scenario.tasks(case) if t_["name"] == "Approve"]
    scenario.complete(case, approve["element_id"])
    [review] = scenario.tasks(case)
    assert review["name"] == "Review"
    scenario.complete(case, review["element_id"])
    assert len(scenario.tasks(case)) == 1


def test_SignalEventTest_testSignalStartEvent(scenario):
    scenario.deploy_camunda(SIG + "SignalEventTest.signalStartEvent.bpmn20.xml")
    assert scenario.signal("alert") == 1
    [case] = cases_of(scenario, "startBySignal")
    assert len(scenario.tasks(case)) == 1


def test_SignalEventTest_testMultipleProcessesWithSameSignalStartEvent(scenario):
    scenario.deploy_camunda(SIG + "SignalEventTest.signalStartEvent.bpmn20.xml",
                            SIG + "SignalEventTest.testOtherSignalStartEvent.bpmn20.xml")
    assert scenario.signal("alert") == 2
    assert len(running(scenario)) == 2


def test_SignalEventTest_testStartProcessInstanceBySignalFromIntermediateThrowingSignalEvent(scenario):
    scenario.deploy_camunda(SIG + "SignalEventTest.signalStartEvent.bpmn20.xml",
                            SIG + "SignalEventTests.throwAlertSignal.bpmn20.xml")
    scenario.start("throwSignal")
    [case] = cases_of(scenario, "startBySignal")
    assert len(scenario.tasks(case)) == 1


def test_SignalEventTest_testProcessesWithMultipleSignalStartEvents(scenario):
    scenario.deploy_camunda(SIG + "SignalEventTest.testProcessesWithMultipleSignalStartEvents.bpmn20.xml")
    scenario.signal("alert")
    [case] = cases_of(scenario, "startByTwoSignals")
    assert len(scenario.tasks(case)) == 1


def test_SignalEventTest_testAsyncSignalStartEvent(scenario):
    """The thrower's signal is a job; running it starts the signal-start process."""
    scenario.deploy_camunda(SIG + "SignalEventTest.signalStartEvent.bpmn20.xml",
                            SIG + "SignalEventTests.throwAlertSignalAsync.bpmn20.xml")
    scenario.start("throwSignalAsync", run_jobs=False)
    assert cases_of(scenario, "startBySignal") == []
    scenario.run_jobs()
    [case] = cases_of(scenario, "startBySignal")
    assert len(scenario.tasks(case)) == 1


def test_SignalEventTest_testNoContinuationWhenSignalInterruptsThrowingActivity(scenario):
    scenario.deploy_camunda(SIG + "SignalEventTest.testNoContinuationWhenSignalInterruptsThrowingActivity.bpmn20.xml")
    case = scenario.start("signalEventSubProcess")
    [task] = scenario.tasks(case)
    scenario.complete(case, task["element_id"])
    assert scenario.waits_at(case) == ["eventSubProcessTask"]


def _payload_case(scenario, thrower: str, key: str, data: dict) -> dict:
    scenario.deploy_camunda(SIG + "SignalEventPayloadTests.catchSignalWithPayloadIntermediate.bpmn20.xml",
                            SIG + thrower)
    catching = scenario.start("catchIntermediatePayloadSignal")
    scenario.start(key, data)
    return scenario.data(catching)


def test_SignalEventPayloadTest_testSignalPayloadIntermediate(scenario):
    data = _payload_case(scenario, "SignalEventPayloadTests.throwSignalWithPayload.bpmn20.xml", "throwPayloadSignal",
                         {"payloadVar1": "payloadVal1", "payloadVar2": "payloadVal2"})
    assert data == {"payloadVar1Target": "payloadVal1", "payloadVar2Target": "payloadVal2"}


def test_SignalEventPayloadTest_testSignalSourceExpressionPayload(scenario):
    data = _payload_case(scenario, "SignalEventPayloadTests.throwSignalWithExpressionPayload.bpmn20.xml",
                         "throwExpressionPayloadSignal", {"payloadVar": "Val"})
    assert data == {"srcExpressionResVal": "sourceVal"}


def test_SignalEventPayloadTest_testSignalAllSourceVariablesPayload(scenario):
    data = _payload_case(scenario, "SignalEventPayloadTests.throwSignalWithAllVariablesPayload.bpmn20.xml",
                         "throwPayloadSignal", {"payloadVar1": "payloadVal1", "payloadVar2": "payloadVal2"})
    assert data == {"payloadVar1": "payloadVal1", "payloadVar2": "payloadVal2"}


def test_SignalEventPayloadTest_testSignalPayloadStart(scenario):
    scenario.deploy_camunda(SIG + "SignalEventPayloadTests.catchSignalWithPayloadStart.bpmn20.xml",
                            SIG + "SignalEventPayloadTests.throwSignalWithPayload.bpmn20.xml")
    scenario.start("throwPayloadSignal", {"payloadVar1": "payloadVal1", "payloadVar2": "payloadVal2"})
    [case] = cases_of(scenario, "catchStartPayloadSignal")
    assert scenario.data(case) == {"payloadVar1Target": "payloadVal1", "payloadVar2Target": "payloadVal2"}


def test_SignalEndEventTest_testCatchSignalEndEventInEmbeddedSubprocess(scenario):
    scenario.deploy_camunda("event/end/SignalEndEventTest.testCatchSignalEndEventInEmbeddedSubprocess.bpmn20.xml")
    case = scenario.start("catchSignalEndEventInEmbeddedSubprocess")
    [task] = scenario.tasks(case)
    assert task["name"] == "subprocessTask"
    scenario.complete(case, task["element_id"])
    [task] = scenario.tasks(case)
    assert task["name"] == "task after catching the signal"
    scenario.complete(case, task["element_id"])
    assert scenario.status(case) == "completed"


def test_SignalEndEventTest_testCatchSignalEndEventInCallActivity(scenario):
    scenario.deploy_camunda("event/end/SignalEndEventTest.catchSignalEndEvent.bpmn20.xml",
                            "event/end/SignalEndEventTest.processWithSignalEndEvent.bpmn20.xml")
    catching = scenario.start("catchSignalEndEvent")
    assert signal_subscriptions(scenario) == 1
    ending = scenario.start("processWithSignalEndEvent")
    assert scenario.status(ending) == "completed"
    assert scenario.waits_at(catching) == ["taskAfterSignalCatch"]
    scenario.complete(catching, "taskAfterSignalCatch")
    assert scenario.status(catching) == "completed"
