"""A user task the model gives to nobody (no lane, no candidates, no assignee): deploy warns and
the task goes to the process's default group (service.toml standardgruppe) or to the process
owners; SQLite and PostgreSQL."""

from __future__ import annotations

from engine.runtime.task_owners import OWNERS_GROUP
from engine.services import cases, queries
from engine.services.deploy import SourceFile, deploy

SPIFF = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:collaboration id="c"><bpmn:participant id="pa" processRef="ohne_lane"/></bpmn:collaboration>
  <bpmn:process id="ohne_lane" name="Ohne Lane" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="sachbearbeitung"><bpmn:flowNodeRef>erfassen</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="erfassen" name="Erfassen"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="vergessen" name="Nachprüfen"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="erfassen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="erfassen" targetRef="vergessen"/>
    <bpmn:sequenceFlow id="f3" sourceRef="vergessen" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""

CAMUNDA = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    targetNamespace="t">
  <process id="cam" isExecutable="true">
    <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="niemand"/>
    <userTask id="niemand" name="Ohne Zuständigkeit"/>
    <sequenceFlow id="f2" sourceRef="niemand" targetRef="benannt"/>
    <userTask id="benannt" name="Vom Listener benannt"><extensionElements>
      <camunda:taskListener event="create" expression="${task.addCandidateGroup('kasse')}"/>
    </extensionElements></userTask>
    <sequenceFlow id="f3" sourceRef="benannt" targetRef="end"/><endEvent id="end"/>
  </process>
</definitions>
"""


def _open_groups(engine, case_id: str) -> list[str]:
    [task] = queries.list_tasks(engine, case_id=case_id)
    return task["candidate_groups"]


def test_task_outside_every_lane_goes_to_the_default_group_with_a_warning(engine) -> None:
    toml = b'key = "ohne_lane"\nname = "Ohne Lane"\nstandardgruppe = "kasse"\n'
    result = deploy(engine, [SourceFile("m/ohne_lane.bpmn", SPIFF.encode()), SourceFile("m/service.toml", toml)])
    [warning] = result.warnings
    assert (warning.file, warning.element_id) == ("m/ohne_lane.bpmn", "vergessen") and warning.line == 11
    assert "default group 'kasse'" in warning.message
    case_id = cases.start_case(engine, "ohne_lane", {}, actor="sb1")
    assert _open_groups(engine, case_id) == ["sachbearbeitung"]        # the lane still counts
    [task] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, task["id"], {}, actor="sb1")
    assert _open_groups(engine, case_id) == ["kasse"]
    assert [t["element_id"] for t in queries.list_tasks(engine, groups=["kasse"])] == ["vergessen"]


def test_without_a_default_group_the_process_owners_get_it(engine) -> None:
    result = deploy(engine, [SourceFile("cam.bpmn", CAMUNDA.encode())])
    assert [w.element_id for w in result.warnings if "no lane" in w.message] == ["niemand"]
    assert OWNERS_GROUP in result.warnings[0].message
    case_id = cases.start_case(engine, "cam", {}, actor="sb1")
    assert _open_groups(engine, case_id) == [OWNERS_GROUP]
    [task] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, task["id"], {}, actor="po")
    assert _open_groups(engine, case_id) == ["kasse"]                  # named by its create listener
