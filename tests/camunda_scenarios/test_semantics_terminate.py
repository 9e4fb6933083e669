"""Ported Camunda 7 engine tests: terminate end events (TerminateEndEventTest). The Java
tests start the instance, complete the one named task and expect the instance to have ended
(the terminate end event cancels what else runs)."""

from __future__ import annotations

import pytest

END = "event/end/TerminateEndEventTest."


@pytest.mark.parametrize("java, task", [
    ("testProcessTerminate", "preTerminateTask"),
    ("testTerminateWithSubProcess", "preTerminateEnd"),
    ("testTerminateInSubProcess", "preNormalEnd"),
    ("testTerminateInSubProcessConcurrent", "preNormalEnd"),
    ("testTerminateInSubProcessMultiInstance", "preNormalEnd"),
])
def test_TerminateEndEventTest(scenario, java, task):
    scenario.deploy_camunda(f"{END}{java}.bpmn")
    case = scenario.start("terminateEndEventExample")
    assert task in scenario.waits_at(case)
    scenario.complete(case, task)
    assert scenario.status(case) == "completed"
    assert scenario.tasks(case) == []


@pytest.mark.parametrize("java, model", [
    ("testTerminateInSubProcessShouldNotEndProcessInstanceInHistory", "testTerminateInSubProcess"),
    ("testTerminateInSubProcessConcurrentShouldNotEndProcessInstanceInHistory", "testTerminateInSubProcessConcurrent"),
])
def test_TerminateEndEventTest_terminate_in_sub_process_does_not_end_the_case(scenario, java, model):
    scenario.deploy_camunda(f"{END}{model}.bpmn")
    case = scenario.start("terminateEndEventExample")
    assert scenario.status(case) == "waiting"                  # the case goes on in its outer flow
    assert scenario.waits_at(case) == ["preNormalEnd"]
