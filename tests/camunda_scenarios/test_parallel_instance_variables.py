"""The instances of a parallel multi-instance activity share the case's variables (issue 11).

In Camunda 7 an instance's only local variables are the element variable, ``loopCounter``, the
``nrOf...`` counters and what its input mappings create; every other variable it sets goes to
the process instance at once, so the instances, run one after another, see each other's
writes, and a waiting instance completed later never puts back a value from before the loop.
Specification: AsyncAfterTest (testAsyncAfterParallelMultiInstanceWithServiceTask,
testAsyncAfterServiceWrappedInParallelMultiInstance: a counter of five instances ends at 5),
MultiInstanceTest (testParallelScriptTasks: 0+1+...+9 = 45; testParallelScriptTasksCompletionCondition:
2 of 8 instances ran; testParallelSubProcessAllAutomatic and its completion-condition variant:
two script tasks per sub-process instance count 10, and 12 when six instances complete).
The models below are ours (Python scripts where Camunda's use Groovy); the AsyncAfterTest models
are read from the corpus. SQLite and PostgreSQL, the case cache off: every command loads the
case from the database, so every wait is a save/restore.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.camunda_scenarios.conftest import Scenario

HEAD = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
"""

# MultiInstanceTest.testParallelScriptTasks(CompletionCondition), the script in Python
SCRIPTS = HEAD + b"""  <process id="parallelScripts" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="zaehlen"/>
    <scriptTask id="zaehlen" scriptFormat="python">
      <multiInstanceLoopCharacteristics isSequential="false">
        <loopCardinality>${nrOfLoops}</loopCardinality>
        <completionCondition>${nrOfCompletedInstances == stopAfter}</completionCondition>
      </multiInstanceLoopCharacteristics>
      <script>summe = summe + loopCounter
anzahl = anzahl + 1</script>
    </scriptTask>
    <sequenceFlow id="f2" sourceRef="zaehlen" targetRef="warten"/>
    <userTask id="warten"/>
    <sequenceFlow id="f3" sourceRef="warten" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""

# MultiInstanceTest.testParallelSubProcessAllAutomatic: a parallel gateway inside each instance
SUB_PROCESS = HEAD + b"""  <process id="parallelSubProcess" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="mi"/>
    <subProcess id="mi">
      <multiInstanceLoopCharacteristics isSequential="false">
        <loopCardinality>${nrOfLoops}</loopCardinality>
        <completionCondition>${nrOfCompletedInstances == 6}</completionCondition>
      </multiInstanceLoopCharacteristics>
      <startEvent id="s"/>
      <sequenceFlow id="g1" sourceRef="s" targetRef="fork"/>
      <parallelGateway id="fork"/>
      <sequenceFlow id="g2" sourceRef="fork" targetRef="eins"/>
      <sequenceFlow id="g3" sourceRef="fork" targetRef="zwei"/>
      <scriptTask id="eins" scriptFormat="python"><script>summe = summe + 1</script></scriptTask>
      <scriptTask id="zwei" scriptFormat="python"><script>summe = summe + 1</script></scriptTask>
      <sequenceFlow id="g4" sourceRef="eins" targetRef="join"/>
      <sequenceFlow id="g5" sourceRef="zwei" targetRef="join"/>
      <parallelGateway id="join"/>
      <sequenceFlow id="g6" sourceRef="join" targetRef="e"/>
      <endEvent id="e"/>
    </subProcess>
    <sequenceFlow id="f2" sourceRef="mi" targetRef="warten"/>
    <userTask id="warten"/>
    <sequenceFlow id="f3" sourceRef="warten" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""

