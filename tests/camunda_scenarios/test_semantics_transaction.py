"""Ported Camunda 7 engine tests: transaction sub-processes with compensation
(TransactionSubProcessTest). A cancel end event cancels what else runs in the transaction,
compensates its completed activities (handlers in reverse order, all started at once) and then
leaves the transaction through its cancel boundary event."""

from __future__ import annotations

from collections import Counter

import pytest

from engine.domain.errors import DeploymentError
from engine.ports import ServiceResult
from engine.services import cases

TX = "subprocess/transaction/TransactionSubProcessTest."
HELPER = "org.camunda.bpm.engine.test.bpmn.event.compensate.helper."
UNDO = {"delegates": {HELPER + "UndoService": "test.undo", HELPER + "WaitStateUndoService": "test.undo"}}


@pytest.fixture
def tx(scenario):
    scenario.connector.behaviour["undo"] = lambda r: ServiceResult({})
    return scenario


def undone(scenario) -> Counter:
    return Counter(c.params.get("counterName") for c in scenario.connector.calls if c.operation.endswith("undo"))


def signal(scenario, case, receive_task):
    scenario.message(receive_task, key=scenario.case(case)["business_key"])


def test_TransactionSubProcessTest_testSimpleCaseTxSuccessful(tx):
    tx.deploy_camunda(f"{TX}testSimpleCase.bpmn20.xml", mapping=UNDO)
    case = tx.start("transactionProcess")
    tx.complete(case, "askCustomer", {"confirmed": True})
    assert undone(tx) == {}                          # no handler ran
    signal(tx, case, "afterSuccess")
    assert tx.status(case) == "completed"


def test_TransactionSubProcessTest_testSimpleCaseTxCancelled(tx):
    tx.deploy_camunda(f"{TX}testSimpleCase.bpmn20.xml", mapping=UNDO)
    case = tx.start("transactionProcess")
    tx.complete(case, "askCustomer", {"confirmed": False})
    assert undone(tx) == {"undoBookHotel": 5, "undoBookFlight": 1, "undoChargeCard": 1}
    signal(tx, case, "afterCancellation")
    assert tx.status(case) == "completed", tx.case(case)["incidents"]


def test_TransactionSubProcessTest_testWaitstateCompensationHandler(tx):
    tx.deploy_camunda(f"{TX}testWaitstateCompensationHandler.bpmn20.xml", mapping=UNDO)
    case = tx.start("transactionProcess")
    tx.complete(case, "askCustomer", {"confirmed": False})
    assert tx.waits_at(case) == ["undoBookFlight"] + ["undoBookHotel"] * 5
    for task in tx.tasks(case):
        cases.complete_task(tx.engine, task["id"], None, internal=True)
        tx.run_jobs()
    assert tx.tasks(case) == []
    signal(tx, case, "afterCancellation")
    assert tx.status(case) == "completed"


def test_TransactionSubProcessTest_testCancelEndConcurrent(tx):
    """The cancel end event cancels the concurrent receive task, then compensates."""
    tx.deploy_camunda(f"{TX}testCancelEndConcurrent.bpmn20.xml", mapping=UNDO)
    case = tx.start("transactionProcess")
    tx.complete(case, "askCustomer", {"confirmed": False})
    assert undone(tx) == {"undoBookHotel": 5, "undoBookFlight": 1}
    signal(tx, case, "afterCancellation")
    assert tx.status(case) == "completed"


def test_TransactionSubProcessTest_testNestedCancelInner(tx):
    tx.deploy_camunda(f"{TX}testNestedCancelInner.bpmn20.xml", mapping=UNDO)
    case = tx.start("transactionProcess")
    assert tx.waits_at(case) == ["bookFlight", "innerTxaskCustomer"]
    tx.complete(case, "innerTxaskCustomer", {"confirmed": False})
    assert undone(tx) == {"innerTxundoBookHotel": 5, "innerTxundoBookFlight": 1}
    signal(tx, case, "afterInnerCancellation")
    tx.complete(case, "bookFlight")
    assert tx.status(case) == "completed"


def test_TransactionSubProcessTest_testNestedCancelOuter(tx):
    tx.deploy_camunda(f"{TX}testNestedCancelOuter.bpmn20.xml", mapping=UNDO)
    case = tx.start("transactionProcess")
    assert tx.waits_at(case) == ["bookFlight", "innerTxaskCustomer"]
    tx.complete(case, "bookFlight")
    assert undone(tx) == {"undoBookFlight": 1}        # the inner transaction was running: not compensated
    signal(tx, case, "afterOuterCancellation")
    assert tx.status(case) == "completed"


@pytest.mark.parametrize("java, cancel, compensate, expected", [
    ("testCompensateSubprocess", True, False, ["undoInnerTask", "afterCancel"]),
    ("testCompensateSubprocessNotTriggered", False, False, ["afterTx"]),
    ("testCompensateSubprocessAfterTxCompletion", False, True, ["afterTx", "undoInnerTask"]),
])
def test_TransactionSubProcessTest_compensate_sub_process(tx, java, cancel, compensate, expected):
    tx.deploy_camunda(f"{TX}testCompensateSubprocess.bpmn20.xml")
    case = tx.start("txProcess", {"cancelTx": cancel, "compensate": compensate})
    tx.complete(case, "innerTask")
    tx.complete(case, "beforeCancel")
    for element in expected:
        assert tx.waits_at(case) == [element]
        tx.complete(case, element)
    assert tx.status(case) == "completed"


def test_TransactionSubProcessTest_testCompensateTransactionWithEventSubprocess(tx):
    tx.deploy_camunda(f"{TX}testCompensateTransactionWithEventSubprocess.bpmn20.xml", mapping={"delegates": {}})
    case = tx.start("txProcess")
    tx.complete(case, "beforeCancelEnd")
    assert tx.waits_at(case) == ["blackBoxCompensationHandler"]
    tx.complete(case, "blackBoxCompensationHandler")
    assert tx.status(case) == "completed"


def test_TransactionSubProcessTest_testMultiInstanceTx_is_refused(tx):
    """Camunda cancels every instance of a multi-instance transaction and compensates them all;
    here only the cancelling instance would be compensated: refused at deploy."""
    with pytest.raises(DeploymentError) as refused:
        tx.deploy_camunda(f"{TX}testMultiInstanceTx.bpmn20.xml", mapping=UNDO)
    assert any(p.element_id == "failure" and "multi-instance transaction" in p.message
               for p in refused.value.problems), refused.value.problems


@pytest.mark.parametrize("java, element, message", [
    ("testMultipleCancelBoundaryFails", "catchCancelTx2",
     "multiple boundary events with cancelEventDefinition not supported on same transaction"),
    ("testCancelEndNoTransactionFails", "failure",
     "end event with cancelEventDefinition only supported inside transaction subprocess"),
])
def test_TransactionSubProcessTest_invalid(tx, java, element, message):
    with pytest.raises(DeploymentError) as refused:
        tx.deploy_camunda(f"{TX}{java}.bpmn20.xml", mapping=UNDO)
    assert any(p.element_id == element and message in p.message for p in refused.value.problems), \
        refused.value.problems
