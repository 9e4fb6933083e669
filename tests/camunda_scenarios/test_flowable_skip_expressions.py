"""Flowable's skip expressions (flowable:skipExpression / activiti:skipExpression), with models of
our own written after Flowable's tests (SkipExpressionUserTaskTest, ServiceTaskDelegateExpressionTest.
testDelegateExpressionWithSkipExpression, EmailServiceTaskTest.testSkipExpression*, ExclusiveGatewayTest.
testSkipExpression, InclusiveGatewayTest.testSkipExpression, ConditionalSequenceFlowTest.testSkipExpression).
SQLite and PostgreSQL, case cache off: every wait is a save/restore."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.domain.errors import DeploymentError
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:{ns}="{uri}" targetNamespace="Examples">\n')
FLOWABLE, ACTIVITI = ("flowable", "http://flowable.org/bpmn"), ("activiti", "http://activiti.org/bpmn")

ACTIVITIES = """
  <process id="skipActivities">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="service"/>
    <serviceTask id="service" flowable:class="de.musterstadt.Pruefung" flowable:skipExpression="${skipService}"/>
    <sequenceFlow id="f2" sourceRef="service" targetRef="script"/>
    <scriptTask id="script" scriptFormat="javascript" flowable:skipExpression="${skipScript}">
      <script>execution.setVariable('scripted', true);</script>
    </scriptTask>
    <sequenceFlow id="f3" sourceRef="script" targetRef="review"/>
    <userTask id="review" name="Pruefen" flowable:candidateGroups="sachbearbeitung"
              flowable:skipExpression="${skipReview}">
      <extensionElements>
        <flowable:executionListener event="start" expression="${execution.setVariable('reviewStarted', true)}"/>
        <flowable:executionListener event="end" expression="${execution.setVariable('reviewEnded', true)}"/>
        <flowable:taskListener event="create" expression="${execution.setVariable('reviewCreated', true)}"/>
        <flowable:taskListener event="complete" expression="${execution.setVariable('reviewCompleted', true)}"/>
      </extensionElements>
    </userTask>
    <sequenceFlow id="f4" sourceRef="review" targetRef="after"/>
    <userTask id="after" name="Danach"/>
    <sequenceFlow id="f5" sourceRef="after" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""
MAPPING = {"delegates": {"de.musterstadt.Pruefung": "test.noop"}}


def _deploy(scenario: Scenario, body: str, *, dialect: tuple[str, str] = FLOWABLE, name: str = "skip.bpmn20.xml",
            mapping: dict[str, Any] | None = None) -> Any:
    xml = HEAD.format(ns=dialect[0], uri=dialect[1]) + body.replace("flowable:", f"{dialect[0]}:")
    files = [SourceFile(name, xml.encode())]
    if mapping is not None:
        files.append(SourceFile("camunda-mapping.json", json.dumps(mapping).encode()))
    return deploy(scenario.engine, files, actor="scenario")


def _start_activities(scenario: Scenario, dialect: tuple[str, str], **variables: Any) -> str:
    _deploy(scenario, ACTIVITIES, dialect=dialect, mapping=MAPPING)
    return scenario.start("skipActivities", variables)


@pytest.mark.parametrize("dialect", [FLOWABLE, ACTIVITI], ids=["flowable", "activiti"])
@pytest.mark.parametrize("switch", ["_FLOWABLE_SKIP_EXPRESSION_ENABLED", "_ACTIVITI_SKIP_EXPRESSION_ENABLED"])
def test_skipped_activities_do_not_run_and_the_flow_goes_on(scenario: Scenario, dialect: tuple[str, str],
                                                            switch: str) -> None:
    """Skipping on and every skip expression true: no connector call, no script, no work item and no
    task listeners; the user task's execution listeners run (Flowable's agenda runs them)."""
    case = _start_activities(scenario, dialect, **{switch: True}, skipService=True, skipScript=True, skipReview=True)
    assert scenario.connector.calls == []
    assert scenario.waits_at(case) == ["after"]
    data = scenario.data(case)
    assert "scripted" not in data and "reviewCreated" not in data and "reviewCompleted" not in data
    assert data["reviewStarted"] is True and data["reviewEnded"] is True
    scenario.complete(case, "after")
    assert scenario.status(case) == "completed"