# Parallel user tasks over a collection: each completion counts (an end listener reading the
# current count) and one person's form sets "status"; the element variable, loopCounter and
# an input mapping stay local to their instance.
USER_TASKS = HEAD + b"""  <process id="mitzeichnung" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="zeichnen"/>
    <userTask id="zeichnen" camunda:assignee="${person}">
      <extensionElements>
        <camunda:inputOutput>
          <camunda:inputParameter name="runde">${loopCounter + 1}</camunda:inputParameter>
        </camunda:inputOutput>
        <camunda:executionListener event="end"
            expression="${execution.setVariable('zeichnungen', zeichnungen + 1)}"/>
      </extensionElements>
      <multiInstanceLoopCharacteristics isSequential="false"
          camunda:collection="${personen}" camunda:elementVariable="person"/>
    </userTask>
    <sequenceFlow id="f2" sourceRef="zeichnen" targetRef="abschluss"/>
    <userTask id="abschluss"/>
    <sequenceFlow id="f3" sourceRef="abschluss" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""

# A parallel loop inside each instance of a parallel loop: 2 x 3 instances count 6
NESTED = HEAD + b"""  <process id="nested" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="aussen"/>
    <subProcess id="aussen">
      <multiInstanceLoopCharacteristics isSequential="false"><loopCardinality>2</loopCardinality>
      </multiInstanceLoopCharacteristics>
      <startEvent id="s"/>
      <sequenceFlow id="g1" sourceRef="s" targetRef="innen"/>
      <scriptTask id="innen" scriptFormat="python">
        <multiInstanceLoopCharacteristics isSequential="false"><loopCardinality>3</loopCardinality>
        </multiInstanceLoopCharacteristics>
        <script>summe = summe + 1</script>
      </scriptTask>
      <sequenceFlow id="g2" sourceRef="innen" targetRef="pause"/>
      <userTask id="pause"/>
      <sequenceFlow id="g3" sourceRef="pause" targetRef="e"/>
      <endEvent id="e"/>
    </subProcess>
    <sequenceFlow id="f2" sourceRef="aussen" targetRef="warten"/>
    <userTask id="warten"/>
    <sequenceFlow id="f3" sourceRef="warten" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""


def _deploy(scenario: Scenario, name: str, model: bytes) -> None:
    scenario.deploy_files([], extra={name: model})


def _finish(scenario: Scenario, case: str, element_id: str) -> None:
    scenario.complete(case, element_id)
    assert scenario.status(case) == "completed"


@pytest.mark.corpus
@pytest.mark.parametrize("model", ["testAsyncAfterParallelMultiInstanceWithServiceTask",
                                   "testAsyncAfterServiceWrappedInParallelMultiInstance"])
def test_AsyncAfterTest_parallel_multi_instance_counts_every_instance(scenario: Scenario, model: str) -> None:
    """``${execution.setVariable('behaviorInvoked', execution.getVariable('behaviorInvoked') + 1)}``
    in five parallel instances: 5, as in Camunda (each instance saw the one before)."""
    scenario.deploy_camunda(f"async/AsyncAfterTest.{model}.bpmn20.xml")
    case = scenario.start("testProcess")
    assert scenario.status(case) == "completed"
    data = scenario.data(case)
    assert data["behaviorInvoked"] == 5
    assert data["listenerStartInvoked"] is True and data["listenerEndInvoked"] is True


def test_MultiInstanceTest_testParallelScriptTasks(scenario: Scenario) -> None:
    _deploy(scenario, "scripts.bpmn", SCRIPTS)
    case = scenario.start("parallelScripts", {"summe": 0, "anzahl": 0, "nrOfLoops": 10, "stopAfter": -1})
    data = scenario.data(case)
    assert data["summe"] == 45 and data["anzahl"] == 10
    assert "loopCounter" not in data
    _finish(scenario, case, "warten")


def test_MultiInstanceTest_testParallelScriptTasksCompletionCondition(scenario: Scenario) -> None:
    """The condition holds after the second instance: the other six never run."""
    _deploy(scenario, "scripts.bpmn", SCRIPTS)
    case = scenario.start("parallelScripts", {"summe": 0, "anzahl": 0, "nrOfLoops": 8, "stopAfter": 2})
    assert scenario.data(case)["anzahl"] == 2
    _finish(scenario, case, "warten")


@pytest.mark.parametrize(("loops", "expected"), [(5, 10), (10, 12)])
def test_MultiInstanceTest_testParallelSubProcessAllAutomatic(scenario: Scenario, loops: int, expected: int) -> None:
    """Two script tasks behind a parallel gateway in each sub-process instance; with ten
    instances the completion condition (six completed) ends the loop at 12
    (testParallelSubProcessAllAutomaticCompletionCondition)."""
    _deploy(scenario, "sub.bpmn", SUB_PROCESS)
    case = scenario.start("parallelSubProcess", {"nrOfLoops": loops, "summe": 0})
    assert scenario.data(case)["summe"] == expected
    _finish(scenario, case, "warten")


def _tasks_of(scenario: Scenario, case: str, element_id: str) -> list[dict[str, Any]]:
    return sorted((t for t in scenario.tasks(case) if t["element_id"] == element_id), key=lambda t: t["assignee"])


