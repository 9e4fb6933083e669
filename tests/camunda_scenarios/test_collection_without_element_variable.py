"""A multi-instance collection without an element variable (Flowable's
MultiInstanceTest.testParallelEmptyCollection / testParalellEmptyCollectionWithNonEmptyCollection,
testSequentialEmptyCollection): one instance per item, none told which, the collection unchanged;
an empty collection skips the activity. Before, SpiffWorkflow's Camunda multi-instance read the
element variable's name and every such case failed (AttributeError), whatever the collection held.
A collection that is not set fails the case with the same words in parallel as in sequence
(before: a TypeError from the library)."""

from __future__ import annotations

import pytest

from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="akte" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="pruefen"/>
    <userTask id="pruefen" {dialect}:assignee="pruefer">
      <multiInstanceLoopCharacteristics isSequential="{sequential}" {dialect}:collection="{collection}"/>
    </userTask>
    <sequenceFlow id="f2" sourceRef="pruefen" targetRef="abschluss"/>
    <userTask id="abschluss"/>
    <sequenceFlow id="f3" sourceRef="abschluss" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""

DIALECTS = [("flowable", "antraege"), ("camunda", "${antraege}")]


def _deploy(scenario: Scenario, dialect: str, collection: str, sequential: bool) -> None:
    xml = (MODEL.replace("{dialect}", dialect).replace("{collection}", collection)
           .replace("{sequential}", str(sequential).lower()))
    deploy(scenario.engine, [SourceFile("akte.bpmn20.xml", xml.encode())], actor="scenario")


@pytest.mark.parametrize("sequential", [False, True])
@pytest.mark.parametrize(("dialect", "collection"), DIALECTS)
def test_one_instance_per_item(scenario: Scenario, dialect: str, collection: str, sequential: bool) -> None:
    _deploy(scenario, dialect, collection, sequential)
    case = scenario.start("akte", {"antraege": ["A-1", "A-2"]})
    for left in (2, 1):
        tasks = [t for t in scenario.tasks(case) if t["element_id"] == "pruefen"]
        assert len(tasks) == (1 if sequential else left)
        assert tasks[0]["assignee"] == "pruefer"
        scenario.complete_task(tasks[0]["id"], {"geprueft": True})
    assert scenario.waits_at(case) == ["abschluss"]
    data = scenario.data(case)
    assert data["antraege"] == ["A-1", "A-2"] and data["geprueft"] is True
    scenario.complete(case, "abschluss")
    assert scenario.status(case) == "completed"


@pytest.mark.parametrize("sequential", [False, True])
@pytest.mark.parametrize(("dialect", "collection"), DIALECTS)
def test_an_empty_collection_skips_the_activity(scenario: Scenario, dialect: str, collection: str,
                                                 sequential: bool) -> None:
    _deploy(scenario, dialect, collection, sequential)
    case = scenario.start("akte", {"antraege": []})
    assert scenario.waits_at(case) == ["abschluss"]


@pytest.mark.parametrize("sequential", [False, True])
def test_a_collection_not_set_fails_alike(scenario: Scenario, sequential: bool) -> None:
    _deploy(scenario, "flowable", "antraege", sequential)
    case = scenario.start("akte", {})
    view = scenario.case(case)
    assert view["status"] == "failed"
    assert [i["message"] for i in view["incidents"]] == ["pruefen: Missing data input for multiinstance task. "]


@pytest.mark.parametrize("value", [None, 5])
def test_a_collection_that_is_no_collection_fails_alike(scenario: Scenario, value: object) -> None:
    """null (an in-mapping of a variable the caller lacks) or a number: the parallel loop failed
    with a TypeError from the library, the sequential one said what was wrong."""
    for sequential in (False, True):   # the second deployment is the newer version, which starts
        _deploy(scenario, "flowable", "antraege", sequential)
        case = scenario.start("akte", {"antraege": value})
        view = scenario.case(case)
        assert view["status"] == "failed"
        assert [i["message"] for i in view["incidents"]] == ["pruefen: Multiinstance data input must be iterable. "]