def test_activities_whose_skip_expression_is_false_run(scenario: Scenario) -> None:
    case = _start_activities(scenario, FLOWABLE, _FLOWABLE_SKIP_EXPRESSION_ENABLED=True, skipService=False,
                             skipScript=False, skipReview=False)
    assert len(scenario.connector.calls) == 1
    assert scenario.waits_at(case) == ["review"]
    assert scenario.data(case)["scripted"] is True and scenario.data(case)["reviewCreated"] is True
    scenario.complete(case, "review")
    assert scenario.data(case)["reviewCompleted"] is True
    assert scenario.waits_at(case) == ["after"]


def test_each_activity_decides_for_itself(scenario: Scenario) -> None:
    """SkipExpressionUserTaskTest.testSkipMultipleTasks: some skipped, the others run."""
    case = _start_activities(scenario, FLOWABLE, _FLOWABLE_SKIP_EXPRESSION_ENABLED=True, skipService=True,
                             skipScript=False, skipReview=True)
    assert scenario.connector.calls == [] and scenario.data(case)["scripted"] is True
    assert scenario.waits_at(case) == ["after"]


@pytest.mark.parametrize("switches", [{}, {"_FLOWABLE_SKIP_EXPRESSION_ENABLED": False},
                                      {"_ACTIVITI_SKIP_EXPRESSION_ENABLED": False,
                                       "_FLOWABLE_SKIP_EXPRESSION_ENABLED": True},
                                      {"_ACTIVITI_SKIP_EXPRESSION_ENABLED": "ja"}])
def test_without_skipping_switched_on_nothing_is_skipped(scenario: Scenario, switches: dict[str, Any]) -> None:
    """Not switched on (unset, false, an Activiti flag false wins, an Activiti flag that is no boolean
    is passed over): the skip expressions are not even evaluated."""
    _deploy(scenario, ACTIVITIES, mapping=MAPPING)
    case = scenario.start("skipActivities", {**switches, "skipService": True, "skipScript": True})   # no skipReview
    assert len(scenario.connector.calls) == 1 and scenario.data(case)["scripted"] is True
    assert scenario.waits_at(case) == ["review"]


@pytest.mark.parametrize(("variables", "message"), [
    ({"_FLOWABLE_SKIP_EXPRESSION_ENABLED": "true", "skipService": True},
     "_FLOWABLE_SKIP_EXPRESSION_ENABLED must be true or false"),
    ({"_FLOWABLE_SKIP_EXPRESSION_ENABLED": True, "skipService": "yes"}, "a skip expression must give true or false"),
])
def test_a_switch_or_skip_value_that_is_no_boolean_fails_the_step(scenario: Scenario, variables: dict[str, Any],
                                                                  message: str) -> None:
    case = _start_activities(scenario, FLOWABLE, **variables)
    view = scenario.case(case)
    assert view["status"] == "failed"
    assert message in view["incidents"][0]["message"] and view["incidents"][0]["message"].startswith("service")
    assert scenario.connector.calls == []


MAIL = """
  <process id="mailSkip">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="sendMail"/>
    <serviceTask id="sendMail" flowable:type="mail" flowable:skipExpression="${skip}">
      <extensionElements>
        <flowable:field name="to"><flowable:string>erika@musterstadt.example</flowable:string></flowable:field>
        <flowable:field name="subject"><flowable:string>Bescheid</flowable:string></flowable:field>
        <flowable:field name="text"><flowable:string>Ihr Antrag ist bewilligt.</flowable:string></flowable:field>
      </extensionElements>
    </serviceTask>
    <sequenceFlow id="f2" sourceRef="sendMail" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""


@pytest.mark.parametrize(("enabled", "skip", "sent"), [(True, True, 0), (False, True, 1), (True, False, 1)])
def test_a_skipped_mail_task_sends_nothing(scenario: Scenario, enabled: bool, skip: bool, sent: int) -> None:
    """EmailServiceTaskTest.testSkipExpression, ...EnabledFalse, ...SkipFalse."""
    from tests.fakes import FakeConnector
    from engine.ports import ServiceResult

    mail = FakeConnector()
    mail.name = "mail"
    mail.behaviour = {"send_text": lambda r: ServiceResult({"message_id": "<1@x>", "refused": []})}
    scenario.engine.connectors["mail"] = mail
    _deploy(scenario, MAIL)
    case = scenario.start("mailSkip", {"_FLOWABLE_SKIP_EXPRESSION_ENABLED": enabled, "skip": skip})
    assert len(mail.calls) == sent
    assert scenario.status(case) == "completed"


EXCLUSIVE = """
  <process id="exclusiveSkip">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>
    <exclusiveGateway id="gw"/>
    <sequenceFlow id="to1" sourceRef="gw" targetRef="task1" activiti:skipExpression="${input == -1}">
      <conditionExpression xsi:type="tFormalExpression">${input == 1}</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="to2" sourceRef="gw" targetRef="task2" activiti:skipExpression="${input == -2}">
      <conditionExpression xsi:type="tFormalExpression">${input == 2}</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="to3" sourceRef="gw" targetRef="task3">
      <conditionExpression xsi:type="tFormalExpression">${input == 3 || input == -3}</conditionExpression>
    </sequenceFlow>
    <userTask id="task1"/>
    <userTask id="task2"/>
    <userTask id="task3"/>
  </process>
