"""Execution and task listeners with expressions, Python and JavaScript, on small models of our
own (SQLite and PostgreSQL, case cache off: every wait is a save/restore)."""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError
from tests.camunda_scenarios.conftest import Scenario

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">\n')


def model(body: str, process_ext: str = "") -> bytes:
    ext = f"<extensionElements>{process_ext}</extensionElements>" if process_ext else ""
    return (HEAD + f'<process id="p" isExecutable="true">{ext}{body}</process></definitions>').encode()


def deploy(scenario: Scenario, body: str, process_ext: str = "") -> None:
    scenario.deploy_files([], extra={"p.bpmn": model(body, process_ext)})


def log(kind: str, event: str, text: str) -> str:
    """A listener appending text to the variable 'log' (expression, Python or JavaScript)."""
    tag = "executionListener" if kind == "execution" else "taskListener"
    return (f'<camunda:{tag} event="{event}"><camunda:script scriptFormat="javascript">'
            f"var l = execution.getVariable('log') || []; l.push('{text}'); execution.setVariable('log', l);"
            f"</camunda:script></camunda:{tag}>")


RECORDED = f"""
<startEvent id="start"><extensionElements>{log("execution", "start", "start:start")}
  {log("execution", "end", "start:end")}</extensionElements></startEvent>
<sequenceFlow id="f1" sourceRef="start" targetRef="task">
  <extensionElements>{log("execution", "take", "f1:take")}</extensionElements></sequenceFlow>
<userTask id="task" name="Prüfen"><extensionElements>
  {log("execution", "start", "task:start")}{log("task", "create", "task:create")}
  {log("task", "complete", "task:complete")}{log("execution", "end", "task:end")}</extensionElements></userTask>
<sequenceFlow id="f2" sourceRef="task" targetRef="end">
  <extensionElements>{log("execution", "take", "f2:take")}</extensionElements></sequenceFlow>
<endEvent id="end"><extensionElements>{log("execution", "start", "end:start")}
  {log("execution", "end", "end:end")}</extensionElements></endEvent>
"""


def test_listeners_run_in_camunda_order_across_a_wait(scenario: Scenario) -> None:
    deploy(scenario, RECORDED, log("execution", "start", "process:start") + log("execution", "end", "process:end"))
    case = scenario.start("p")
    assert scenario.data(case)["log"] == ["process:start", "start:start", "start:end", "f1:take", "task:start",
                                          "task:create"]
    scenario.complete(case, "task")
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["log"][6:] == ["task:complete", "task:end", "f2:take", "end:start", "end:end",
                                              "process:end"]


def test_expression_listeners_set_variables_through_execution(scenario: Scenario) -> None:
    deploy(scenario, """
<startEvent id="start"><extensionElements>
  <camunda:executionListener event="end" expression="${execution.setVariable('status', 'eingegangen')}"/>
</extensionElements></startEvent>
<sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
<userTask id="task"><extensionElements>
  <camunda:executionListener event="start"
      expression="${execution.setVariable('kennung', execution.processBusinessKey.toUpperCase())}"/>
  <camunda:executionListener event="end" expression="${execution.setVariable('status', 'geprüft')}"/>
</extensionElements></userTask>
<sequenceFlow id="f2" sourceRef="task" targetRef="end"/><endEvent id="end"/>""")
    case = scenario.start("p", business_key="az-17")
    assert scenario.data(case)["status"] == "eingegangen" and scenario.data(case)["kennung"] == "AZ-17"
    scenario.complete(case, "task")
    assert scenario.data(case)["status"] == "geprüft"


def test_python_script_listener(scenario: Scenario) -> None:
    deploy(scenario, """
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="s"/>
<scriptTask id="s" scriptFormat="python"><extensionElements>
  <camunda:executionListener event="start"><camunda:script scriptFormat="python">gebuehr = 10
execution.setVariable('ereignis', execution.eventName)</camunda:script></camunda:executionListener>
</extensionElements><script>gesamt = gebuehr * 2</script></scriptTask>
<sequenceFlow id="f2" sourceRef="s" targetRef="end"/><endEvent id="end"/>""")
    case = scenario.start("p")
    assert {k: scenario.data(case).get(k) for k in ("gebuehr", "gesamt", "ereignis")} == {
        "gebuehr": 10, "gesamt": 20, "ereignis": "start"}


