"""Ported Camunda 7 engine tests: multi-instance activities with completion conditions over
Camunda's counters (nrOfInstances, nrOfCompletedInstances, nrOfActiveInstances), collections
and element variables (MultiInstanceTest)."""

from __future__ import annotations

from engine.services import cases

MI = "multiinstance/MultiInstanceTest."


def _complete_any(scenario, case: str, task: dict) -> None:
    cases.complete_task(scenario.engine, task["id"], {}, actor=task.get("assignee") or "system")
    scenario.run_jobs()


def test_MultiInstanceTest_testParallelUserTasksCompletionCondition(scenario):
    scenario.deploy_camunda(MI + "testParallelUserTasksCompletionCondition.bpmn20.xml")
    case = scenario.start("miParallelUserTasksCompletionCondition")
    for done in range(3):
        tasks = scenario.tasks(case)
        assert len(tasks) == 5 - done
        _complete_any(scenario, case, tasks[0])
    assert scenario.status(case) == "completed"        # 3 of 5 >= 0.5


def test_MultiInstanceTest_testParallelUserTasksBasedOnCollection(scenario):
    scenario.deploy_camunda(MI + "testParallelUserTasksBasedOnCollection.bpmn20.xml")
    case = scenario.start("miParallelUserTasksBasedOnCollection",
                          {"assigneeList": ["kermit", "gonzo", "mispiggy", "fozzie", "bubba"]})
    tasks = sorted(scenario.tasks(case), key=lambda t: t["assignee"])
    assert [t["assignee"] for t in tasks] == ["bubba", "fozzie", "gonzo", "kermit", "mispiggy"]
    for task in tasks[:3]:
        _complete_any(scenario, case, task)
    assert scenario.tasks(case) == [] and scenario.status(case) == "completed"   # 3 of 5 >= 0.6


def test_MultiInstanceTest_testEmptyCollectionInMI(scenario):
    scenario.deploy_camunda(MI + "testParallelUserTasksBasedOnCollection.bpmn20.xml")
    case = scenario.start("miParallelUserTasksBasedOnCollection", {"assigneeList": []})
    assert scenario.tasks(case) == [] and scenario.status(case) == "completed"


def test_MultiInstanceTest_testSequentialSubProcessCompletionCondition(scenario):
    scenario.deploy_camunda(MI + "testSequentialSubProcessCompletionCondition.bpmn20.xml")
    case = scenario.start("miSequentialSubprocessCompletionCondition")
    for _ in range(3):
        tasks = sorted(scenario.tasks(case), key=lambda t: t["name"])
        assert [t["name"] for t in tasks] == ["task one", "task two"]
        for task in tasks:
            _complete_any(scenario, case, task)
    assert scenario.status(case) == "completed"        # the 4th instance never starts


def test_MultiInstanceTest_testNestedParallelUserTasks(scenario):
    scenario.deploy_camunda(MI + "testNestedParallelUserTasks.bpmn20.xml")
    case = scenario.start("miNestedParallelUserTasks")
    while scenario.tasks(case):
        task = scenario.tasks(case)[0]
        assert task["name"] == "My Task" and task["assignee"] == "kermit"
        _complete_any(scenario, case, task)
    assert scenario.status(case) == "completed"


def test_MultiInstanceTest_testSequentialUserTasks(scenario):
    """Each instance sees its index as loopCounter (camunda:assignee="kermit_${loopCounter}");
    the counter never reaches the case's variables."""
    scenario.deploy_camunda(MI + "sequentialUserTasks.bpmn20.xml")
    case = scenario.start("miSequentialUserTasks", {"nrOfLoops": 3})
    for index in range(3):
        [task] = scenario.tasks(case)
        assert (task["name"], task["assignee"]) == ("My Task", f"kermit_{index}")
        _complete_any(scenario, case, task)
    assert scenario.status(case) == "completed"
    assert "loopCounter" not in scenario.data(case)


def test_MultiInstanceTest_testParallelUserTasks(scenario):
    scenario.deploy_camunda(MI + "testParallelUserTasks.bpmn20.xml")
    case = scenario.start("miParallelUserTasks")
    assert sorted(t["assignee"] for t in scenario.tasks(case)) == ["kermit_0", "kermit_1", "kermit_2"]
    for task in scenario.tasks(case):
        _complete_any(scenario, case, task)
    assert scenario.status(case) == "completed"
    assert "loopCounter" not in scenario.data(case)
