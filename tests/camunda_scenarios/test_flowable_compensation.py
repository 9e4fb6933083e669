"""Ported Flowable engine tests: compensation (org.flowable...event.compensate.CompensateEventTest).

Flowable's ``UndoService`` is mapped to the test connector's ``undo`` operation; the calls per
``counterName`` field are what the Java tests read as the variable. ``runtimeService.trigger``
on a receive task is the message named like the task."""

from __future__ import annotations

from collections import Counter

import pytest

from engine.domain.errors import DeploymentError
from engine.ports import ServiceResult

COMP = "event/compensate/CompensateEventTest."
UNDO = {"delegates": {"org.flowable.engine.test.bpmn.event.compensate.helper.UndoService": "test.undo"}}


@pytest.fixture
def comp(scenario):
    scenario.connector.behaviour["undo"] = lambda r: ServiceResult({})
    return scenario


def undone(scenario) -> Counter:
    return Counter(c.params.get("counterName") for c in scenario.connector.calls if c.operation.endswith("undo"))


def trigger(scenario, case, receive_task):
    scenario.message(receive_task, key=scenario.case(case)["business_key"])


@pytest.mark.parametrize("java, expected", [
    ("testCompensateSubprocess", 5),
    ("testCompensateMiSubprocess", 5),
    ("testCompensateSubprocessWithoutActivityRef", 5),
    ("testCompensateServiceTask", 1),
    ("testCompensateServiceTaskStartBackwardsCompatible", 1),
])
def test_CompensateEventTest_flowable_undo_then_trigger(comp, java, expected):
    comp.deploy_flowable(f"{COMP}{java}.bpmn20.xml", mapping=UNDO)
    case = comp.start("compensateProcess")
    assert sum(undone(comp).values()) == expected
    trigger(comp, case, "beforeEnd")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_flowable_testCompensateServiceTaskBackwardsCompatible(comp):
    """activityRef names the handler (Flowable's older models): it stands for its activity."""
    comp.deploy_flowable(f"{COMP}testCompensateServiceTaskBackwardsCompatible.bpmn20.xml", mapping=UNDO)
    case = comp.start("compensateProcess")
    trigger(comp, case, "firstWait")
    assert sum(undone(comp).values()) == 1
    trigger(comp, case, "beforeEnd")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_flowable_testCompensateScope(comp):
    comp.deploy_flowable(f"{COMP}testCompensateScope.bpmn20.xml", mapping=UNDO)
    case = comp.start("compensateProcess")
    assert undone(comp) == {"undoBookHotel": 5, "undoBookFlight": 5}
    trigger(comp, case, "beforeEnd")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_flowable_testCompensateSubprocessWithUserTask(comp):
    comp.deploy_flowable(f"{COMP}testCompensateSubprocessWithUserTask.bpmn20.xml")
    case = comp.start("compensateProcess")
    assert comp.waits_at(case) == ["undoBookHotel"]
    comp.complete(case, "undoBookHotel")
    trigger(comp, case, "beforeEnd")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_flowable_testCompensateSubprocessWithUserTask2(comp):
    comp.deploy_flowable(f"{COMP}testCompensateSubprocessWithUserTask2.bpmn20.xml")
    case = comp.start("compensateProcess")
    trigger(comp, case, "beforeEnd")
    assert comp.waits_at(case) == ["undoBookHotel"]
    comp.complete(case, "undoBookHotel")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_flowable_testCallActivityCompensationHandler(comp):
    comp.deploy_flowable(f"{COMP}testCallActivityCompensationHandler.bpmn20.xml",
                         "event/compensate/CompensationHandler.bpmn20.xml")
    case = comp.start("compensateProcess")
    trigger(comp, case, "beforeEnd")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_flowable_testCompensateWithSubprocess(comp):
    """The handler is a sub-process: two parallel user tasks, then a third."""
    comp.deploy_flowable(f"{COMP}testCompensateWithSubprocess.bpmn20.xml")
    case = comp.start("compensateProcess", {"doCompensation": True})
    comp.complete(case, "afterBookHotel")
    assert comp.waits_at(case) == ["compensateTask1", "compensateTask2"]
    comp.complete(case, "compensateTask1")
    comp.complete(case, "compensateTask2")
    assert comp.waits_at(case) == ["compensateTask3"]
    comp.complete(case, "compensateTask3")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_flowable_testCompensateWithSubprocess2(comp):
    comp.deploy_flowable(f"{COMP}testCompensateWithSubprocess.bpmn20.xml")
    case = comp.start("compensateProcess", {"doCompensation": False})
    comp.complete(case, "afterBookHotel")
    assert comp.status(case) == "completed"


