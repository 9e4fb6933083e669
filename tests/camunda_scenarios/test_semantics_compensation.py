"""Ported Camunda 7 engine tests: compensation (CompensateEventTest, CompensateEventOrderTest,
CompensationEventParseInvalidProcessTest).

Camunda's ``UndoService`` handler increments the variable its field ``counterName`` names; here
the Java class is mapped to the test connector's operation ``undo``, and the number of its
calls per ``counterName`` is what the Java tests count. ``runtimeService.signal`` on a receive
task without message is the message named like the task (see test_semantics_receive).
"""

from __future__ import annotations

from collections import Counter

import pytest

from engine.domain.errors import DeploymentError
from engine.services import cases
from engine.ports import ServiceResult

COMP = "event/compensate/CompensateEventTest."
INVALID = "event/compensate/CompensationEventParseInvalidProcessTest."
UNDO = {"delegates": {"org.camunda.bpm.engine.test.bpmn.event.compensate.helper.UndoService": "test.undo"}}


@pytest.fixture
def comp(scenario):
    scenario.connector.behaviour["undo"] = lambda r: ServiceResult({})
    return scenario


def undone(scenario) -> Counter:
    return Counter(c.params.get("counterName") for c in scenario.connector.calls if c.operation.endswith("undo"))


def complete_all(scenario, case, element_id, count=None):
    tasks = [t for t in scenario.tasks(case) if t["element_id"] == element_id]
    if count is not None:
        assert len(tasks) >= count
        tasks = tasks[:count]
    for t in tasks:
        cases.complete_task(scenario.engine, t["id"], None, internal=True)
        scenario.run_jobs()


def signal(scenario, case, receive_task):
    scenario.message(receive_task, key=scenario.case(case)["business_key"])


@pytest.mark.parametrize("java, model", [
    ("testCompensateSubprocess", "testCompensateSubprocess"),
    ("testCompensateMiSubprocess", "testCompensateMiSubprocess"),
])
def test_CompensateEventTest_compensates_each_instance_then_waits(comp, java, model):
    comp.deploy_camunda(f"{COMP}{model}.bpmn20.xml", mapping=UNDO)
    case = comp.start("compensateProcess")
    assert undone(comp) == {"undoBookHotel": 5}
    assert comp.status(case) == "waiting"
    signal(comp, case, "beforeEnd")
    assert comp.status(case) == "completed"
    assert undone(comp) == {"undoBookHotel": 5}          # compensated once only


def test_CompensateEventTest_testCompensateParallelSubprocess(comp):
    comp.deploy_camunda(f"{COMP}testCompensateParallelSubprocess.bpmn20.xml", mapping=UNDO)
    case = comp.start("compensateProcess")
    assert undone(comp) == {"undoBookHotel": 5}
    [task] = comp.tasks(case)
    comp.complete(case, task["element_id"])
    signal(comp, case, "beforeEnd")
    assert comp.status(case) == "completed"


@pytest.mark.parametrize("java", ["testCompensateScope", "testCompensateActivityRef"])
def test_CompensateEventTest_scope_and_activity_ref(comp, java):
    comp.deploy_camunda(f"{COMP}{java}.bpmn20.xml", mapping=UNDO)
    case = comp.start("compensateProcess")
    expected = {"undoBookHotel": 5, "undoBookFlight": 5} if java == "testCompensateScope" else {"undoBookHotel": 5}
    assert undone(comp) == expected
    signal(comp, case, "beforeEnd")
    assert comp.status(case) == "completed"


@pytest.mark.parametrize("java, expected", [
    ("testCompensationEndEventWithScope", {"undoBookHotel": 5, "undoBookFlight": 5}),
    ("testCompensationEndEventWithActivityRef", {"undoBookHotel": 5}),
])
def test_CompensateEventTest_compensation_end_event(comp, java, expected):
    comp.deploy_camunda(f"{COMP}{java}.bpmn20.xml", mapping=UNDO)
    case = comp.start("compensateProcess")
    assert undone(comp) == expected
    assert comp.status(case) == "completed"