def test_parallel_user_tasks_each_completion_sees_the_ones_before(scenario: Scenario) -> None:
    """Three waiting instances, completed one command each (a save/restore between): the end
    listener counts from what the earlier completions wrote, the status one person set is not
    put back by the later instances' copies from before the loop, and the element variable,
    loopCounter and the input mapping's local never reach the case."""
    _deploy(scenario, "mitzeichnung.bpmn", USER_TASKS)
    case = scenario.start("mitzeichnung", {"personen": ["anna", "ben", "cem"], "zeichnungen": 0,
                                           "status": "offen"})
    anna, ben, cem = _tasks_of(scenario, case, "zeichnen")
    assert (anna["assignee"], ben["assignee"], cem["assignee"]) == ("anna", "ben", "cem")
    scenario.complete_task(ben["id"], {"status": "beanstandet"})
    assert scenario.data(case)["zeichnungen"] == 1
    scenario.complete_task(anna["id"])
    assert scenario.data(case)["zeichnungen"] == 2
    scenario.complete_task(cem["id"], {"anmerkung": "ok"})
    data = scenario.data(case)
    assert (data["zeichnungen"], data["status"], data["anmerkung"]) == (3, "beanstandet", "ok")
    assert data["personen"] == ["anna", "ben", "cem"]
    assert not {"person", "loopCounter", "runde"} & set(data)
    _finish(scenario, case, "abschluss")


def test_parallel_loop_inside_a_parallel_loop_counts_every_instance(scenario: Scenario) -> None:
    """Two outer instances wait after their inner loops of three; each inner instance adds one."""
    _deploy(scenario, "nested.bpmn", NESTED)
    case = scenario.start("nested", {"summe": 0})
    assert scenario.data(case)["summe"] == 6
    for task in [t for t in scenario.tasks(case) if t["element_id"] == "pause"]:
        scenario.complete_task(task["id"])
    assert scenario.data(case)["summe"] == 6
    _finish(scenario, case, "warten")


def _as_format_2(scenario: Scenario, case: str) -> None:
    """Store the case as format 2 wrote it: the same tree, without the instances' fingerprints
    and the loop's record of written variables (engine.runtime.state_format, format 3)."""
    import json

    from sqlalchemy import select, update

    from engine.persistence import tables as t
    from engine.runtime.shared_scope import SEEN, WRITTEN

    with scenario.engine.db.begin() as conn:
        state, version = conn.execute(select(t.cases.c.state, t.cases.c.serializer_version)
                                      .where(t.cases.c.id == case)).one()
        dct = json.loads(state)
        tasks = [*dct["tasks"].values(), *(x for sub in dct.get("subprocesses", {}).values()
                                           for x in sub["tasks"].values())]
        stripped = 0
        for task in tasks:
            stripped += sum(1 for key in (SEEN, WRITTEN) if task["internal_data"].pop(key, None) is not None)
        assert stripped and version.startswith("amtsflow/3+")
        conn.execute(update(t.cases).where(t.cases.c.id == case).values(
            state=json.dumps(dct), serializer_version=version.replace("amtsflow/3+", "amtsflow/2+")))


def test_a_loop_stored_by_format_2_goes_on_with_shared_variables(scenario: Scenario) -> None:
    """A case stored before format 3 while its instances waited: the instances completed later
    take what the earlier ones wrote (their copies from before the loop count as seen, not as
    their writes), and the case is saved as format 3."""
    _deploy(scenario, "mitzeichnung.bpmn", USER_TASKS)
    case = scenario.start("mitzeichnung", {"personen": ["anna", "ben", "cem"], "zeichnungen": 0,
                                           "status": "offen"})
    anna, ben, cem = _tasks_of(scenario, case, "zeichnen")
    scenario.complete_task(ben["id"], {"status": "beanstandet"})
    _as_format_2(scenario, case)
    scenario.complete_task(anna["id"])
    scenario.complete_task(cem["id"])
    data = scenario.data(case)
    assert (data["zeichnungen"], data["status"]) == (3, "beanstandet")
    _finish(scenario, case, "abschluss")