def test_CompensateEventTest_flowable_testCompensateNestedSubprocess(comp):
    comp.deploy_flowable(f"{COMP}testCompensateNestedSubprocess.bpmn20.xml")
    case = comp.start("compensateProcess")
    comp.complete(case, "afterNestedSubProcess")
    assert comp.waits_at(case) == ["undoBookHotel"]
    comp.complete(case, "undoBookHotel")
    assert comp.status(case) == "completed"


@pytest.mark.parametrize("java, message", [
    ("testMultipleCompensationCatchEventsFails", "multiple boundary events with compensateEventDefinition"),
    ("testInvalidActivityRefFails", "Invalid attribute value for 'activityRef'"),
])
def test_CompensateEventTest_flowable_invalid(comp, java, message):
    with pytest.raises(DeploymentError) as refused:
        comp.deploy_flowable(f"{COMP}{java}.bpmn20.xml", mapping=UNDO)
    assert any(message in p.message for p in refused.value.problems), refused.value.problems


# --- transactions (org.flowable...subprocess.transaction.TransactionSubProcessTest) -------------

TX = "subprocess/transaction/TransactionSubProcessTest."


@pytest.mark.parametrize("java, confirmed, expected, after", [
    ("testSimpleCaseTxSuccessful", True, {}, "afterSuccess"),
    ("testSimpleCaseTxCancelled", False, {"undoBookHotel": 1, "undoBookFlight": 1, "undoChargeCard": 1},
     "afterCancellation"),
])
def test_TransactionSubProcessTest_flowable_simple_case(comp, java, confirmed, expected, after):
    comp.deploy_flowable(f"{TX}testSimpleCase.bpmn20.xml", mapping=UNDO)
    case = comp.start("transactionProcess")
    comp.complete(case, "askCustomer", {"confirmed": confirmed})
    assert undone(comp) == expected
    trigger(comp, case, after)
    assert comp.status(case) == "completed"


def test_TransactionSubProcessTest_flowable_testCancelEndConcurrent(comp):
    comp.deploy_flowable(f"{TX}testCancelEndConcurrent.bpmn20.xml", mapping=UNDO)
    case = comp.start("transactionProcess")
    comp.complete(case, "askCustomer", {"confirmed": False})
    assert undone(comp) == {"undoBookHotel": 1, "undoBookFlight": 1}
    trigger(comp, case, "afterCancellation")
    assert comp.status(case) == "completed"


def test_TransactionSubProcessTest_flowable_testNestedCancelInner(comp):
    comp.deploy_flowable(f"{TX}testNestedCancelInner.bpmn20.xml", mapping=UNDO)
    case = comp.start("transactionProcess")
    comp.complete(case, "innerTxaskCustomer", {"confirmed": False})
    assert undone(comp) == {"innerTxundoBookHotel": 5, "innerTxundoBookFlight": 1}
    comp.complete(case, "bookFlight")
    trigger(comp, case, "afterInnerCancellation")
    assert comp.status(case) == "completed"


def test_TransactionSubProcessTest_flowable_testNestedCancelOuter(comp):
    comp.deploy_flowable(f"{TX}testNestedCancelOuter.bpmn20.xml", mapping=UNDO)
    case = comp.start("transactionProcess")
    comp.complete(case, "bookFlight")
    assert undone(comp) == {"undoBookFlight": 1}           # the running inner transaction is not compensated
    trigger(comp, case, "afterOuterCancellation")
    assert comp.status(case) == "completed"


@pytest.mark.parametrize("java, element, message", [
    ("testMultipleCancelBoundaryFails", "catchCancelTx2",
     "multiple boundary events with cancelEventDefinition not supported on same transaction"),
    ("testCancelEndNoTransactionFails", "failure",
     "end event with cancelEventDefinition only supported inside transaction subprocess"),
])
def test_TransactionSubProcessTest_flowable_invalid(comp, java, element, message):
    with pytest.raises(DeploymentError) as refused:
        comp.deploy_flowable(f"{TX}{java}.bpmn20.xml", mapping=UNDO)
    assert any(p.element_id == element and message in p.message for p in refused.value.problems), \
        refused.value.problems