def test_task_listener_assigns_the_task(scenario: Scenario) -> None:
    deploy(scenario, """
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
<userTask id="task" name="Antrag prüfen" camunda:candidateGroups="poststelle"><extensionElements>
  <camunda:taskListener event="create" expression="${task.setAssignee(sachbearbeitung)}"/>
  <camunda:taskListener event="create"><camunda:script scriptFormat="javascript">
    task.addCandidateGroup('ordnungsamt'); task.setName(task.getName() + ' (eilig)');
    execution.setVariable('ereignis', task.eventName);</camunda:script></camunda:taskListener>
</extensionElements></userTask>
<sequenceFlow id="f2" sourceRef="task" targetRef="end"/><endEvent id="end"/>""")
    case = scenario.start("p", {"sachbearbeitung": "sb1"})
    task = scenario.task(case, "task")
    assert task["assignee"] == "sb1"
    assert task["name"] == "Antrag prüfen (eilig)"
    assert scenario.data(case)["ereignis"] == "create"
    scenario.complete(case, "task", actor="sb1")
    assert scenario.status(case) == "completed"


def test_delete_and_end_listeners_run_when_a_boundary_event_cancels_the_task(scenario: Scenario) -> None:
    from datetime import timedelta
    deploy(scenario, f"""
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
<userTask id="task"><extensionElements>{log("task", "delete", "task:delete")}
  {log("execution", "end", "task:end")}</extensionElements></userTask>
<boundaryEvent id="frist" attachedToRef="task"><timerEventDefinition><timeDuration>P14D</timeDuration>
  </timerEventDefinition></boundaryEvent>
<sequenceFlow id="f2" sourceRef="task" targetRef="end"/><endEvent id="end"/>
<sequenceFlow id="f3" sourceRef="frist" targetRef="ende2"/><endEvent id="ende2"/>""")
    case = scenario.start("p")
    assert "log" not in scenario.data(case)
    scenario.advance(timedelta(days=15))
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["log"] == ["task:delete", "task:end"]


def test_a_failing_listener_fails_the_case_with_an_incident(scenario: Scenario) -> None:
    deploy(scenario, """
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
<userTask id="task"><extensionElements>
  <camunda:executionListener event="start"><camunda:script scriptFormat="javascript">
    nichtDa.feld</camunda:script></camunda:executionListener>
</extensionElements></userTask>
<sequenceFlow id="f2" sourceRef="task" targetRef="end"/><endEvent id="end"/>""")
    case = scenario.start("p")
    assert scenario.status(case) == "failed"
    assert "nichtDa" in (scenario.case(case).get("error") or "")


@pytest.mark.parametrize(("listener", "reason"), [
    ('<camunda:taskListener event="update" expression="${a}"/>', "event 'update' is not supported"),
    ('<camunda:taskListener event="timeout" expression="${a}"/>', "needs a timerEventDefinition"),
    ('<camunda:executionListener event="start"><camunda:script scriptFormat="groovy">x</camunda:script>'
     '</camunda:executionListener>', "rewrite the script in JavaScript"),
    ('<camunda:executionListener event="start"><camunda:script scriptFormat="javascript" resource="${a}"/>'
     '</camunda:executionListener>', "write the script inline"),   # a missing fixed file fails when run
    ('<camunda:executionListener event="start"><camunda:script scriptFormat="javascript">var = ;'
     '</camunda:script></camunda:executionListener>', "SyntaxError"),
    ('<camunda:executionListener event="start" expression="${unbekannt(1)}"/>', "unknown function 'unbekannt'"),
])
def test_listeners_that_cannot_run_are_refused_at_deploy(scenario: Scenario, listener: str, reason: str) -> None:
    with pytest.raises(DeploymentError) as info:
        deploy(scenario, f"""<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
<userTask id="task"><extensionElements>{listener}</extensionElements></userTask>
<sequenceFlow id="f2" sourceRef="task" targetRef="end"/><endEvent id="end"/>""")
    assert any(reason in str(p) and ": task: " in str(p) for p in info.value.problems), info.value.problems


NOTIFY = """
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
<userTask id="task" name="Prüfen"><extensionElements>
  <camunda:taskListener event="create" class="de.muenchen.Benachrichtigung">
    <camunda:field name="empfaenger" expression="${sachbearbeitung}"/>
    <camunda:field name="betreff" stringValue="Neue Aufgabe"/>
  </camunda:taskListener>
  <camunda:executionListener event="end" expression="${statusService.setStatus(execution, 'geprüft')}"/>
</extensionElements></userTask>
<sequenceFlow id="f2" sourceRef="task" targetRef="end"/><endEvent id="end"/>"""
NOTIFY_MAPPING = {"delegates": {"de.muenchen.Benachrichtigung": "test.notify"},
                  "beans": {"statusService.setStatus": "test.status"}}


