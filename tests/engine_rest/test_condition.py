"""POST /engine-rest/condition as Camunda's REST API answers it (runtimeService.createConditionEvaluation
().evaluateStartConditions()): a case starts at every conditional start event whose condition holds over
the variables; the answer lists the started instances. Variables and business key as for a start."""

from __future__ import annotations

import io

from engine.services import queries
from tests.engine_rest.conftest import Server

MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="meldung" isExecutable="true">
    <bpmn:startEvent id="grenzwert">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="amtsflow:formFields" value="pegel"/>
      </camunda:properties></bpmn:extensionElements>
      <bpmn:conditionalEventDefinition>
        <bpmn:condition xsi:type="bpmn:tFormalExpression">${pegel &gt; 500}</bpmn:condition>
      </bpmn:conditionalEventDefinition>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="grenzwert" targetRef="pruefen"/>
    <bpmn:userTask id="pruefen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="pruefen" targetRef="ende"/>
    <bpmn:endEvent id="ende"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_post_condition_starts_the_processes_whose_condition_holds(rest: Server) -> None:
    deployed = rest.client.post("/engine-rest/deployment/create", headers=rest.basic("po"),
                                content_type="multipart/form-data",
                                data={"meldung.bpmn": (io.BytesIO(MODEL), "meldung.bpmn")})
    assert deployed.status_code == 200, deployed.get_data(as_text=True)
    url = "/engine-rest/condition"
    assert rest.client.post(url, json={}).status_code == 401
    low = rest.client.post(url, headers=rest.basic("sb1"), json={"variables": {"pegel": {"value": 80, "type": "Integer"}}})
    assert low.status_code == 200 and low.get_json() == []
    high = rest.client.post(url, headers=rest.basic("sb1"),
                            json={"variables": {"pegel": {"value": 620, "type": "Integer"}}})
    assert high.status_code == 200, high.get_data(as_text=True)
    [instance] = high.get_json()
    case = queries.get_case(rest.engine, instance["id"])
    assert case["process_key"] == "meldung" and case["data"]["pegel"] == 620
    assert [t["element_id"] for t in case["open_tasks"]] == ["pruefen"]

    undeclared = rest.client.post(url, headers=rest.basic("sb1"), json={"variables": {
        "pegel": {"value": 620, "type": "Integer"}, "status": {"value": "frei", "type": "String"}}})
    assert undeclared.status_code == 400                                  # as a start: only declared fields
    keyed = rest.client.post(url, headers=rest.bearer(), json={"businessKey": "AZ-1", "variables": {}})
    assert keyed.status_code == 403                                       # a token without the scope business_key
    assert rest.client.post(url, headers=rest.basic("sb1"), json={"businessKey": 5}).status_code == 400
    missing = rest.client.post(url, headers=rest.basic("sb1"), json={"processDefinitionId": "nonExistingId"})
    assert missing.status_code == 404
    assert rest.client.post(url, headers=rest.basic("sb1"), json={"tenantId": "beispieldorf"}).status_code == 403
    assert rest.client.post(url, headers=rest.basic("sb1"), json={"withoutTenantId": True}).status_code == 400
