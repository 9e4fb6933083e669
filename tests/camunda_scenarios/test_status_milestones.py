"""Citizen statuses from Camunda models: ``${process.setStatus('...')}`` listeners (no
camunda-mapping.json entry needed) and the ``amtsflow:status`` extension property."""

from __future__ import annotations

import json

from engine.services import queries
from tests.camunda_scenarios.conftest import Scenario
from tests.camunda_scenarios.test_listeners import deploy, model

MODEL = """
<startEvent id="start"><extensionElements>
  <camunda:properties><camunda:property name="amtsflow:status" value="Antrag eingegangen"/></camunda:properties>
</extensionElements></startEvent>
<sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
<userTask id="task" name="Prüfen" camunda:candidateGroups="sachbearbeitung"><extensionElements>
  <camunda:executionListener event="start" expression="${process.setStatus('In Prüfung')}"/>
  <camunda:taskListener event="complete" expression="${process.setStatus(entscheidung == 'ja' ? 'Genehmigt' : 'Abgelehnt')}"/>
</extensionElements></userTask>
<sequenceFlow id="f2" sourceRef="task" targetRef="wait"/>
<userTask id="wait" camunda:candidateGroups="sachbearbeitung"/>"""


def citizen_status(scenario: Scenario, case_id: str) -> str | None:
    return queries.get_case(scenario.engine, case_id)["citizen_status"]


def test_set_status_listener_and_status_property(scenario: Scenario) -> None:
    deploy(scenario, MODEL)
    case = scenario.start("p")
    assert citizen_status(scenario, case) == "In Prüfung"
    scenario.complete(case, "task", {"entscheidung": "nein"})
    assert citizen_status(scenario, case) == "Abgelehnt"
    assert "_amtsflow_status" not in scenario.data(case)


def test_status_property_is_set_when_the_element_is_reached(scenario: Scenario) -> None:
    deploy(scenario, MODEL.replace("${process.setStatus('In Prüfung')}", "${execution.setVariable('x', 1)}"))
    case = scenario.start("p")
    assert citizen_status(scenario, case) == "Antrag eingegangen"


def test_a_javascript_listener_sets_the_status(scenario: Scenario) -> None:
    """DigiWF-style JavaScript listeners: process.setStatus("...") in a camunda:script."""
    deploy(scenario, MODEL.replace(
        '<camunda:executionListener event="start" expression="${process.setStatus(\'In Prüfung\')}"/>',
        '<camunda:executionListener event="start"><camunda:script scriptFormat="javascript">'
        'process.setStatus("In Prüfung seit " + execution.getVariable("eingang"));</camunda:script>'
        '</camunda:executionListener>'))
    case = scenario.start("p", {"eingang": "heute"})
    assert citizen_status(scenario, case) == "In Prüfung seit heute"


def test_a_mapped_process_bean_keeps_set_status(scenario: Scenario) -> None:
    """DigiWF's `process` bean also has setDescription: a process folder maps that method in
    camunda-mapping.json; process.setStatus stays the engine's own in the same script."""
    scenario.connector.answer("beschreiben", None)
    body = MODEL.replace(
        '<camunda:executionListener event="start" expression="${process.setStatus(\'In Prüfung\')}"/>',
        '<camunda:executionListener event="start"><camunda:script scriptFormat="javascript">'
        'process.setDescription("Antrag von " + execution.getVariable("name"));'
        'process.setStatus("In Prüfung");</camunda:script></camunda:executionListener>')
    scenario.deploy_files([], extra={"p.bpmn": model(body, ""),
                                     "camunda-mapping.json": json.dumps(
                                         {"beans": {"process.setDescription": "test.beschreiben"}}).encode()})
    case = scenario.start("p", {"name": "Erika"})
    assert citizen_status(scenario, case) == "In Prüfung", scenario.case(case)
    # (the first start of a definition may run its first step twice, tests/camunda_scenarios/test_js_beans.py)
    assert {json.dumps(c.params) for c in scenario.connector.calls} == {json.dumps({"args": ["Antrag von Erika"]})}
