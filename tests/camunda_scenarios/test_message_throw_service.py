"""Message intermediate throw and end events whose event definition names an implementation
(camunda:class ...): Camunda 7 runs them as service tasks and sends no message (BpmnParse,
"same behaviour as service task"); mapped delegates call their connector operation, input/output
mappings of the event apply. SQLite and PostgreSQL, a save/restore at every wait."""

from __future__ import annotations

import pytest

from tests.integration.helpers import MODELS

# its own folder: it needs a mapping of its delegates that the folder-wide camunda-mapping.json
# does not have (tests/unit/test_save_restore.py deploys each top-level model with that file)
MODEL = MODELS / "camunda" / "throw_service" / "message_throw_service.bpmn"
MAPPING = {"delegates": {"de.stadt.Melder": "test.noop", "de.stadt.Abschluss": "test.lookup"}}


def test_throw_events_with_a_delegate_call_it_and_send_no_message(scenario):
    scenario.deploy_files([MODEL], mapping=MAPPING)
    waiting = scenario.start("wartet_auf_meldung")
    case = scenario.start("benachrichtigen", {"antragsteller": "Erika"})
    [call] = scenario.connector.calls
    assert call.operation == "test.noop" and call.case_id == case
    assert dict(call.params) == {"empfaenger": "Erika"}                  # the delegate sees the event's input
    assert scenario.waits_at(case) == ["pruefen"]
    data = scenario.data(case)
    assert data["gemeldetAn"] == "Erika" and "empfaenger" not in data     # the event's own scope
    assert scenario.status(waiting) != "completed"                        # no message was sent
    scenario.complete(case, "pruefen")
    assert [c.operation for c in scenario.connector.calls] == ["test.noop", "test.lookup"]
    assert scenario.status(case) == "completed"                           # the end event ended the path
    assert scenario.status(waiting) != "completed"


def test_an_unmapped_delegate_on_a_throw_event_deploys_with_its_mapping_entry_and_stops_the_case(scenario):
    """Camunda deploys it and fails when the event is reached; so does amtsflow, with a warning
    at deploy naming the entry to add, and an incident (no retries) where the case stops."""
    from engine.services import incidents

    result = scenario.deploy_files([MODEL], mapping={"delegates": {"de.stadt.Melder": "test.noop"}})
    [warning] = [w for w in result.warnings if "de.stadt.Abschluss" in w.message]
    assert warning.element_id == "abschluss" and '"de.stadt.Abschluss": "connector.operation"' in warning.message
    case = scenario.start("benachrichtigen", {"antragsteller": "Erika"})
    scenario.complete(case, "pruefen")
    assert scenario.status(case) != "completed"
    [incident] = incidents.list_incidents(scenario.engine, case_id=case)
    assert incident["element_id"] == "abschluss"
    assert "Java delegate 'de.stadt.Abschluss' is mapped to no connector operation" in incident["message"]
    assert [c.operation for c in scenario.connector.calls] == ["test.noop"]


@pytest.mark.corpus
def test_MessageIntermediateThrowEventTest_testSingleIntermediateThrowMessageEventServiceTaskBehavior(scenario):
    scenario.deploy_camunda(
        "event/message/MessageIntermediateThrowEventTest.testSingleIntermediateThrowMessageEventServiceTaskBehavior.bpmn20.xml",
        mapping={"delegates": {"org.camunda.bpm.engine.test.bpmn.event.message.DummyServiceTask": "test.noop"}})
    case = scenario.start("process")
    assert len(scenario.connector.calls) == 1                             # DummyServiceTask.wasExecuted
    assert scenario.status(case) == "completed"


@pytest.mark.corpus
def test_InputOutputEventTest_testMessageThrowEvent(scenario):
    scenario.deploy_camunda("iomapping/InputOutputEventTest.testMessageThrowEvent.bpmn20.xml",
                            mapping={"delegates": {"org.camunda.bpm.engine.test.bpmn.iomapping.VariableLogDelegate":
                                                   "test.noop"}})
    case = scenario.start("testProcess")
    assert len(scenario.connector.calls) == 1
    assert scenario.data(case)["outVariable"] == "mappedValue"
    assert "mappedVariable" not in scenario.data(case)
    assert scenario.waits_at(case) == ["task"]