def test_listeners_mapped_to_connector_operations_call_them_after_the_commit(scenario: Scenario) -> None:
    scenario.connector.answer("notify", {"ignored": True})
    scenario.connector.answer("status", {})
    scenario.deploy_files([], mapping=NOTIFY_MAPPING, extra={"p.bpmn": model(NOTIFY)})
    case = scenario.start("p", {"sachbearbeitung": "sb1"}, business_key="AZ-1", run_jobs=False)
    assert scenario.connector.calls == []                     # nothing is called inside the transaction
    assert scenario.waits_at(case) == ["task"]                # and the case does not wait for the call
    scenario.run_jobs()
    [call] = scenario.connector.calls
    assert call.operation == "test.notify" and call.params == {"empfaenger": "sb1", "betreff": "Neue Aufgabe"}
    assert call.business_key == "AZ-1" and call.idempotency_key.startswith(f"{case}:listener:")
    assert "ignored" not in scenario.data(case)               # the answer is not case data
    scenario.complete(case, "task")
    assert [c.operation for c in scenario.connector.calls] == ["test.notify", "test.status"]
    assert scenario.status(case) == "completed"


def test_a_failing_listener_call_is_retried_with_the_same_key_and_ends_in_an_incident(scenario: Scenario) -> None:
    from datetime import timedelta

    from engine.services import incidents

    scenario.connector.fail_with("notify", "Postfach nicht erreichbar")
    scenario.connector.answer("status", {})
    scenario.deploy_files([], mapping=NOTIFY_MAPPING, extra={"p.bpmn": model(NOTIFY)})
    case = scenario.start("p", {"sachbearbeitung": "sb1"})
    for _ in range(10):
        scenario.advance(timedelta(hours=1))
    keys = {c.idempotency_key for c in scenario.connector.calls}
    assert len(scenario.connector.calls) > 1 and len(keys) == 1
    open_incidents = [i for i in incidents.list_incidents(scenario.engine) if i["case_id"] == case]
    assert open_incidents and "Postfach nicht erreichbar" in open_incidents[0]["message"]
    assert scenario.waits_at(case) == ["task"]                # the case itself goes on


def test_unmapped_java_listeners_deploy_with_warnings_and_leave_an_incident_when_they_fire(scenario: Scenario) -> None:
    """Camunda deploys listeners whose classes or beans do not exist and fails when they fire;
    amtsflow deploys them with a warning naming the camunda-mapping.json entry, and a listener
    that fires runs as the job of a mapped listener would, which fails at once with an incident
    (the case does not wait for a listener's call, mapped or not)."""
    from engine.services import incidents

    result = scenario.deploy_files([], extra={"p.bpmn": model(NOTIFY)})
    text = "\n".join(str(w) for w in result.warnings)
    assert '{"delegates": {"de.muenchen.Benachrichtigung": "connector.operation"}}' in text
    assert 'declare "statusService.setStatus" under "beans"' in text
    assert text.count("a case that reaches it stops with an incident") == 2
    case = scenario.start("p", {"sachbearbeitung": "sb1"})
    assert scenario.waits_at(case) == ["task"] and scenario.connector.calls == []
    [incident] = incidents.list_incidents(scenario.engine, case_id=case)
    assert "Java delegate 'de.muenchen.Benachrichtigung' is mapped to no connector operation" in incident["message"]
    assert incident["element_id"] == "task"
    scenario.complete(case, "task")
    messages = sorted(i["message"] for i in incidents.list_incidents(scenario.engine, case_id=case))
    assert len(messages) == 2 and "bean method 'statusService.setStatus'" in messages[1]


def test_unknown_listener_operations_are_refused(scenario: Scenario) -> None:
    with pytest.raises(DeploymentError, match="unknown connector operation 'nix.da'"):
        scenario.deploy_files([], mapping={"delegates": {"de.muenchen.Benachrichtigung": "nix.da"},
                                           "beans": {"statusService.setStatus": "test.status"}},
                              extra={"p.bpmn": model(NOTIFY)})