def test_CompensateEventTest_testCompensateSubprocessInsideSubprocess(comp):
    comp.deploy_camunda(f"{COMP}testCompensateSubprocessInsideSubprocess.bpmn20.xml")
    case = comp.start("compensateProcess")
    comp.complete(case, "bookHotel")
    comp.complete(case, "bookFlight")
    comp.complete(case, "throwCompensation")
    # both handlers are open at once (Camunda starts all handlers together)
    assert comp.waits_at(case) == ["undoBookFlight", "undoBookHotel"]
    comp.complete(case, "undoBookHotel")
    assert comp.status(case) == "waiting"
    comp.complete(case, "undoBookFlight")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_testCompensateParallelSubprocessCompHandlerWaitstate(comp):
    comp.deploy_camunda(f"{COMP}testCompensateParallelSubprocessCompHandlerWaitstate.bpmn20.xml",
                        mapping={"delegates": {}})
    case = comp.start("compensateProcess")
    assert comp.waits_at(case) == ["parallelTask"] + ["undoBookHotel"] * 5
    complete_all(comp, case, "undoBookHotel")
    assert comp.waits_at(case) == ["parallelTask"]
    comp.complete(case, "parallelTask")
    signal(comp, case, "beforeEnd")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_testDeleteParallelSubprocessCompHandlerWaitstate(comp):
    comp.deploy_camunda(f"{COMP}testCompensateParallelSubprocessCompHandlerWaitstate.bpmn20.xml")
    case = comp.start("compensateProcess")
    assert comp.waits_at(case).count("undoBookHotel") == 5
    cases.cancel_case(comp.engine, case, actor="scenario")
    assert comp.status(case) == "cancelled"
    assert comp.tasks(case) == []


def test_CompensateEventTest_testCompensateSubprocessWithBoundaryEvent(comp):
    comp.deploy_camunda(f"{COMP}testCompensateSubprocessWithBoundaryEvent.bpmn20.xml")
    case = comp.start("compensateProcess")
    assert comp.waits_at(case) == ["undoSubprocess"]
    comp.complete(case, "undoSubprocess")
    signal(comp, case, "beforeEnd")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_testCompensateActivityInSubprocess(comp):
    comp.deploy_camunda(f"{COMP}testCompensateActivityInSubprocess.bpmn20.xml")
    case = comp.start("compensateProcess")
    comp.complete(case, "scopeTask")
    assert comp.tasks(case) == []                      # not thrown yet
    signal(comp, case, "beforeCompensate")
    assert comp.waits_at(case) == ["undoScopeTask"]
    comp.complete(case, "undoScopeTask")
    signal(comp, case, "beforeEnd")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_testCompensateActivityInConcurrentSubprocess(comp):
    comp.deploy_camunda(f"{COMP}testCompensateActivityInConcurrentSubprocess.bpmn20.xml")
    case = comp.start("compensateProcess")
    comp.complete(case, "scopeTask")
    comp.complete(case, "outerTask")
    signal(comp, case, "beforeCompensate")
    assert comp.waits_at(case) == ["undoScopeTask"]
    comp.complete(case, "undoScopeTask")
    signal(comp, case, "beforeEnd")
    assert comp.status(case) == "completed"


@pytest.mark.parametrize("java", ["testCompensateConcurrentMiActivity", "testCompensateConcurrentMiSubprocess"])
def test_CompensateEventTest_running_multi_instance_is_not_compensated(comp, java):
    comp.deploy_camunda(f"{COMP}{java}.bpmn20.xml")
    case = comp.start("compensateProcess")
    complete_all(comp, case, "bookHotel", 4)
    comp.complete(case, "parallelTask", {"accept": False})
    assert "undoBookHotel" not in comp.waits_at(case)   # the multi-instance activity is still running
    comp.complete(case, "bookHotel")
    if java.endswith("Subprocess"):
        signal(comp, case, "beforeEnd")
    assert comp.status(case) == "completed"
    assert "undoBookHotel" not in [h["details"].get("element_id") for h in comp.case(case)["history"]]


@pytest.mark.parametrize("java", ["testCompensateActivityRefMiActivity", "testCompensateActivityRefMiSubprocess"])
def test_CompensateEventTest_activity_ref_compensates_every_instance(comp, java):
    comp.deploy_camunda(f"{COMP}{java}.bpmn20.xml")
    case = comp.start("compensateProcess")
    complete_all(comp, case, "bookHotel", 5)
    comp.complete(case, "task", {"accept": False})
    assert comp.waits_at(case) == ["undoBookHotel"] * 5
    complete_all(comp, case, "undoBookHotel")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_testActivityInstanceTreeForCompensationEndEvent(comp):
    """activityWithCompensationEndEvent: the end event waits for the handler (a user task)."""
    comp.deploy_camunda(f"{COMP}activityWithCompensationEndEvent.bpmn20.xml", mapping={"delegates": {}})
    case = comp.start("compensateProcess")
    assert comp.waits_at(case) == ["undoBookHotel"]
    comp.complete(case, "undoBookHotel")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_testActivityInstanceTreeForMiActivity(comp):
    comp.deploy_camunda(f"{COMP}compensationMiActivity.bpmn20.xml", mapping={"delegates": {}})
    case = comp.start("compensateProcess")
    assert comp.waits_at(case) == ["undoBookHotel"] * 5
    complete_all(comp, case, "undoBookHotel")
    assert comp.status(case) == "completed"


