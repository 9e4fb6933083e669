"""Ad-hoc sub-processes are refused at deploy, naming the element. They deployed (parallel, with a
completion condition) and then never ran as Flowable runs them (AdhocSubProcessTest: each activity
starts on request, the condition is checked after one completes): SpiffWorkflow started every
activity at once and checked the condition first; false, the case failed (KeyError); true, it
waited for nothing; not yet set, starting a case crashed."""

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
    <sequenceFlow id="f1" sourceRef="start" targetRef="nachweise"/>
    <adHocSubProcess id="nachweise" ordering="Parallel">
      <userTask id="meldebescheinigung"/>
      <userTask id="einkommensnachweis"/>
      <completionCondition>{condition}</completionCondition>
    </adHocSubProcess>
    <sequenceFlow id="f2" sourceRef="nachweise" targetRef="entscheiden"/>
    <userTask id="entscheiden"/>
    <sequenceFlow id="f3" sourceRef="entscheiden" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""

VARIANTS = {"plain": ("", "vollstaendig"), "flowable": ('xmlns:flowable="http://flowable.org/bpmn"', "${vollstaendig}")}


@pytest.mark.parametrize("dialect", sorted(VARIANTS))
def test_a_parallel_ad_hoc_sub_process_is_refused_at_deploy(scenario: Scenario, dialect: str) -> None:
    namespace, condition = VARIANTS[dialect]
    xml = MODEL.replace("{namespace}", namespace).replace("{condition}", condition)
    with pytest.raises(DeploymentError) as caught:
        deploy(scenario.engine, [SourceFile("akte.bpmn", xml.encode())], actor="scenario")
    [problem] = [p for p in caught.value.problems if "ad-hoc" in p.message]
    assert (problem.file, problem.line, problem.element_id) == ("akte.bpmn", 6, "nachweise")
    assert "not supported" in problem.message
