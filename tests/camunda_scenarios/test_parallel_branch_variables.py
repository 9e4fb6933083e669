"""Parallel branches write to the case's variables (issue 11): a value one branch sets is not
put back by another branch's older copy when the branches join.

In Camunda 7 every branch of a parallel or inclusive split writes to the process instance's
variables, so a status set by a script in one branch is still set after a clerk completes a
task in the other branch. SpiffWorkflow merged the branches' whole copies at the join, the last
arrival's copy winning, which silently restored the value from before the split. Models are
ours; SQLite and PostgreSQL with the case cache off, so every wait is a save/restore.
"""

from __future__ import annotations

import pytest

from engine.runtime.branch_merge import merged
from tests.camunda_scenarios.conftest import Scenario

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <process id="zweige" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
"""


def _model(gateway: str, branch_a: str, branch_b: str, *, join: bool = True) -> bytes:
    """A split into branch a (element ``a``) and branch b (element ``b``), joined again (or,
    without ``join``, each branch ending at its own end event)."""
    condition = ('<conditionExpression xsi:type="tFormalExpression" '
                 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${true}</conditionExpression>'
                 if gateway == "inclusiveGateway" else "")
    tail = ("""    <sequenceFlow id="a2" sourceRef="a" targetRef="join"/>
    <sequenceFlow id="b2" sourceRef="b" targetRef="join"/>
    <GATEWAY id="join"/>
    <sequenceFlow id="f2" sourceRef="join" targetRef="danach"/>
    <userTask id="danach"/>
    <sequenceFlow id="f3" sourceRef="danach" targetRef="ende"/>
    <endEvent id="ende"/>
""" if join else """    <sequenceFlow id="a2" sourceRef="a" targetRef="ende_a"/>
    <endEvent id="ende_a"/>
    <sequenceFlow id="b2" sourceRef="b" targetRef="ende_b"/>
    <endEvent id="ende_b"/>
""").replace("GATEWAY", gateway)
    return (HEAD + f"""    <{gateway} id="fork"/>
    <sequenceFlow id="a1" sourceRef="fork" targetRef="a">{condition}</sequenceFlow>
    {branch_a}
    <sequenceFlow id="b1" sourceRef="fork" targetRef="b">{condition}</sequenceFlow>
    {branch_b}
{tail}  </process>
</definitions>
""").encode()


SCRIPT_A = '<scriptTask id="a" scriptFormat="python"><script>status = "geprueft"</script></scriptTask>'
USER_A = '<userTask id="a"/>'
USER_B = '<userTask id="b"/>'


def _deploy(scenario: Scenario, content: bytes) -> None:
    scenario.deploy_files([], extra={"zweige.bpmn": content})


@pytest.mark.parametrize("gateway", ["parallelGateway", "inclusiveGateway"])
def test_a_value_one_branch_set_survives_the_other_branchs_later_arrival(scenario: Scenario, gateway: str) -> None:
    _deploy(scenario, _model(gateway, SCRIPT_A, USER_B))
    case = scenario.start("zweige", {"status": "neu"})
    scenario.complete(case, "b", {})
    assert scenario.waits_at(case) == ["danach"]
    assert scenario.data(case)["status"] == "geprueft"
    scenario.complete(case, "danach", {})
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["status"] == "geprueft"


def test_each_branch_keeps_what_it_changed(scenario: Scenario) -> None:
    _deploy(scenario, _model("parallelGateway", USER_A, USER_B))
    case = scenario.start("zweige", {"x": 0, "y": 0})
    scenario.complete(case, "a", {"x": 1})
    scenario.complete(case, "b", {"y": 2})
    assert {k: scenario.data(case)[k] for k in ("x", "y")} == {"x": 1, "y": 2}


@pytest.mark.parametrize(("first", "second"), [("a", "b"), ("b", "a")])
def test_a_variable_both_branches_changed_keeps_the_later_write(scenario: Scenario, first: str, second: str) -> None:
    _deploy(scenario, _model("parallelGateway", USER_A, USER_B))
    case = scenario.start("zweige", {"entscheidung": "offen"})
    scenario.complete(case, first, {"entscheidung": f"von {first}"})
    scenario.complete(case, second, {"entscheidung": f"von {second}"})
    assert scenario.data(case)["entscheidung"] == f"von {second}"


def test_branches_ending_at_their_own_end_events_keep_their_writes(scenario: Scenario) -> None:
    """No join gateway: the process's end merges the branches."""
    _deploy(scenario, _model("parallelGateway", SCRIPT_A, USER_B, join=False))
    case = scenario.start("zweige", {"status": "neu"})
    scenario.complete(case, "b", {})
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["status"] == "geprueft"


def test_merged_lays_each_branchs_changes_over_the_split() -> None:
    base = {"a": 1, "b": [1], "c": "x"}
    assert merged(base, [{"a": 2, "b": [1], "c": "x"}, {"a": 1, "b": [1, 2], "c": "x", "d": 4}]) == \
        {"a": 2, "b": [1, 2], "c": "x", "d": 4}
    assert merged(base, [{"a": 2}, {"a": 3}]) == {"a": 3, "b": [1], "c": "x"}
    assert base == {"a": 1, "b": [1], "c": "x"}   # not changed