</definitions>
"""


@pytest.mark.parametrize(("enabled", "value", "waits"), [
    (True, -1, ["task1"]), (True, -2, ["task2"]), (True, -3, ["task3"]),   # the skip expression decides
    (True, 1, []),           # the skip expression replaces the condition: input == 1 no longer counts
    (False, 2, ["task2"]), (False, -1, []),
])
def test_a_flow_skip_expression_replaces_its_condition_at_an_exclusive_gateway(
        scenario: Scenario, enabled: bool, value: int, waits: list[str]) -> None:
    """ExclusiveGatewayTest.testSkipExpression; no flow: the gateway fails as in Flowable."""
    _deploy(scenario, EXCLUSIVE, dialect=ACTIVITI)
    case = scenario.start("exclusiveSkip", {"_ACTIVITI_SKIP_EXPRESSION_ENABLED": enabled, "input": value})
    if waits:
        assert scenario.waits_at(case) == waits
    else:
        assert scenario.status(case) == "failed"


INCLUSIVE = """
  <process id="inclusiveSkip">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
    <inclusiveGateway id="fork" default="toJoin"/>
    <sequenceFlow id="toA" sourceRef="fork" targetRef="a" flowable:skipExpression="${input == 10}">
      <conditionExpression xsi:type="tFormalExpression">${input == 1}</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="toB" sourceRef="fork" targetRef="b" flowable:skipExpression="${input >= 20}">
      <conditionExpression xsi:type="tFormalExpression">${input >= 2}</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="toC" sourceRef="fork" targetRef="c" flowable:skipExpression="${input == 30}">
      <conditionExpression xsi:type="tFormalExpression">${input == 3}</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="toJoin" sourceRef="fork" targetRef="join"/>
    <userTask id="a"/>
    <sequenceFlow id="aj" sourceRef="a" targetRef="join"/>
    <userTask id="b"/>
    <sequenceFlow id="bj" sourceRef="b" targetRef="join"/>
    <userTask id="c"/>
    <sequenceFlow id="cj" sourceRef="c" targetRef="join"/>
    <inclusiveGateway id="join"/>
    <sequenceFlow id="f9" sourceRef="join" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""


def test_flow_skip_expressions_at_an_inclusive_gateway(scenario: Scenario) -> None:
    """InclusiveGatewayTest.testSkipExpression: 10 -> a; 30 -> b and c; 3 -> no skip expression
    holds, the conditions do not count: the default flow, the case ends."""
    _deploy(scenario, INCLUSIVE)
    on = {"_FLOWABLE_SKIP_EXPRESSION_ENABLED": True}
    case = scenario.start("inclusiveSkip", {**on, "input": 10})
    assert scenario.waits_at(case) == ["a"]
    scenario.complete(case, "a")
    assert scenario.status(case) == "completed"
    case = scenario.start("inclusiveSkip", {**on, "input": 30})
    assert scenario.waits_at(case) == ["b", "c"]
    scenario.complete(case, "b")
    assert scenario.waits_at(case) == ["c"]
    scenario.complete(case, "c")
    assert scenario.status(case) == "completed"
    assert scenario.status(scenario.start("inclusiveSkip", {**on, "input": 3})) == "completed"
    assert scenario.waits_at(scenario.start("inclusiveSkip", {"input": 3})) == ["b", "c"]   # off: conditions


