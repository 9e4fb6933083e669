"""A called process deployed on its own keeps its own camunda-mapping.json when a caller with a
mapping of its own is deployed later (DigiWF keeps building blocks and the processes calling
them in different folders, each with its mapping). Camunda resolves delegate beans application-
wide, so the two mappings apply together; where both name the same Java code, the caller's
entry wins. Before, the caller's mapping replaced the called process's, and the caller was
refused for Java code it does not contain."""

from __future__ import annotations

from engine.runtime.parsing import SourceFile
from engine.services import incidents
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

CALLED = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             targetNamespace="t">
  <process id="baustein" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="versand"/>
    <serviceTask id="versand" camunda:delegateExpression="${%s}"/>
    <sequenceFlow id="f2" sourceRef="versand" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""
CALLER = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             targetNamespace="t">
  <process id="antrag" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="abfrage"/>
    <serviceTask id="abfrage" camunda:delegateExpression="${abfrageDelegate}"/>
    <sequenceFlow id="f2" sourceRef="abfrage" targetRef="aufruf"/>
    <callActivity id="aufruf" calledElement="baustein"/>
    <sequenceFlow id="f3" sourceRef="aufruf" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""


def _deploy_caller(scenario: Scenario) -> None:
    result = deploy(scenario.engine, [SourceFile("antrag/antrag.bpmn", CALLER), SourceFile(
        "antrag/camunda-mapping.json", b'{"delegates": {"abfrageDelegate": "test.lookup"}}')], actor="scenario")
    assert [p.key for p in result.processes] == ["antrag"]


def test_the_called_process_keeps_its_mapping_beside_the_callers(scenario: Scenario) -> None:
    deploy(scenario.engine, [SourceFile("baustein/baustein.bpmn", CALLED % b"sendMailDelegate"), SourceFile(
        "baustein/camunda-mapping.json", b'{"delegates": {"sendMailDelegate": "test.noop"}}')], actor="scenario")
    _deploy_caller(scenario)
    scenario.connector.answer("lookup", {})
    case = scenario.start("antrag", {})
    assert scenario.status(case) == "completed"
    assert len(scenario.connector.calls) == 2      # abfrage (caller's mapping), versand (called's)


def test_java_code_the_called_process_deployed_without_stays_an_incident_when_reached(scenario: Scenario) -> None:
    called = deploy(scenario.engine, [SourceFile("baustein/baustein.bpmn", CALLED % b"depositDelegate")],
                    actor="scenario")
    assert any("depositDelegate" in w.message for w in called.warnings)   # deployed as Camunda deploys it
    _deploy_caller(scenario)
    scenario.connector.answer("lookup", {})
    case = scenario.start("antrag", {})
    [incident] = incidents.list_incidents(scenario.engine, case_id=case)
    assert incident["element_id"] == "versand" and "depositDelegate" in incident["message"], incident["message"]