def test_javascript_input_and_output_parameters(scenario: Scenario) -> None:
    """inputOutput script values in JavaScript (the script_value hook of io_mapping): the completion
    value is the parameter's value; inputs are local to the task, outputs reach the case."""
    deploy(scenario, """
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
<userTask id="task"><extensionElements><camunda:inputOutput>
  <camunda:inputParameter name="anrede"><camunda:script scriptFormat="javascript">
    (geschlecht === 'w' ? 'Frau ' : 'Herr ') + name</camunda:script></camunda:inputParameter>
  <camunda:outputParameter name="brief"><camunda:script scriptFormat="javascript">
    'Sehr geehrte(r) ' + anrede + ', ' + execution.getVariable('text')</camunda:script></camunda:outputParameter>
</camunda:inputOutput></extensionElements></userTask>
<sequenceFlow id="f2" sourceRef="task" targetRef="end"/><endEvent id="end"/>""")
    case = scenario.start("p", {"geschlecht": "w", "name": "Musterfrau"})
    assert "anrede" not in scenario.data(case)
    scenario.complete(case, "task", {"text": "Ihr Antrag ist da."})
    data = scenario.data(case)
    assert data["brief"] == "Sehr geehrte(r) Frau Musterfrau, Ihr Antrag ist da." and "anrede" not in data


def test_multi_instance_listeners_run_per_instance(scenario: Scenario) -> None:
    """Camunda runs an activity's listeners for each instance of a multi-instance activity, not
    for the multi-instance body (observed through listeners mapped to connector operations:
    instance variables stay in the instance here, as SpiffWorkflow keeps them)."""
    scenario.deploy_files([], mapping={"delegates": {"org.acme.Start": "test.noop", "org.acme.Create": "test.lookup",
                                                     "org.acme.End": "test.noop"}}, extra={"p.bpmn": model("""
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
<userTask id="task"><extensionElements>
  <camunda:executionListener event="start" class="org.acme.Start"/>
  <camunda:taskListener event="create" class="org.acme.Create"/>
  <camunda:executionListener event="end" class="org.acme.End"/></extensionElements>
  <multiInstanceLoopCharacteristics isSequential="true"><loopCardinality>3</loopCardinality>
  </multiInstanceLoopCharacteristics></userTask>
<sequenceFlow id="f2" sourceRef="task" targetRef="end"/><endEvent id="end"/>""")})
    case = scenario.start("p")
    for _ in range(3):
        scenario.complete(case, "task")
    assert scenario.status(case) == "completed"
    operations = [c.operation for c in scenario.connector.calls]   # jobs of one step run in any order
    assert sorted(operations) == ["test.lookup"] * 3 + ["test.noop"] * 6


def test_a_boundary_event_is_entered_only_when_it_fires(scenario: Scenario) -> None:
    """Its start listener does not run while it merely waits (observed through a mapped listener:
    the variables of a boundary event that never fires would not reach the case anyway)."""
    from datetime import timedelta

    scenario.deploy_files([], mapping={"delegates": {"org.acme.Frist": "test.noop"}}, extra={"p.bpmn": model("""
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
<userTask id="task"/><sequenceFlow id="f2" sourceRef="task" targetRef="end"/><endEvent id="end"/>
<boundaryEvent id="frist" attachedToRef="task" cancelActivity="false"><extensionElements>
  <camunda:executionListener event="start" class="org.acme.Frist"/></extensionElements>
  <timerEventDefinition><timeDuration>P14D</timeDuration></timerEventDefinition></boundaryEvent>
<sequenceFlow id="f3" sourceRef="frist" targetRef="ende2"/><endEvent id="ende2"/>""")})
    case = scenario.start("p")
    assert scenario.connector.calls == []
    scenario.advance(timedelta(days=15))
    assert len(scenario.connector.calls) == 1          # now it fired
    scenario.complete(case, "task")
    assert scenario.status(case) == "completed" and len(scenario.connector.calls) == 1


def test_listeners_per_token_at_a_join_are_refused(scenario: Scenario) -> None:
    join = f"""
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="fork"/><parallelGateway id="fork"/>
<sequenceFlow id="a" sourceRef="fork" targetRef="join"><extensionElements>{log("execution", "take", "a")}
  </extensionElements></sequenceFlow>
<sequenceFlow id="b" sourceRef="fork" targetRef="join"/>
<parallelGateway id="join"><extensionElements>{log("execution", "start", "join")}</extensionElements>
  </parallelGateway><sequenceFlow id="f2" sourceRef="join" targetRef="end"/><endEvent id="end"/>"""
    with pytest.raises(DeploymentError) as info:
        deploy(scenario, join)
    problems = [str(p) for p in info.value.problems]
    assert len(problems) == 2 and all("joining gateway 'join'" in p for p in problems)
