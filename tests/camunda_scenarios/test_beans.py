"""Spring beans mapped to connector operations in camunda-mapping.json, called synchronously
wherever an expression is evaluated (engine.runtime.beans), with the model of
tests/models/camunda/beans/: an input parameter text template, an output parameter, a
camunda:in sourceExpression and a sequence-flow condition. Camunda calls Spring beans
synchronously in the step; so does the engine, with the call's arguments as {"args": [...]}."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from engine.domain.errors import DeploymentError, WorkflowFailure
from engine.ports import ServiceRequest, ServiceResult
from tests.camunda_scenarios.conftest import Scenario

HANGS = 60.0   # seconds a bean call that does not answer hangs (the test releases it at its end)

FOLDER = Path(__file__).resolve().parents[1] / "models" / "camunda" / "beans"
MODELS = [FOLDER / "bohnen.bpmn", FOLDER / "bohnen_unter.bpmn"]


def _mapping(**changes: str) -> dict[str, Any]:
    mapping: dict[str, Any] = json.loads((FOLDER / "camunda-mapping.json").read_text())
    mapping["beans"].update(changes)
    return mapping


def _answers(scenario: Scenario) -> None:
    def args(request: ServiceRequest) -> list[Any]:
        return list(request.params["args"])

    scenario.connector.behaviour.update({
        "firstname": lambda r: ServiceResult(args(r)[0].split()[0]),
        "email": lambda r: ServiceResult(f"{args(r)[0].split()[0].lower()}@{args(r)[1]}.example"),
        "url": lambda r: ServiceResult("https://portal.example/aufgaben" if args(r) == [] else "?"),
        "bool": lambda r: ServiceResult(args(r)[0] == "ja"),
    })


def _operations(scenario: Scenario) -> list[str]:
    return [c.operation for c in scenario.connector.calls]


@pytest.mark.parametrize(("freigabe", "after"), [("ja", []), ("nein", ["nacharbeit"])])
def test_bean_calls_run_in_parameters_call_mappings_and_conditions(scenario: Scenario, freigabe: str,
                                                                   after: list[str]) -> None:
    _answers(scenario)
    scenario.deploy_files(MODELS, mapping=_mapping())
    case = scenario.start("bohnen", {"antragsteller": "Max Muster", "freigabe": freigabe})
    assert scenario.waits_at(case) == ["pruefen"]
    assert _operations(scenario) == ["test.firstname", "test.url"]   # the input parameter, as the task began
    scenario.complete(case, "pruefen")
    assert scenario.waits_at(case) == ["unter"]
    data = scenario.data(case)
    assert data["gruss"] == "Hallo Max,\nbitte öffnen Sie https://portal.example/aufgaben."
    assert data["email"] == "max@dienstlich.example"
    assert "anschreiben" not in data   # the input parameter stayed local to the task
    scenario.complete(case, "unter")
    assert scenario.data(case)["adresse_unter"] == "max@privat.example"   # camunda:in sourceExpression
    assert scenario.waits_at(case) == after                              # the condition's bean call
    assert _operations(scenario) == ["test.firstname", "test.url", "test.email", "test.email", "test.bool"]
    assert scenario.connector.calls[2].params == {"args": ["Max Muster", "dienstlich"]}
    assert [c.case_id for c in scenario.connector.calls] == [case] * 5


def test_a_bean_mapped_to_an_unknown_operation_is_refused_at_deploy(scenario: Scenario) -> None:
    with pytest.raises(DeploymentError) as err:
        scenario.deploy_files(MODELS, mapping=_mapping(**{"user.email": "test.gibtEsNicht"}))
    messages = [f"{p.element_id}: {p.message}" for p in err.value.problems]
    assert any(m.startswith("pruefen: ") and "unknown connector operation 'test.gibtEsNicht'" in m
               for m in messages), messages
    assert any(m.startswith("aufruf: ") and "'test.gibtEsNicht'" in m for m in messages), messages


def test_an_undeclared_bean_is_refused_at_deploy_naming_the_entry(scenario: Scenario) -> None:
    mapping = _mapping()
    del mapping["beans"]["formatter.bool"]
    with pytest.raises(DeploymentError, match='declare "formatter.bool" under "beans"'):
        scenario.deploy_files(MODELS, mapping=mapping)


SCRIPTED = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" {namespace} id="d" targetNamespace="http://amtsflow.test">
  <process id="p" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="skript"/>
    <scriptTask id="skript" scriptFormat="python"><script>x = bean_call('test.url')</script></scriptTask>
    <sequenceFlow id="f2" sourceRef="skript" targetRef="e"/><endEvent id="e"/>
  </process>
</definitions>"""


