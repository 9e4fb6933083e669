"""messageRef/signalRef/errorRef/escalationRef written as a qualified name whose prefix is the
file's targetNamespace (``tns:newInvoice``) name the element of this file, as Camunda's parser
resolves them (BpmnParse.resolveName); another namespace's prefix still points to nothing.
SQLite and PostgreSQL, a save/restore at every wait."""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import CAMUNDA_TESTS, corpus_file
from tests.camunda_scenarios.semantics_helpers import correlate
from tests.integration.helpers import MODELS

MODEL = MODELS / "camunda" / "qualified_refs.bpmn"
MESSAGE = "event/message/MessageStartEventTest."


def test_prefixed_references_reach_their_message_and_signal(scenario):
    scenario.deploy_files([MODEL])
    outcome = scenario.message("AntragEingegangen")
    assert outcome.status == "started"
    case = outcome.case_id
    assert scenario.waits_at(case) == []
    assert correlate(scenario, "UnterlagenNachgereicht").status == "delivered"   # keyed by the business key
    assert scenario.waits_at(case) == ["pruefen"]
    assert scenario.signal("Verfahrensstopp") == 1
    assert scenario.status(case) == "completed" and scenario.waits_at(case) == []


def test_a_message_start_begins_alone_beside_a_none_start(scenario):
    """Camunda starts the case at the message's start event only; the none start event begins
    the cases started without a message."""
    scenario.deploy_files([MODEL])
    by_hand = scenario.start("nachreichen")
    assert scenario.waits_at(by_hand) == ["pruefen"]
    by_message = scenario.message("AntragEingegangen").case_id
    assert scenario.waits_at(by_message) == []                           # waits for the documents only
    assert correlate(scenario, "UnterlagenNachgereicht").status == "delivered"
    assert scenario.waits_at(by_message) == ["pruefen"]                  # one token, not two
    scenario.complete(by_message, "pruefen")
    assert scenario.status(by_message) == "completed"


def test_a_prefix_of_another_namespace_points_to_nothing(scenario):
    text = MODEL.read_text().replace('xmlns:tns="http://amtsflow.test/refs"',
                                     'xmlns:tns="http://amtsflow.test/refs" xmlns:anders="urn:anders"')
    text = text.replace('messageRef="tns:nachreichung"', 'messageRef="anders:nachreichung"')
    with pytest.raises(DeploymentError) as caught:
        deploy(scenario.engine, [SourceFile("q.bpmn", text.encode())], actor="t")
    assert [(p.element_id, p.message) for p in caught.value.problems] == [
        ("warten", "messageRef 'anders:nachreichung' points to no message defined in this file")]


@pytest.mark.corpus
def test_MessageStartEventTest_testSingleMessageStartEvent(scenario):
    scenario.deploy_files([corpus_file(CAMUNDA_TESTS, MESSAGE + "testSingleMessageStartEvent.bpmn20.xml")])
    outcome = scenario.message("newInvoiceMessage")
    assert outcome.status == "started"
    assert scenario.waits_at(outcome.case_id) == ["task"]
    scenario.complete(outcome.case_id, "task")
    assert scenario.status(outcome.case_id) == "completed"


@pytest.mark.corpus
def test_MessageStartEventTest_testMessageStartEventAndNoneStartEvent(scenario):
    scenario.deploy_camunda(MESSAGE + "testMessageStartEventAndNoneStartEvent.bpmn20.xml")
    by_none = scenario.start("testProcess")
    assert scenario.waits_at(by_none) == ["taskAfterNoneStart"]
    by_message = scenario.message("newInvoiceMessage")
    assert by_message.status == "started"
    assert scenario.waits_at(by_message.case_id) == ["taskAfterMessageStart"]


@pytest.mark.corpus
def test_MessageStartEventTest_testMultipleMessageStartEvents(scenario):
    scenario.deploy_files([corpus_file(CAMUNDA_TESTS, MESSAGE + "testMultipleMessageStartEvents.bpmn20.xml")])
    for message, task in (("newInvoiceMessage", "taskAfterMessageStart"),
                          ("newInvoiceMessage2", "taskAfterMessageStart2")):
        outcome = scenario.message(message)
        assert scenario.waits_at(outcome.case_id) == [task]
        scenario.complete(outcome.case_id, task)
        assert scenario.status(outcome.case_id) == "completed"


def test_two_message_start_events_for_one_message_are_refused(scenario):
    """MessageStartEventTest.testSameMessageNameInSameProcessFails, on a model of our own: two
    messages of one name, each starting the process (which start would the message take?)."""
    text = MODEL.read_text().replace('<message id="nachreichung" name="UnterlagenNachgereicht"/>',
                                     '<message id="nachreichung" name="UnterlagenNachgereicht"/>'
                                     '<message id="antrag2" name="AntragEingegangen"/>')
    text = text.replace('<sequenceFlow id="f1"', '<startEvent id="eingang2"><messageEventDefinition '
                        'messageRef="tns:antrag2"/></startEvent><sequenceFlow id="f02" sourceRef="eingang2" '
                        'targetRef="warten"/><sequenceFlow id="f1"')
    with pytest.raises(DeploymentError) as caught:
        deploy(scenario.engine, [SourceFile("q.bpmn", text.encode())], actor="t")
    assert [(p.element_id, p.message) for p in caught.value.problems] == [
        ("eingang2", "Cannot have more than one message event subscription with name 'AntragEingegangen' for "
                     "scope 'nachreichen'")]


@pytest.mark.corpus
def test_MessageStartEventTest_testSameMessageNameInSameProcessFails(scenario):
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_camunda("event/message/testSameMessageNameInSameProcessFails.bpmn20.xml")
    assert any("Cannot have more than one message event subscription with name 'newInvoiceMessage'" in p.message
               for p in caught.value.problems)
