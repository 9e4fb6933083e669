"""A start event with an event definition in a sub-process or transaction that is not an event
sub-process is refused at deploy, as Camunda 7 refuses it (BpmnParseTest.testInvalid...StartEvent).
Before, the error, escalation and signal variants deployed: the sub-process then waited at a
start event nothing could reach (a case stuck without a wait), or on a signal."""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError
from tests.camunda_scenarios.conftest import Scenario

PARSE = "parse/BpmnParseTest."
ONLY_EVENT_SUBPROCESS = "only allowed on start event if subprocess is an event subprocess"
NOT_IN_SUBPROCESS = "is not allowed on start event within a subprocess"


@pytest.mark.corpus
@pytest.mark.parametrize(("container", "start"), [("SubProcess", "StartEvent_3"), ("Transaction", "StartEvent_2")])
@pytest.mark.parametrize(("kind", "text"), [("Error", f"errorEventDefinition {ONLY_EVENT_SUBPROCESS}"),
                                            ("Escalation", f"escalationEventDefinition {NOT_IN_SUBPROCESS}"),
                                            ("Signal", f"signalEventDefinition {ONLY_EVENT_SUBPROCESS}"),
                                            ("Message", f"messageEventDefinition {ONLY_EVENT_SUBPROCESS}"),
                                            ("Timer", f"timerEventDefinition {NOT_IN_SUBPROCESS}")])
def test_BpmnParseTest_invalid_start_events_in_sub_processes(scenario: Scenario, container: str, start: str,
                                                             kind: str, text: str) -> None:
    """BpmnParseTest.testInvalid{SubProcess,Transaction}With{Error,Escalation,Signal,Message,Timer}StartEvent."""
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_camunda(f"{PARSE}testInvalid{container}With{kind}StartEvent.bpmn")
    found = [p for p in caught.value.problems if text in p.message]
    assert found, caught.value.problems
    assert all(p.line > 0 for p in found)
    assert {p.element_id for p in found} == {start}


@pytest.mark.corpus
@pytest.mark.parametrize(("container", "start"), [("SubProcess", "StartEvent_2"), ("Transaction", "StartEvent_3")])
def test_BpmnParseTest_invalid_conditional_start_events_in_sub_processes(scenario: Scenario, container: str,
                                                                         start: str) -> None:
    """BpmnParseTest.testInvalid{SubProcess,Transaction}WithConditionalStartEvent."""
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_camunda(f"{PARSE}testInvalid{container}WithConditionalStartEvent.bpmn")
    found = [p for p in caught.value.problems if f"conditionalEventDefinition {NOT_IN_SUBPROCESS}" in p.message]
    assert {p.element_id for p in found} == {start}, caught.value.problems


@pytest.mark.corpus
def test_BpmnParseTest_testParseMultipleStartEvent(scenario: Scenario) -> None:
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_camunda(f"{PARSE}testParseMultipleStartEvent.bpmn20.xml")
    messages = [p.message for p in caught.value.problems if p.element_id == "startSubProcess"]
    assert any(f"timerEventDefinition {NOT_IN_SUBPROCESS}" in m for m in messages), messages
    assert any(f"messageEventDefinition {ONLY_EVENT_SUBPROCESS}" in m for m in messages), messages
