"""``console.log`` in JavaScript of Camunda models. Camunda 7 runs JavaScript in GraalJS (the
engine DigiWF's platform ships, found on its DoXisign showcase: ``console.log(...)`` in a script
task), where ``console`` is there by default and writes to the server's output. Here it is a
frozen object whose methods take any arguments and write nothing (no host access); a variable
named ``console`` still wins, as every process variable does over a built-in name."""

from __future__ import annotations

from tests.camunda_scenarios.conftest import Scenario
from tests.camunda_scenarios.test_listeners import deploy

MODEL = """
<startEvent id="start"><extensionElements>
  <camunda:executionListener event="end"><camunda:script scriptFormat="javascript">console.info("gestartet", 1, {a: 2});</camunda:script></camunda:executionListener>
</extensionElements></startEvent>
<sequenceFlow id="f1" sourceRef="start" targetRef="script"/>
<scriptTask id="script" scriptFormat="javascript"><script>
console.log("Antrag " + execution.getVariable("antrag"));
console.warn("w"); console.error("e"); console.debug("d"); console.trace(); console.dir({x: 1});
execution.setVariable("geloggt", typeof console.log === "function");
</script></scriptTask>
<sequenceFlow id="f2" sourceRef="script" targetRef="task"/>
<userTask id="task" camunda:candidateGroups="sachbearbeitung"/>
<sequenceFlow id="f3" sourceRef="task" targetRef="end"/>
<endEvent id="end"/>"""


def test_console_calls_in_scripts_run_and_write_nothing(scenario: Scenario) -> None:
    deploy(scenario, MODEL)
    case = scenario.start("p", {"antrag": "A-1"})
    assert scenario.waits_at(case) == ["task"], scenario.case(case)
    assert scenario.data(case)["geloggt"] is True
    scenario.complete(case, "task")
    assert scenario.status(case) == "completed"
