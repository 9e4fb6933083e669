"""When conditions are evaluated inside one command (issue 11).

Camunda 7 evaluates conditional events on the variable events of each step: after every
activity (its delegate, script, listeners, mappings) the events it caused are dispatched and
every conditional event of the scope is evaluated over the variables as they are then. So a
variable that one step sets and a later step of the same transaction resets fires what its
first value satisfies (EventSubProcessStartConditionalEventTest.testSetVariableInDelegate and
its siblings: the condition is met by the delegate's write, not at the end of the
transaction), while a value set and reset inside one script is never seen. amtsflow used to
evaluate only at the end of the command. Each step is a command of its own with the case
cache off (save/restore at every wait)."""

from __future__ import annotations

from tests.camunda_scenarios.conftest import Scenario


def _script(task_id: str, body: str) -> str:
    return f'<scriptTask id="{task_id}" scriptFormat="javascript"><script>{body}</script></scriptTask>'


def _model(steps: str, flows: str, interrupting: bool = True) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <process id="antrag" isExecutable="true">
    <startEvent id="s"/>
    <sequenceFlow id="f0" sourceRef="s" targetRef="erfassen"/>
    <userTask id="erfassen"/>
    {steps}
    {flows}
    <userTask id="weiter"/>
    <sequenceFlow id="fz" sourceRef="weiter" targetRef="e"/>
    <endEvent id="e"/>
    <subProcess id="storno" triggeredByEvent="true">
      <startEvent id="ss" isInterrupting="{str(interrupting).lower()}">
        <conditionalEventDefinition>
          <condition xsi:type="tFormalExpression">${{status == 'storniert'}}</condition>
        </conditionalEventDefinition>
      </startEvent>
      <sequenceFlow id="g1" sourceRef="ss" targetRef="stornieren"/>
      <userTask id="stornieren"/>
      <sequenceFlow id="g2" sourceRef="stornieren" targetRef="se"/>
      <endEvent id="se"/>
    </subProcess>
  </process>
</definitions>""".encode()


TWO_STEPS = (_script("setzen", "execution.setVariable('status', 'storniert');")
             + _script("zuruecksetzen", "execution.setVariable('status', 'offen');"),
             '<sequenceFlow id="f1" sourceRef="erfassen" targetRef="setzen"/>'
             '<sequenceFlow id="f2" sourceRef="setzen" targetRef="zuruecksetzen"/>'
             '<sequenceFlow id="f3" sourceRef="zuruecksetzen" targetRef="weiter"/>')

ONE_STEP = (_script("beides", "execution.setVariable('status', 'storniert'); execution.setVariable('status', 'offen');"),
            '<sequenceFlow id="f1" sourceRef="erfassen" targetRef="beides"/>'
            '<sequenceFlow id="f2" sourceRef="beides" targetRef="weiter"/>')


def test_a_value_one_step_sets_and_a_later_step_resets_starts_the_interrupting_event_subprocess(
        scenario: Scenario) -> None:
    scenario.deploy_files([], extra={"antrag.bpmn": _model(*TWO_STEPS)})
    case = scenario.start("antrag", {"status": "neu"})
    scenario.complete(case, "erfassen")
    assert scenario.waits_at(case) == ["stornieren"]     # interrupted before "zuruecksetzen" ran
    assert scenario.data(case)["status"] == "storniert"
    scenario.complete(case, "stornieren")
    assert scenario.status(case) == "completed"


def test_a_value_one_step_sets_and_a_later_step_resets_starts_the_non_interrupting_one_beside(
        scenario: Scenario) -> None:
    scenario.deploy_files([], extra={"antrag.bpmn": _model(*TWO_STEPS, interrupting=False)})
    case = scenario.start("antrag", {"status": "neu"})
    scenario.complete(case, "erfassen")
    assert scenario.waits_at(case) == ["stornieren", "weiter"]
    assert scenario.data(case)["status"] == "offen"


def test_a_value_set_and_reset_inside_one_script_is_never_seen(scenario: Scenario) -> None:
    scenario.deploy_files([], extra={"antrag.bpmn": _model(*ONE_STEP)})
    case = scenario.start("antrag", {"status": "neu"})
    scenario.complete(case, "erfassen")
    assert scenario.waits_at(case) == ["weiter"]
