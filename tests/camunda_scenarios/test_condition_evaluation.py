"""Starting the processes whose conditional start event holds for given variables: Camunda 7's
``runtimeService.createConditionEvaluation()...evaluateStartConditions()`` (ConditionalStartEventTest's
evaluation cases, with models of our own): engine.services.condition_starts. Before there was
no counterpart. SQLite and PostgreSQL, the case cache off."""

from __future__ import annotations

import pytest

from engine.domain.errors import InvalidState, NotFound
from engine.runtime.parsing import SourceFile
from engine.services import queries
from engine.services.condition_starts import evaluate_start_conditions
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
"""


def _start(element_id: str, condition: str, attrs: str = "") -> str:
    return (f'<bpmn:startEvent id="{element_id}"><bpmn:conditionalEventDefinition{attrs}>'
            f'<bpmn:condition xsi:type="bpmn:tFormalExpression">{condition}</bpmn:condition>'
            '</bpmn:conditionalEventDefinition></bpmn:startEvent>')


def _process(key: str, starts: list[tuple[str, str, str]], *, none_start: bool = False) -> bytes:
    body = "".join(_start(i, c, a) for i, c, a in starts)
    for index, (element_id, _c, _a) in enumerate(starts):
        body += (f'<bpmn:sequenceFlow id="f{index}" sourceRef="{element_id}" targetRef="task_{element_id}"/>'
                 f'<bpmn:userTask id="task_{element_id}"/>'
                 f'<bpmn:sequenceFlow id="g{index}" sourceRef="task_{element_id}" targetRef="end{index}"/>'
                 f'<bpmn:endEvent id="end{index}"/>')
    if none_start:
        body += ('<bpmn:startEvent id="plain"/><bpmn:sequenceFlow id="p1" sourceRef="plain" targetRef="task_plain"/>'
                 '<bpmn:userTask id="task_plain"/><bpmn:sequenceFlow id="p2" sourceRef="task_plain" targetRef="pe"/>'
                 '<bpmn:endEvent id="pe"/>')
    return (HEAD + f'<bpmn:process id="{key}" isExecutable="true">{body}</bpmn:process></bpmn:definitions>').encode()


SINGLE = _process("conditionalEventProcess", [("StartEvent_1", "${foo == 1}", "")])
SINGLE_V2 = _process("conditionalEventProcess", [("StartEvent_1", "${foo > 1}", "")])
TRUE = _process("trueConditionProcess", [("StartEvent_1", "${true}", "")])
MULTIPLE = _process("multipleConditions", [("StartEvent_1", "${foo > 0}", ""), ("StartEvent_2", "${foo == 0}", ""),
                                           ("StartEvent_3", "${bar == true}", "")])
VARIABLE_NAME = _process("variableNameProcess", [("StartEvent_1", "${true}", ' camunda:variableName="foo"')])
WITH_NONE_START = _process("mitNormalstart", [("bedingt", "${foo == 1}", "")], none_start=True)
NO_CONDITION = (HEAD + '<bpmn:process id="oneTaskProcess" isExecutable="true"><bpmn:startEvent id="s"/>'
                '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/><bpmn:userTask id="t"/>'
                '<bpmn:sequenceFlow id="g" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>'
                '</bpmn:process></bpmn:definitions>').encode()


def _deploy(scenario: Scenario, *models: bytes) -> list[str]:
    result = deploy(scenario.engine, [SourceFile(f"m{i}.bpmn", m) for i, m in enumerate(models)], actor="scenario")
    return [p.definition_id for p in result.processes]


def _evaluate(scenario: Scenario, variables: dict[str, object] | None = None, **kw: object) -> list[str]:
    found = evaluate_start_conditions(scenario.engine, variables, internal=True, **kw)  # type: ignore[arg-type]
    scenario.run_jobs()
    return found


def _keys(scenario: Scenario, case_ids: list[str]) -> list[str]:
    return sorted(str(queries.get_case(scenario.engine, c)["process_key"]) for c in case_ids)


def test_ConditionalStartEventTest_testStartInstanceWithTrueConditionalStartEvent(scenario: Scenario) -> None:
    _deploy(scenario, TRUE)
    started = _evaluate(scenario)
    assert _keys(scenario, started) == ["trueConditionProcess"]
    assert scenario.waits_at(started[0]) == ["task_StartEvent_1"]


def test_ConditionalStartEventTest_testStartInstanceWithVariableCondition(scenario: Scenario) -> None:
    _deploy(scenario, SINGLE)
    [case] = _evaluate(scenario, {"foo": 1})
    assert scenario.data(case)["foo"] == 1
    assert scenario.waits_at(case) == ["task_StartEvent_1"]


def test_ConditionalStartEventTest_testStartInstanceWithoutResult(scenario: Scenario) -> None:
    _deploy(scenario, SINGLE)
    assert _evaluate(scenario, {"foo": 0}) == []


def test_ConditionalStartEventTest_testStartInstanceWithMultipleConditions(scenario: Scenario) -> None:
    """One case per start event whose condition holds, each begun at its start event."""
    _deploy(scenario, MULTIPLE)
    started = _evaluate(scenario, {"foo": 1, "bar": True})
    assert _keys(scenario, started) == ["multipleConditions", "multipleConditions"]
    assert sorted(scenario.waits_at(c)[0] for c in started) == ["task_StartEvent_1", "task_StartEvent_3"]
    assert all(len(scenario.waits_at(c)) == 1 for c in started)


def test_ConditionalStartEventTest_testStartInstanceWithMultipleSubscriptions(scenario: Scenario) -> None:
    _deploy(scenario, SINGLE, MULTIPLE, TRUE)
    assert len(_evaluate(scenario, {"foo": 1, "bar": True})) == 4


def test_ConditionalStartEventTest_testStartInstanceWithMultipleSubscriptionsWithoutProvidingAllVariables(
        scenario: Scenario) -> None:
    _deploy(scenario, SINGLE, MULTIPLE, TRUE)
    assert len(_evaluate(scenario, {"foo": 1})) == 3   # ${bar == true} over no bar: does not hold, no error


def test_ConditionalStartEventTest_testStartInstanceWithBusinessKey(scenario: Scenario) -> None:
    _deploy(scenario, SINGLE, MULTIPLE)
    started = _evaluate(scenario, {"foo": 1}, business_key="humuhumunukunukuapua")
    assert len(started) == 2
    assert {queries.get_case(scenario.engine, c)["business_key"] for c in started} == {"humuhumunukunukuapua"}


def test_a_business_key_for_two_cases_of_one_process_is_refused(scenario: Scenario) -> None:
    _deploy(scenario, MULTIPLE)
    with pytest.raises(InvalidState) as refused:
        _evaluate(scenario, {"foo": 1, "bar": True}, business_key="AZ-7")
    assert "Aktenzeichen" in refused.value.user_message
    assert _evaluate(scenario, {"foo": 1, "bar": True}) != []   # nothing had started


def test_ConditionalStartEventTest_testStartInstanceByProcessDefinitionId(scenario: Scenario) -> None:
    _deploy(scenario, SINGLE, TRUE)
    started = _evaluate(scenario, {"foo": 1}, process_key="trueConditionProcess")
    assert _keys(scenario, started) == ["trueConditionProcess"]


def test_ConditionalStartEventTest_testStartInstanceByProcessDefinitionFirstVersion(scenario: Scenario) -> None:
    [first] = _deploy(scenario, SINGLE)
    _deploy(scenario, SINGLE_V2)
    assert _evaluate(scenario, {"foo": 1}, process_key="conditionalEventProcess") == []   # the latest: foo > 1
    [case] = _evaluate(scenario, {"foo": 1}, definition_id=first)
    assert queries.get_case(scenario.engine, case)["version"] == 1


def test_ConditionalStartEventTest_testStartInstanceByNonExistingProcessDefinitionId(scenario: Scenario) -> None:
    _deploy(scenario, SINGLE, TRUE)
    with pytest.raises(NotFound):
        _evaluate(scenario, {"foo": 1}, definition_id="nonExistingId")
    with pytest.raises(NotFound):
        _evaluate(scenario, {"foo": 1}, process_key="nonExisting")


def test_ConditionalStartEventTest_testStartInstanceByProcessDefinitionIdWithoutCondition(scenario: Scenario) -> None:
    _deploy(scenario, NO_CONDITION)
    with pytest.raises(InvalidState) as refused:
        _evaluate(scenario, process_key="oneTaskProcess")
    assert "kein bedingtes Startereignis" in refused.value.user_message
    assert _evaluate(scenario) == []   # without a restriction it is simply not looked at


def test_ConditionalStartEventTest_testStartInstanceWithVariableName(scenario: Scenario) -> None:
    _deploy(scenario, VARIABLE_NAME)
    assert len(_evaluate(scenario, {"foo": True})) == 1


def test_ConditionalStartEventTest_testStartInstanceWithVariableNameNotFullfilled(scenario: Scenario) -> None:
    _deploy(scenario, VARIABLE_NAME)
    assert _evaluate(scenario) == []


def test_a_process_with_a_none_start_begins_at_the_start_event_whose_condition_held(scenario: Scenario) -> None:
    _deploy(scenario, WITH_NONE_START)
    [case] = _evaluate(scenario, {"foo": 1})
    assert scenario.waits_at(case) == ["task_bedingt"]
    direct = scenario.start("mitNormalstart")            # a direct start still begins at the none start event
    assert scenario.waits_at(direct) == ["task_plain"]


def test_a_person_s_variables_are_checked_as_a_start_s(scenario: Scenario) -> None:
    """Not the embedding program: only a start form's fields (here none) may be given."""
    from engine.domain.errors import FormValidationError

    _deploy(scenario, SINGLE)
    with pytest.raises(FormValidationError):
        evaluate_start_conditions(scenario.engine, {"foo": 1}, actor="sachbearbeitung")
