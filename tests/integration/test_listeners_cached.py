"""Listeners, JavaScript and execution facts with the case cache on (the default): the live
workflow kept between commands must behave like one loaded from the database."""

from __future__ import annotations

from engine.runtime.parsing import SourceFile
from engine.services import cases, queries
from engine.services.deploy import deploy

MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    targetNamespace="t"><process id="p" isExecutable="true">
  <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
  <userTask id="a"><extensionElements>
    <camunda:taskListener event="create"><camunda:script scriptFormat="javascript">
      execution.setVariable('az', execution.processBusinessKey + '/' + execution.processInstanceId.length);
    </camunda:script></camunda:taskListener>
    <camunda:taskListener event="complete" expression="${execution.setVariable('von', authenticatedUserId)}"/>
  </extensionElements></userTask>
  <sequenceFlow id="f2" sourceRef="a" targetRef="b"/>
  <scriptTask id="b" scriptFormat="javascript" camunda:resultVariable="summe"><script>anzahl * 2</script></scriptTask>
  <sequenceFlow id="f3" sourceRef="b" targetRef="c"/><userTask id="c"/>
  <sequenceFlow id="f4" sourceRef="c" targetRef="e"/><endEvent id="e"/></process></definitions>"""


def test_listeners_and_scripts_with_the_case_cache(engine) -> None:
    assert engine.settings.case_cache_size > 0
    deploy(engine, [SourceFile("p.bpmn", MODEL)], actor="test")
    case = cases.start_case(engine, "p", {"anzahl": 21}, business_key="AZ-9", internal=True)
    assert queries.get_case(engine, case)["data"]["az"] == "AZ-9/36"      # a UUID is 36 characters
    [task] = queries.get_case(engine, case)["open_tasks"]
    cases.complete_task(engine, task["id"], {}, actor="sb1")
    data = queries.get_case(engine, case)["data"]
    assert data["von"] == "sb1" and data["summe"] == 42