@pytest.mark.parametrize("java, model", [
    ("testActivityInstanceTreeForMiSubprocess", "compensationMiSubprocess"),
    ("testActivityInstanceTreeForMiSubProcessDefaultHandler", "testActivityInstanceTreeForMiSubProcessDefaultHandler"),
])
def test_CompensateEventTest_multi_instance_sub_process(comp, java, model):
    comp.deploy_camunda(f"{COMP}{model}.bpmn20.xml")
    case = comp.start("compensateProcess")
    complete_all(comp, case, "bookHotel", 5)
    comp.complete(case, "throwCompensation")
    assert comp.waits_at(case) == ["undoBookHotel"] * 5
    complete_all(comp, case, "undoBookHotel")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_testCancelProcessInstanceWithActiveCompensation(comp):
    comp.deploy_camunda(f"{COMP}activityWithCompensationEndEvent.bpmn20.xml")
    case = comp.start("compensateProcess")
    cases.cancel_case(comp.engine, case, actor="scenario")
    assert comp.status(case) == "cancelled"


def test_CompensateEventTest_testConcurrentExecutionsAndPendingCompensation(comp):
    comp.deploy_camunda(f"{COMP}testConcurrentExecutionsAndPendingCompensation.bpmn20.xml")
    case = comp.start("process")
    comp.complete(case, "innerTask")
    assert comp.waits_at(case) == ["task1", "task2"]
    comp.complete(case, "task1")
    comp.complete(case, "task2")
    assert comp.status(case) == "completed"               # nothing threw: nothing compensated


@pytest.mark.parametrize("java, model, expected", [
    ("testCompensateActivityRefTriggeredByEventSubprocess", "testCompensationTriggeredByEventSubProcessActivityRef",
     {"undoBookHotel": 5}),
    ("testCompensateActivityRefInEventSubprocess", "testCompensationInEventSubProcessActivityRef",
     {"undoBookSecondHotel": 5}),
    ("testCompensateInEventSubprocess", "testCompensationInEventSubProcess",
     {"undoBookHotel": 5, "undoBookFlight": 5, "undoBookSecondHotel": 5}),
])
def test_CompensateEventTest_thrown_in_an_event_sub_process(comp, java, model, expected):
    comp.deploy_camunda(f"{COMP}{model}.bpmn20.xml", mapping=UNDO)
    case = comp.start("compensateProcess")
    assert comp.status(case) == "completed"
    assert undone(comp) == expected


def test_CompensateEventTest_testSubprocessCompensationHandler(comp):
    comp.deploy_camunda(f"{COMP}testSubprocessCompensationHandler.bpmn20.xml")
    case = comp.start("subProcessCompensationHandler")
    comp.complete(case, "activity")
    assert comp.waits_at(case) == ["subProcessTask"]
    comp.complete(case, "subProcessTask")
    assert comp.waits_at(case) == ["beforeEnd"]
    comp.complete(case, "beforeEnd")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_testSubprocessCompensationHandlerDeleteProcessInstance(comp):
    comp.deploy_camunda(f"{COMP}testSubprocessCompensationHandler.bpmn20.xml")
    case = comp.start("subProcessCompensationHandler")
    comp.complete(case, "activity")
    cases.cancel_case(comp.engine, case, actor="scenario")
    assert comp.status(case) == "cancelled"


def test_CompensateEventTest_testReceiveTaskCompensationHandler(comp):
    """Ignored in Camunda 7 (CAM-4387), run here: the handler waits for its message."""
    comp.deploy_camunda(f"{COMP}testReceiveTaskCompensationHandler.bpmn20.xml")
    case = comp.start("receiveTaskCompensationHandler")
    comp.complete(case, "activity")
    assert comp.tasks(case) == [] and comp.status(case) == "waiting"
    comp.message("Message", key=comp.case(case)["business_key"])
    assert comp.waits_at(case) == ["beforeEnd"]
    comp.complete(case, "beforeEnd")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_testConcurrentScopeCompensation(comp):
    comp.deploy_camunda(f"{COMP}testConcurrentScopeCompensation.bpmn20.xml", mapping=UNDO)
    case = comp.start("concurrentScopeCompensation")
    comp.complete(case, "beforeCompensationTask")
    assert undone(comp) == {"compensateScope1Task": 1, "compensateScope2Task": 1}
    comp.complete(case, "concurrentTask")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_testCallActivityCompensationHandler(comp):
    comp.deploy_camunda(f"{COMP}testCallActivityCompensationHandler.bpmn20.xml",
                        "event/compensate/CompensationHandler.bpmn20.xml", mapping=UNDO)
    case = comp.start("compensateProcess")
    assert comp.status(case) == "waiting"          # the five called handlers have run, the throw is passed
    signal(comp, case, "beforeEnd")
    assert comp.status(case) == "completed"


