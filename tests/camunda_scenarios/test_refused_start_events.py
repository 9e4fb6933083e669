"""Start events Camunda 7 and Flowable refuse at deploy, refused here with their words
(BpmnParse's "multiple none start events", UserTaskCamundaFormDefinitionParseTest /
StartEventCamundaFormDefinitionParseTest: formKey with formRef). Before, a process with two none
start events deployed and every case ran one of them only; formKey won silently over formRef."""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" {namespace} targetNamespace="t">
  <process id="antrag" isExecutable="true">
    {starts}
    <userTask id="pruefen" {task}/>
    <endEvent id="ende"/>
    <sequenceFlow id="f2" sourceRef="pruefen" targetRef="ende"/>
  </process>
</definitions>"""
NONE = '<startEvent id="{id}"/><sequenceFlow id="to{id}" sourceRef="{id}" targetRef="pruefen"/>'
TIMER = ('<startEvent id="{id}"><timerEventDefinition><timeCycle>R/PT1H</timeCycle></timerEventDefinition>'
         '</startEvent><sequenceFlow id="to{id}" sourceRef="{id}" targetRef="pruefen"/>')


def _model(*starts: str, task: str = 'camunda:assignee="demo"') -> bytes:
    namespace = ('xmlns:flowable="http://flowable.org/bpmn"' if task.startswith("flowable:") else
                 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"')
    return HEAD.format(starts="".join(s.format(id=f"start{i}") for i, s in enumerate(starts)), task=task,
                       namespace=namespace).encode()


def _problems(scenario: Scenario, content: bytes) -> list[tuple[str, str]]:
    with pytest.raises(DeploymentError) as refused:
        deploy(scenario.engine, [SourceFile("antrag.bpmn", content)], actor="scenario")
    return [(p.element_id, p.message) for p in refused.value.problems]


def test_camunda_refuses_several_none_starts(scenario: Scenario) -> None:
    assert ("start1", "multiple none start events or timer start events not supported on process definition") \
        in _problems(scenario, _model(NONE, NONE))


@pytest.mark.parametrize("starts", [(NONE, TIMER), (TIMER, TIMER)])
def test_timer_starts_beside_a_none_start_deploy_unlike_camunda(scenario: Scenario, starts: tuple[str, ...]) -> None:
    """Camunda refuses these; here a person starts at the none start, the scheduler at its timer's."""
    result = deploy(scenario.engine, [SourceFile("antrag.bpmn", _model(*starts))], actor="scenario")
    assert [p.key for p in result.processes] == ["antrag"]


def test_flowable_refuses_several_none_starts_and_allows_several_timers(scenario: Scenario) -> None:
    flowable = _model(NONE, NONE, task='flowable:assignee="demo"')
    assert ("start1", "Multiple none start events are not supported") in _problems(scenario, flowable)
    result = deploy(scenario.engine, [SourceFile("antrag.bpmn", _model(TIMER, TIMER, task='flowable:assignee="demo"'))],
                    actor="scenario")
    assert [p.key for p in result.processes] == ["antrag"]


def test_one_none_start_beside_message_starts_deploys(scenario: Scenario) -> None:
    message = ('<startEvent id="{id}"><messageEventDefinition messageRef="m"/></startEvent>'
               '<sequenceFlow id="to{id}" sourceRef="{id}" targetRef="pruefen"/>')
    content = _model(NONE, message).replace(b"</definitions>", b'<message id="m" name="Antrag"/></definitions>')
    result = deploy(scenario.engine, [SourceFile("antrag.bpmn", content)], actor="scenario")
    assert [p.key for p in result.processes] == ["antrag"]


def test_formkey_with_formref_is_refused(scenario: Scenario) -> None:
    content = _model(NONE, task='camunda:formKey="embedded:app:forms/a.html" camunda:formRef="a"')
    assert ("pruefen", "Invalid element definition: only one of the attributes formKey and formRef is allowed.") \
        in _problems(scenario, content)




@pytest.mark.parametrize("task", ['camunda:assignee="${currentUser()"', 'camunda:candidateGroups="#{gruppe"',
                                  'camunda:dueDate="${frist} und ${rest"'])
def test_an_expression_never_closed_is_refused(scenario: Scenario, task: str) -> None:
    """BpmnParseTest.testExpressionParsingErrors: read as text, '${currentUser()' became the assignee."""
    problems = _problems(scenario, _model(NONE, task=task))
    assert any(element == "pruefen" and message.startswith("Error parsing '") and "is not closed" in message
               for element, message in problems), problems


def test_closed_expressions_and_escaped_openers_deploy(scenario: Scenario) -> None:
    task = 'camunda:assignee="${antragsteller}" camunda:candidateGroups="a\\${b"'
    result = deploy(scenario.engine, [SourceFile("antrag.bpmn", _model(NONE, task=task))], actor="scenario")
    assert [p.key for p in result.processes] == ["antrag"]


def test_BpmnParseTest_testExpressionParsingErrors(scenario: Scenario) -> None:
    with pytest.raises(DeploymentError) as refused:
        scenario.deploy_camunda("parse/BpmnParseTest.testExpressionParsingErrors.bpmn")
    assert any("Error parsing '${currentUser()'" in p.message for p in refused.value.problems)