# Input mappings make an instance's own variables (one of them covering a case variable);
# Camunda refuses output mappings on a multi-instance activity.
MAPPED = HEAD + b"""  <process id="mapped" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="rechnen"/>
    <scriptTask id="rechnen" scriptFormat="python">
      <extensionElements>
        <camunda:inputOutput>
          <camunda:inputParameter name="lokal">${loopCounter + 1}</camunda:inputParameter>
          <camunda:inputParameter name="status">intern</camunda:inputParameter>
        </camunda:inputOutput>
      </extensionElements>
      <multiInstanceLoopCharacteristics isSequential="false"><loopCardinality>3</loopCardinality>
      </multiInstanceLoopCharacteristics>
      <script>summe = summe + lokal
status = status + "!"
letzter = status</script>
    </scriptTask>
    <sequenceFlow id="f2" sourceRef="rechnen" targetRef="warten"/>
    <userTask id="warten"/>
    <sequenceFlow id="f3" sourceRef="warten" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""


def test_input_mappings_stay_with_their_instance(scenario: Scenario) -> None:
    """Each instance adds its own ``lokal`` (1, 2, 3) to the shared sum; its ``status`` input
    covers the case's status, which no instance changes (the value put back when an instance
    ends is not a write); a variable set from the local value reaches the case."""
    _deploy(scenario, "mapped.bpmn", MAPPED)
    case = scenario.start("mapped", {"summe": 0, "status": "offen"})
    data = scenario.data(case)
    assert (data["summe"], data["status"], data["letzter"]) == (6, "offen", "intern!")
    assert "lokal" not in data and "loopCounter" not in data
    _finish(scenario, case, "warten")


# Each sub-process instance waits for a person, then counts: the counting runs one command
# (and one save/restore) after another, inside different instances.
WAIT_THEN_COUNT = HEAD + b"""  <process id="waitThenCount" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="mi"/>
    <subProcess id="mi">
      <multiInstanceLoopCharacteristics camunda:collection="${akten}" camunda:elementVariable="akte"/>
      <startEvent id="s"/>
      <sequenceFlow id="g1" sourceRef="s" targetRef="pruefen"/>
      <userTask id="pruefen" camunda:assignee="${akte}"/>
      <sequenceFlow id="g2" sourceRef="pruefen" targetRef="zaehlen"/>
      <scriptTask id="zaehlen" scriptFormat="python"><script>geprueft = geprueft + [akte]</script></scriptTask>
      <sequenceFlow id="g3" sourceRef="zaehlen" targetRef="e"/>
      <endEvent id="e"/>
    </subProcess>
    <sequenceFlow id="f2" sourceRef="mi" targetRef="warten"/>
    <userTask id="warten"/>
    <sequenceFlow id="f3" sourceRef="warten" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""


def test_sub_process_instances_completed_one_command_each_see_each_other(scenario: Scenario) -> None:
    """The list each instance extends after its person's task holds every earlier instance's
    entry, in the order the people finished, though each instance was entered before any of them."""
    _deploy(scenario, "wait.bpmn", WAIT_THEN_COUNT)
    case = scenario.start("waitThenCount", {"akten": ["a", "b", "c"], "geprueft": []})
    tasks = {t["assignee"]: t for t in scenario.tasks(case)}
    for akte in ("b", "c", "a"):
        scenario.complete_task(tasks[akte]["id"])
    assert scenario.data(case)["geprueft"] == ["b", "c", "a"]
    assert "akte" not in scenario.data(case)
    _finish(scenario, case, "warten")


PLAIN = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <process id="plainLoop" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="pruefen"/>
    <userTask id="pruefen">
      <multiInstanceLoopCharacteristics isSequential="false">
        <loopCardinality>3</loopCardinality>
      </multiInstanceLoopCharacteristics>
    </userTask>
    <sequenceFlow id="f2" sourceRef="pruefen" targetRef="zaehlen"/>
    <scriptTask id="zaehlen">
      <multiInstanceLoopCharacteristics isSequential="false">
        <loopCardinality>3</loopCardinality>
      </multiInstanceLoopCharacteristics>
      <script>anzahl = anzahl + 1</script>
    </scriptTask>
    <sequenceFlow id="f3" sourceRef="zaehlen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""


def test_a_plain_bpmn_loops_instances_share_the_process_data(scenario: Scenario) -> None:
    """Plain BPMN (no extension namespace): the instances share the process's data as BPMN 2.0
    has it; a waiting instance completed last does not put back its older copy."""
    scenario.deploy_files([], extra={"plain.bpmn": PLAIN})
    case = scenario.start("plainLoop", {"anzahl": 0, "status": "neu"})
    first, second, third = [t["id"] for t in scenario.tasks(case)]
    scenario.complete_task(first, {"status": "geprueft"})
    scenario.complete_task(second, {})
    scenario.complete_task(third, {})
    assert scenario.status(case) == "completed"
    data = scenario.data(case)
    assert data["anzahl"] == 3 and data["status"] == "geprueft"
