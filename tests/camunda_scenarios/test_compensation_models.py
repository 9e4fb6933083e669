"""Compensation with models of our own (tests/models/compensation): the order of the handlers
(CompensateEventOrderTest: reverse order of completion), the variables handlers see and pass
on, a multi-instance activity's handler per instance with its element variable (Camunda's
snapshot), compensation at most once, and a BPMN error that triggers compensation. Every
wait is a save/restore (the scenario harness runs with the case cache off)."""

from __future__ import annotations

from pathlib import Path

from engine.ports import ServiceResult

MODELS = Path(__file__).resolve().parents[1] / "models" / "compensation"


def test_handlers_run_in_reverse_order_of_completion_and_pass_their_variables_on(scenario):
    """CompensateEventOrderTest.testTwoCompensateEventsInReverseOrder, with script handlers that
    record their turn: each sees what the one before it wrote; a second throw finds nothing left."""
    scenario.deploy_files([MODELS / "order.bpmn"])
    case = scenario.start("comp_order", {"booked": [], "undone": [], "items": ["a", "b", "c"]})
    scenario.complete(case, "review")
    # the multi-instance activity completed last: its handler runs first, once per instance with
    # that instance's element variable (the last instance first)
    assert scenario.waits_at(case) == ["after"]
    assert scenario.data(case)["undone"] == ["c", "b", "a", "two", "one"]
    scenario.complete(case, "after")                         # a second throw: nothing left to undo
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["undone"] == ["c", "b", "a", "two", "one"]


def test_a_bpmn_error_triggers_compensation_of_a_completed_sub_process(scenario):
    """The error boundary event's path ends in a compensation end event: the activities of the
    completed sub-process are undone (its default compensation handler)."""
    scenario.connector.answer("charge", bpmn_error="declined")
    scenario.deploy_files([MODELS / "error.bpmn"], mapping={"delegates": {"example.Charge": "test.charge"}})
    case = scenario.start("comp_error")
    assert scenario.waits_at(case) == ["cancel_hotel"]
    assert scenario.status(case) == "waiting"
    scenario.complete(case, "cancel_hotel")
    assert scenario.status(case) == "completed"


def test_without_an_error_nothing_is_compensated(scenario):
    scenario.connector.behaviour["charge"] = lambda r: ServiceResult({})
    scenario.deploy_files([MODELS / "error.bpmn"], mapping={"delegates": {"example.Charge": "test.charge"}})
    case = scenario.start("comp_error")
    assert scenario.status(case) == "completed"
    assert scenario.tasks(case) == []