@pytest.mark.parametrize("namespace", ['xmlns:camunda="http://camunda.org/schema/1.0/bpmn"', ""])
def test_a_model_cannot_call_bean_call_itself(scenario: Scenario, namespace: str) -> None:
    """Only beans mapped in camunda-mapping.json reach connector operations from expressions and
    scripts: the engine function they become is refused in a model's own text (Camunda and spiff)."""
    _answers(scenario)
    xml = (FOLDER / "bohnen.bpmn").read_text().replace("${formatter.bool(freigabe)}", "${bean_call('test.bool', 1)}")
    with pytest.raises(DeploymentError, match="'bean_call' is reserved") as err:
        scenario.deploy_files([FOLDER / "bohnen_unter.bpmn"], mapping=_mapping(), extra={"bohnen.bpmn": xml.encode()})
    assert [p.element_id for p in err.value.problems] == ["f_ja"]
    with pytest.raises(DeploymentError, match="'bean_call' is reserved") as err:
        scenario.deploy_files([], extra={"skript.bpmn": SCRIPTED.format(namespace=namespace).encode()})
    assert [p.element_id for p in err.value.problems] == ["skript"]


def test_a_failing_bean_call_fails_the_step_with_an_incident(scenario: Scenario) -> None:
    """The input parameter's call fails in the step the engine runs when the case starts."""
    _answers(scenario)
    scenario.connector.fail_with("firstname", "Verzeichnisdienst antwortet mit 503")
    scenario.deploy_files(MODELS, mapping=_mapping())
    case = scenario.start("bohnen", {"antragsteller": "Max Muster", "freigabe": "ja"})
    found = scenario.case(case)
    assert found["status"] == "failed", found
    assert "pruefen" in (found.get("error") or "")
    assert "connector operation 'test.firstname' failed: Verzeichnisdienst antwortet mit 503" in found["error"]
    assert found["incidents"], found
    assert _operations(scenario) == ["test.firstname"]   # not retried: a lookup inside the step


def test_a_failing_bean_call_in_a_completion_refuses_the_completion(scenario: Scenario) -> None:
    """A call fails in the command of a clerk who completes a task (the user task's output parameter,
    the call activity's camunda:in after it): as in Camunda, the caller gets the error, nothing
    of the command is kept and the task stays open."""
    _answers(scenario)
    scenario.connector.fail_with("email", "Verzeichnisdienst antwortet mit 503")
    scenario.deploy_files(MODELS, mapping=_mapping())
    case = scenario.start("bohnen", {"antragsteller": "Max Muster", "freigabe": "ja"})
    with pytest.raises(WorkflowFailure, match="connector operation 'test.email' failed"):
        scenario.complete(case, "pruefen")
    assert scenario.waits_at(case) == ["pruefen"]
    assert scenario.status(case) == "waiting"


def test_a_bean_call_that_does_not_answer_in_time_fails_the_step(scenario: Scenario) -> None:
    """The call is waited for no longer than the command's time budget (AMTSFLOW_MAX_COMMAND_SECONDS)."""
    _answers(scenario)
    scenario.engine.runner.limits = dataclasses.replace(scenario.engine.runner.limits, seconds=0.5)
    answer = threading.Event()   # the call answers only when the test is over
    scenario.connector.behaviour["url"] = lambda _r: (answer.wait(HANGS), ServiceResult("zu spät"))[1]
    scenario.deploy_files(MODELS, mapping=_mapping())
    started = time.monotonic()
    try:
        case = scenario.start("bohnen", {"antragsteller": "Max Muster", "freigabe": "ja"})
        assert time.monotonic() - started < HANGS / 2   # the unit of work did not wait for the answer
    finally:
        answer.set()
    found = scenario.case(case)
    assert found["status"] == "failed", found
    # waited at most the budget (less when the command's wall-time net was nearer on a loaded machine)
    assert re.search(r"connector operation 'test\.url' did not answer within 0\.[0-5] s", found.get("error") or ""), found
    assert found["incidents"], found


def test_waiting_for_bean_calls_does_not_use_up_the_time_budget(scenario: Scenario) -> None:
    """The budget counts CPU time: two calls that each answer within the budget pass, although
    together they wait longer than it (as on a loaded server, where waiting is not work)."""
    _answers(scenario)
    # each call waits 0.6 s of the 1 s budget: 0.4 s to spare for a loaded machine's scheduling
    scenario.engine.runner.limits = dataclasses.replace(scenario.engine.runner.limits, seconds=1.0)
    slow = {name: scenario.connector.behaviour[name] for name in ("firstname", "url")}
    for name, answer in slow.items():
        scenario.connector.behaviour[name] = lambda r, answer=answer: (time.sleep(0.6), answer(r))[1]
    scenario.deploy_files(MODELS, mapping=_mapping())
    case = scenario.start("bohnen", {"antragsteller": "Max Muster", "freigabe": "ja"})
    assert scenario.status(case) == "waiting", scenario.case(case)
    assert scenario.waits_at(case) == ["pruefen"]
    assert _operations(scenario) == ["test.firstname", "test.url"]