@pytest.mark.parametrize("java, key", [("compensation_reference-before", "Process2"),
                                       ("compensation_reference-after", "Process_1")])
def test_CompensateEventTest_testCompensateOrder(comp, java, key):
    """A compensation boundary event without handler deploys and runs (nothing to undo), whether
    the activity comes before or after it in the file. A plain task waits for a person here."""
    comp.deploy_camunda(f"event/compensate/{java}.bpmn")
    case = comp.start(key)
    comp.complete(case, "Task_15lr2y5")
    assert comp.status(case) == "completed"


@pytest.mark.parametrize("model", ["waitForCompletionOnBoundaryCompensationEvent", "activityRefOnBoundaryCompensationEvent"])
def test_CompensationEventParseInvalidProcessTest_attributes_ignored_on_a_boundary_event(comp, model):
    """Not among Camunda's invalid cases: Camunda 7 warns and ignores waitForCompletion and
    activityRef on a compensation boundary event."""
    assert comp.deploy_camunda(f"{INVALID}{model}.bpmn20.xml", mapping=UNDO).processes


@pytest.mark.parametrize("model, element, message", [
    ("illegalCompensateActivityRefParentScope", "throwCompensate",
     "Invalid attribute value for 'activityRef': no activity with id 'someServiceInMainProcess' in scope 'subProcess'"),
    ("illegalCompensateActivityRefNestedScope", "throwCompensate",
     "Invalid attribute value for 'activityRef': no activity with id 'someServiceInNestedScope' in scope 'subProcess'"),
    ("invalidActivityRefFails", "throwCompensate", "Invalid attribute value for 'activityRef':"),
    ("multipleCompensationCatchEventsCompensationAttributeMissingFails", "compensateBookHotelEvt",
     "compensation boundary catch must be connected to element with isForCompensation=true"),
    ("multipleCompensationCatchEventsFails", "compensateBookHotelEvt2",
     "multiple boundary events with compensateEventDefinition not supported on same activity"),
    ("invalidOutgoingSequenceflow", "undoTask", "Invalid outgoing sequence flow of compensation activity 'undoTask'."),
    ("invalidIncomingSequenceflow", "task", "Invalid incoming sequence flow of compensation activity 'task'."),
    ("compensationEventSubProcessesAtProcessLevel", "startInCompensationScope",
     "event subprocess with compensation start event is only supported for embedded subprocess"),
])
def test_CompensationEventParseInvalidProcessTest(comp, model, element, message):
    with pytest.raises(DeploymentError) as refused:
        comp.deploy_camunda(f"{INVALID}{model}.bpmn20.xml", mapping=UNDO)
    assert any(p.element_id == element and message in p.message and p.line > 0 for p in refused.value.problems), \
        refused.value.problems


# --- compensation event sub-processes (a sub-process's own compensation handler) ---------------

def test_CompensateEventTest_testCompensationEventSubProcessWithScope(comp):
    comp.deploy_camunda(f"{COMP}testCompensationEventSubProcess.bpmn20.xml")
    case = comp.start("bookingProcess")
    comp.complete(case, "bookFlight")
    comp.complete(case, "bookHotel")
    comp.complete(case, "validateBooking", {"valid": False})
    assert comp.waits_at(case) == ["cancelFlight"]          # first: compensate book flight
    comp.complete(case, "cancelFlight")
    assert comp.waits_at(case) == ["cancelHotel"]           # second: book hotel
    comp.complete(case, "cancelHotel")
    assert comp.waits_at(case) == ["updateCustomerRecord"]  # third: the handler's own task
    comp.complete(case, "updateCustomerRecord")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_testActivityInstanceTreeForCompensationEventSubProcess(comp):
    comp.deploy_camunda(f"{COMP}testCompensationEventSubProcess.bpmn20.xml")
    case = comp.start("bookingProcess")
    comp.complete(case, "bookFlight")
    comp.complete(case, "bookHotel")
    comp.complete(case, "validateBooking", {"valid": False})
    assert comp.waits_at(case) == ["cancelFlight"]          # inside the handler, inside its throw event
    assert comp.status(case) == "waiting"


