"""activiti:scope / flowable:scope="global" on a message (Flowable's
MessageEventsAndNewVersionDeploymentsTest models carry it): Flowable has no message scopes and
ignores the attribute, and "global" is what every message is here too, so the model deploys and
its messages correlate. Any other scope on a message is refused by name. Before, every scope on
a message was refused."""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:activiti="http://activiti.org/bpmn"
             targetNamespace="t">
  <message id="antwort" name="Antwort" activiti:scope="{scope}"/>
  <process id="rueckfrage" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="warten"/>
    <receiveTask id="warten" messageRef="antwort"/>
    <sequenceFlow id="f2" sourceRef="warten" targetRef="pruefen"/>
    <userTask id="pruefen"/>
    <sequenceFlow id="f3" sourceRef="pruefen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""


def test_a_global_message_scope_is_what_every_message_is(scenario: Scenario) -> None:
    deploy(scenario.engine, [SourceFile("rueckfrage.bpmn", MODEL.format(scope="global").encode())], actor="scenario")
    case = scenario.start("rueckfrage", business_key="R-1")
    assert scenario.waits_at(case) == []                  # the receive task waits: no user task yet
    assert scenario.message("Antwort", key="R-1").status == "delivered"
    assert scenario.waits_at(case) == ["pruefen"]


def test_another_message_scope_is_refused_by_name(scenario: Scenario) -> None:
    with pytest.raises(DeploymentError) as refused:
        deploy(scenario.engine, [SourceFile("rueckfrage.bpmn", MODEL.format(scope="processInstance").encode())],
               actor="scenario")
    assert "flowable:scope" in str(refused.value.problems)