CONDITIONAL = """
  <process id="conditionalSkip">
    <startEvent id="start"/>
    <sequenceFlow id="left" sourceRef="start" targetRef="taskLeft" activiti:skipExpression="${skipLeft}">
      <conditionExpression xsi:type="tFormalExpression"><![CDATA[${input == 'left'}]]></conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="right" sourceRef="start" targetRef="taskRight" activiti:skipExpression="${skipRight}">
      <conditionExpression xsi:type="tFormalExpression"><![CDATA[${input == 'right'}]]></conditionExpression>
    </sequenceFlow>
    <userTask id="taskLeft"/>
    <userTask id="taskRight"/>
  </process>
</definitions>
"""


def test_flow_skip_expressions_on_conditional_flows_without_a_gateway(scenario: Scenario) -> None:
    """ConditionalSequenceFlowTest.testSkipExpression: right by its condition, left by its skip expression."""
    _deploy(scenario, CONDITIONAL, dialect=ACTIVITI)
    variables = {"input": "right", "skipLeft": True, "skipRight": False}
    case = scenario.start("conditionalSkip", {**variables, "_ACTIVITI_SKIP_EXPRESSION_ENABLED": True})
    assert scenario.waits_at(case) == ["taskLeft"]
    assert scenario.waits_at(scenario.start("conditionalSkip", variables)) == ["taskRight"]


def test_the_only_flow_of_an_activity_is_taken_whatever_its_skip_expression(scenario: Scenario) -> None:
    body = ACTIVITIES.replace('<sequenceFlow id="f4" sourceRef="review" targetRef="after"/>',
                              '<sequenceFlow id="f4" sourceRef="review" targetRef="after" '
                              'flowable:skipExpression="${false}"/>')
    _deploy(scenario, body, mapping=MAPPING)
    case = scenario.start("skipActivities", {"_FLOWABLE_SKIP_EXPRESSION_ENABLED": True, "skipService": True,
                                             "skipScript": True, "skipReview": True})
    assert scenario.waits_at(case) == ["after"]


REFUSED = """
  <process id="refusedSkips">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
    <parallelGateway id="fork"/>
    <sequenceFlow id="parallelFlow" sourceRef="fork" targetRef="wait" flowable:skipExpression="${skip}"/>
    <sequenceFlow id="f2" sourceRef="fork" targetRef="choose"/>
    <receiveTask id="wait" flowable:skipExpression="${skip}"/>
    <exclusiveGateway id="choose" default="otherwise"/>
    <sequenceFlow id="otherwise" sourceRef="choose" targetRef="plain" flowable:skipExpression="${skip}"/>
    <sequenceFlow id="f3" sourceRef="choose" targetRef="plain">
      <conditionExpression xsi:type="tFormalExpression">${x == 1}</conditionExpression>
    </sequenceFlow>
    <userTask id="plain" flowable:skipExpression="true"/>
    <sequenceFlow id="f4" sourceRef="plain" targetRef="send"/>
    <sendTask id="send" flowable:class="de.musterstadt.Pruefung" flowable:skipExpression="${skip}"/>
  </process>
</definitions>
"""


def test_skip_expressions_that_cannot_run_as_in_flowable_are_refused_at_deploy(scenario: Scenario) -> None:
    with pytest.raises(DeploymentError) as err:
        _deploy(scenario, REFUSED, name="refused.bpmn20.xml", mapping=MAPPING)
    found = {(p.element_id, p.file, p.line > 0) for p in err.value.problems if "skipExpression" in p.message}
    assert found == {(i, "refused.bpmn20.xml", True) for i in ("parallelFlow", "wait", "otherwise", "plain")}
    lines = [str(p) for p in err.value.problems]
    assert any("parallelGateway" in line for line in lines) and any("default flow" in line for line in lines)


def test_a_skip_expression_flowable_ignores_is_ignored_with_a_warning(scenario: Scenario) -> None:
    body = REFUSED.replace(' flowable:skipExpression="${skip}"/>\n    <sequenceFlow id="f2"', '/>\n    <sequenceFlow id="f2"') \
        .replace('<receiveTask id="wait" flowable:skipExpression="${skip}"/>', '<receiveTask id="wait"/>') \
        .replace('targetRef="plain" flowable:skipExpression="${skip}"', 'targetRef="plain"') \
        .replace('<userTask id="plain" flowable:skipExpression="true"/>', '<userTask id="plain"/>')
    result = _deploy(scenario, body, mapping=MAPPING)
    assert [(w.element_id, "ignored" in w.message) for w in result.warnings if "skipExpression" in w.message] \
        == [("send", True)]