def test_CompensateEventTest_testCompensationEventSubProcessWithActivityRef(comp):
    comp.deploy_camunda(f"{COMP}testCompensationEventSubProcessWithActivityRef.bpmn20.xml")
    case = comp.start("bookingProcess")
    comp.complete(case, "bookHotel")
    comp.complete(case, "bookFlight")
    comp.complete(case, "validateBooking", {"valid": False})
    assert comp.waits_at(case) == ["cancelHotel"]            # only the referenced sub-process
    comp.complete(case, "cancelHotel")
    assert comp.status(case) == "completed"


@pytest.mark.parametrize("java", ["testCompensateMiSubprocessWithCompensationEventSubProcess",
                                  "testCompensateParallelMiSubprocessWithCompensationEventSubProcess"])
def test_CompensateEventTest_multi_instance_sub_process_with_compensation_event_sub_process(comp, java):
    comp.deploy_camunda(f"{COMP}{java}.bpmn20.xml")
    case = comp.start("bookingProcess", {"flights": ["STS-14", "STS-28"]})
    for _ in range(2):
        complete_all(comp, case, "bookFlight")
        complete_all(comp, case, "bookHotel")
    comp.complete(case, "validateBooking", {"valid": False})
    for element in ("cancelFlight", "cancelHotel", "updateCustomerRecord"):
        assert element in comp.waits_at(case)
        complete_all(comp, case, element)
        while element in comp.waits_at(case):           # the instances' handlers come one after another
            complete_all(comp, case, element)
    assert comp.status(case) == "completed"


def test_CompensateEventTest_testCompensationEventSubprocessWithoutBoundaryEvents(comp):
    comp.deploy_camunda(f"{COMP}testCompensationEventSubprocessWithoutBoundaryEvents.bpmn20.xml")
    case = comp.start("compensateProcess")
    comp.complete(case, "bookHotel")
    comp.complete(case, "bookFlight")
    comp.complete(case, "throwCompensation")
    comp.complete(case, "undoBookFlight")
    comp.complete(case, "undoBookHotel")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_testCompensationEventSubprocessReThrowCompensationEvent(comp):
    comp.deploy_camunda(f"{COMP}testCompensationEventSubprocessReThrowCompensationEvent.bpmn20.xml")
    case = comp.start("compensateProcess")
    comp.complete(case, "bookHotel")
    comp.complete(case, "bookFlight")
    comp.complete(case, "throwCompensation")
    assert comp.waits_at(case) == ["undoBookHotel"]
    comp.complete(case, "undoBookHotel")                    # its handler re-throws: the inner sub-process's
    assert comp.waits_at(case) == ["undoBookFlight"]
    comp.complete(case, "undoBookFlight")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_testCompensationEventSubprocessConsumeCompensationEvent(comp):
    comp.deploy_camunda(f"{COMP}testCompensationEventSubprocessConsumeCompensationEvent.bpmn20.xml")
    case = comp.start("compensateProcess")
    comp.complete(case, "bookHotel")
    comp.complete(case, "bookFlight")
    comp.complete(case, "throwCompensation")
    comp.complete(case, "undoBookHotel")                    # consumes it: Cancel Flight never comes
    assert comp.status(case) == "completed"


@pytest.mark.parametrize("model, element, message", [
    ("multipleCompensationEventSubProcesses", "startInCompensationScope2",
     "multiple event subprocesses with compensation start event are not supported on the same scope"),
    ("compensationEventSubprocessAndBoundaryEvent", "subprocess",
     "compensation boundary event and event subprocess with compensation start event are not supported"),
])
def test_CompensationEventParseInvalidProcessTest_compensation_event_sub_processes(comp, model, element, message):
    with pytest.raises(DeploymentError) as refused:
        comp.deploy_camunda(f"{INVALID}{model}.bpmn20.xml", mapping=UNDO)
    assert any(p.element_id == element and message in p.message for p in refused.value.problems), \
        refused.value.problems


@pytest.mark.parametrize("model", ["activityRefOnCompensationEventSubProcess", "waitForCompletionOnCompensationEventSubProcess"])
def test_CompensationEventParseInvalidProcessTest_attributes_ignored_on_a_compensation_start_event(comp, model):
    assert comp.deploy_camunda(f"{INVALID}{model}.bpmn20.xml", mapping=UNDO).processes
