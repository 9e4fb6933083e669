"""``execution.<property>`` that the engine's execution object does not have is refused at deploy,
naming the element (Flowable's ServiceTaskExpressionTest.testDefinitionExpression reads
execution.processDefinitionVersion). Before, such a model deployed and every case failed when it
reached the expression."""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" {namespace} targetNamespace="t">
  <process id="akte" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="vermerken"/>
    <serviceTask id="vermerken" {prefix}:expression="${{execution.{name}}}" {prefix}:resultVariable="vermerk"/>
    <sequenceFlow id="f2" sourceRef="vermerken" targetRef="pruefen"/>
    <userTask id="pruefen"/>
    <sequenceFlow id="f3" sourceRef="pruefen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""

DIALECTS = {"flowable": 'xmlns:flowable="http://flowable.org/bpmn"',
            "camunda": 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'}


def _xml(dialect: str, name: str) -> bytes:
    return MODEL.format(namespace=DIALECTS[dialect], prefix=dialect, name=name).encode()


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_an_unknown_execution_property_is_refused_at_deploy_a_known_one_runs(scenario: Scenario, dialect: str) -> None:
    with pytest.raises(DeploymentError) as caught:
        deploy(scenario.engine, [SourceFile("akte.bpmn", _xml(dialect, "processDefinitionVersion"))],
               actor="scenario")
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.element_id) == ("akte.bpmn", 6, "vermerken")
    assert "execution.processDefinitionVersion is not available" in problem.message
    # a property the execution object has deploys and runs
    deploy(scenario.engine, [SourceFile("akte.bpmn", _xml(dialect, "processBusinessKey"))], actor="scenario")
    case = scenario.start("akte", business_key="A-3")
    assert scenario.data(case)["vermerk"] == "A-3"
    assert scenario.waits_at(case) == ["pruefen"]
