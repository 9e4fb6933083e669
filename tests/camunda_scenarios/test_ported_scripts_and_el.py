"""Ported from Camunda 7's ScriptTaskTest, ScriptTaskGraalJsTest, ScriptTaskNashornTest and
ExpressionManagerTest (camunda-engine-tests: bpmn/scripttask, bpmn/el). Corpus models are read
from ../shared/corpus; where the Java test builds its model in code, the same model is written
here. Each test names the Java test it ports; SQLite and PostgreSQL, case cache off."""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError
from tests.camunda_scenarios.conftest import Scenario
from tests.integration.helpers import MODELS

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">\n')


def script_process(script_format: str | None, script: str, *, result_variable: str = "") -> bytes:
    """AbstractScriptTaskTest.createProcess: start -> script task -> user task -> end ('testProcess')."""
    fmt = f' scriptFormat="{script_format}"' if script_format is not None else ""
    result = f' camunda:resultVariable="{result_variable}"' if result_variable else ""
    return (HEAD + '<process id="testProcess" isExecutable="true"><startEvent id="start"/>'
            '<sequenceFlow id="f1" sourceRef="start" targetRef="script"/>'
            f'<scriptTask id="script"{fmt}{result}><script><![CDATA[{script}]]></script></scriptTask>'
            '<sequenceFlow id="f2" sourceRef="script" targetRef="task"/><userTask id="task"/>'
            '<sequenceFlow id="f3" sourceRef="task" targetRef="end"/><endEvent id="end"/></process></definitions>'
            ).encode()


def deploy_script(scenario: Scenario, script_format: str | None, script: str, **kwargs: str) -> None:
    scenario.deploy_files([], extra={"testProcess.bpmn": script_process(script_format, script, **kwargs)})


def refused(scenario: Scenario, *relative: str) -> list[str]:
    with pytest.raises(DeploymentError) as info:
        scenario.deploy_camunda(*relative)
    return [str(p) for p in info.value.problems]


VISIBILITY = ("execution.setVariable('foo', 'a');"
              "if (typeof foo !== 'undefined') { throw 'Variable foo should not be a script variable yet.'; }"
              "var foo = 'b';"
              "if (execution.getVariable('foo') != 'a') { throw 'Execution should contain variable foo'; }"
              "if (foo != 'b') { throw 'Script variable must override the visibility of the execution variable.'; }")
JAVASCRIPT_FORMATS = ["javascript", "graal.js", "nashorn"]
PORTS = {"javascript": "ScriptTaskTest", "graal.js": "ScriptTaskGraalJsTest", "nashorn": "ScriptTaskNashornTest"}


@pytest.mark.parametrize("script_format", JAVASCRIPT_FORMATS)
def test_ScriptTaskTest_testJavascriptProcessVarVisibility(scenario: Scenario, script_format: str) -> None:
    """ScriptTaskTest / ScriptTaskGraalJsTest / ScriptTaskNashornTest.testJavascriptProcessVarVisibility:
    a script variable shadows an execution variable without changing it."""
    deploy_script(scenario, script_format, VISIBILITY)
    case = scenario.start("testProcess")
    assert scenario.status(case) == "waiting"
    assert scenario.data(case)["foo"] == "a"


@pytest.mark.parametrize("script_format", JAVASCRIPT_FORMATS)
def test_ScriptTaskTest_testJavascriptFunctionInvocation(scenario: Scenario, script_format: str) -> None:
    """...testJavascriptFunctionInvocation: a function defined in the script can be called."""
    deploy_script(scenario, script_format, "function sum(a,b){ return a+b; }; var result = sum(1,2);"
                                           "execution.setVariable('foo', result);")
    case = scenario.start("testProcess")
    assert scenario.data(case)["foo"] in (3, 3.0)


@pytest.mark.parametrize("script_format", JAVASCRIPT_FORMATS)
def test_ScriptTaskTest_testJsVariable(scenario: Scenario, script_format: str) -> None:
    """...testJsVariable (and testAutoStoreScriptVarsOff): 'var foo = 1' does not become a process variable."""
    deploy_script(scenario, script_format, "var foo = 1;")
    case = scenario.start("testProcess")
    assert scenario.status(case) == "waiting"
    assert "foo" not in scenario.data(case)


@pytest.mark.parametrize("script_format", JAVASCRIPT_FORMATS)
def test_ScriptTaskTest_testJavascriptVariableSerialization(scenario: Scenario, script_format: str) -> None:
    """...testJavascriptVariableSerialization: 'new java.util.Date(0)' needs Java, which the sandbox has
    not: refused at deploy with the plain-JavaScript alternative; new Date(0) is stored as ISO text."""
    with pytest.raises(DeploymentError, match=r"uses Java \('java.util.Date'\)"):
        deploy_script(scenario, script_format, "execution.setVariable('date', new java.util.Date(0));")
    deploy_script(scenario, script_format, "execution.setVariable('date', new Date(0));")
    case = scenario.start("testProcess")
    assert scenario.data(case)["date"] == "1970-01-01T00:00:00.000Z"


@pytest.mark.parametrize("script_format", ["juel", "JUEL"])
def test_ScriptTaskTest_testJuelExpression(scenario: Scenario, script_format: str) -> None:
    """ScriptTaskTest.testJuelExpression / testJuelCapitalizedExpression: a JUEL script task."""
    deploy_script(scenario, script_format, "${execution.setVariable('foo', 'bar')}")
    case = scenario.start("testProcess")
    assert scenario.data(case)["foo"] == "bar"


def test_ScriptTaskTest_testShouldUseJuelAsDefaultScriptLanguage(scenario: Scenario) -> None:
    """ScriptTaskTest.testShouldUseJuelAsDefaultScriptLanguage: no scriptFormat, '${true}' runs as JUEL."""
    deploy_script(scenario, None, "${true}")
    case = scenario.start("testProcess")
    assert scenario.waits_at(case) == ["task"]


def test_ScriptTaskTest_testSetScriptResultToProcessVariable(scenario: Scenario) -> None:
    """ScriptTaskTest.testSetScriptResultToProcessVariable (corpus model): camunda:resultVariable."""
    scenario.deploy_camunda("scripttask/ScriptTaskTest.testSetScriptResultToProcessVariable.bpmn20.xml")
    case = scenario.start("setScriptResultToProcessVariable", {"echo": "hello", "existingProcessVariableName": "one"})
    data = scenario.data(case)
    assert data["existingProcessVariableName"] == "hello"
    assert data["newProcessVariableName"] == case     # #{execution.id}: the process instance
    assert scenario.waits_at(case) == ["theTask"]


def test_ScriptTaskTest_testGroovyScriptExecution(scenario: Scenario) -> None:
    """ScriptTaskTest.testGroovyScriptExecution (corpus): Groovy stays refused, saying how to rewrite it."""
    problems = refused(scenario, "scripttask/ScriptTaskTest.testGroovyScriptExecution.bpmn20.xml")
    assert any("script language 'groovy' cannot run here; rewrite the script in JavaScript" in p for p in problems)


def test_ScriptTaskTest_testGroovySetVariableThroughExecutionInScript(scenario: Scenario) -> None:
    """ScriptTaskTest.testGroovySetVariableThroughExecutionInScript (corpus): refused; the same script in
    JavaScript sets myVar through execution and keeps the script variable local."""
    problems = refused(scenario, "scripttask/ScriptTaskTest.testGroovySetVariableThroughExecutionInScript.bpmn20.xml")
    assert any("groovy" in p and "JavaScript" in p for p in problems)
    deploy_script(scenario, "javascript", "var scriptVar = 'test'; execution.setVariable('myVar', scriptVar + '123');")
    case = scenario.start("testProcess")
    assert scenario.data(case)["myVar"] == "test123" and "scriptVar" not in scenario.data(case)


def test_ScriptTaskTest_testScriptEvaluationException(scenario: Scenario) -> None:
    """ScriptTaskTest.testScriptEvaluationException: the corpus model (Groovy) is refused per task; a
    failing JavaScript task fails the case with a message naming the activity."""
    problems = refused(scenario, "scripttask/ScriptTaskTest.testScriptEvaluationException.bpmn")
    assert {p.split(": ")[1] for p in problems if "groovy" in p} == {"Success1", "Failing", "Success2"}
    deploy_script(scenario, "javascript", "execution.setVariable('foobar', 'abc'); undefinedFunction();")
    case = scenario.start("testProcess")
    assert scenario.status(case) == "failed"
    assert "script" in scenario.case(case)["error"] and "undefinedFunction" in scenario.case(case)["error"]


def test_ScriptTaskTest_testPreviousTaskShouldNotHandleException(scenario: Scenario) -> None:
    """ScriptTaskTest.testPreviousTaskShouldNotHandleException (corpus): the invalid timer
    'time is just a concept' is an invalid-format error (here at deploy, naming the timer)."""
    problems = refused(scenario, "scripttask/ScriptTaskTest.testPreviousTaskShouldNotHandleException.bpmn")
    assert any("timer 'time is just a concept'" in p and "is not an ISO 8601" in p for p in problems)


def test_ScriptTaskTest_testShouldNotDeployProcessWithMissingScriptElementAndResource(scenario: Scenario) -> None:
    """ScriptTaskTest.testShouldNotDeployProcessWithMissingScriptElementAndResource: not deployable."""
    xml = script_process("javascript", "").replace(b"<script><![CDATA[]]></script>", b"")
    with pytest.raises(DeploymentError):
        scenario.deploy_files([], extra={"testProcess.bpmn": xml})


def test_ScriptTaskTest_testSourceAsExpressionAsVariable(scenario: Scenario) -> None:
    """ScriptTaskTest.testSourceAsExpressionAsVariable: script text taken from a variable would run data
    as code; refused at deploy."""
    with pytest.raises(DeploymentError):
        deploy_script(scenario, "python", "${scriptSource}")


def test_ScriptTaskGraalJsTest_shouldLoadExternalScript(scenario: Scenario) -> None:
    """ScriptTaskGraalJsTest/NashornTest.shouldLoadExternalScript: loading scripts (load()) is no host
    access the sandbox gives; the script fails instead of reading a file."""
    deploy_script(scenario, "javascript", "load('test.js'); execution.setVariable('loaded', true);")
    case = scenario.start("testProcess")
    assert scenario.status(case) == "failed" and "load" in scenario.case(case)["error"]


# ------------------------------------------------------------------------ ExpressionManagerTest

def test_ExpressionManagerTest_testMethodExpressions(scenario: Scenario) -> None:
    """ExpressionManagerTest.testMethodExpressions (corpus): ${aString.substring(3,7)} and
    ${aString.toString()} as service task expressions; the case completes."""
    scenario.deploy_camunda("el/ExpressionManagerTest.testMethodExpressions.bpmn20.xml")
    case = scenario.start("methodExpressionProcess", {"aString": "abcdefgh"})
    assert scenario.status(case) == "completed"


def test_ExpressionManagerTest_testResolvesVariablesFromDifferentScopes(scenario: Scenario) -> None:
    """ExpressionManagerTest.testResolvesVariablesFromDifferentScopes (corpus): ${assignee} per case."""
    scenario.deploy_camunda("el/ExpressionManagerTest.testResolvesVariablesFromDifferentScopes.bpmn20.xml")
    first = scenario.start("oneTaskProcess", {"assignee": "michael"})
    second = scenario.start("oneTaskProcess", {"assignee": "johnny"})
    assert scenario.task(first, "theTask")["assignee"] == "michael"
    assert scenario.task(second, "theTask")["assignee"] == "johnny"


def test_ExpressionManagerTest_testAuthenticatedUserIdAvailable(scenario: Scenario) -> None:
    """ExpressionManagerTest.testAuthenticatedUserIdAvailable (corpus): the starting user."""
    scenario.deploy_camunda("el/ExpressionManagerTest.testAuthenticatedUserIdAvailable.bpmn20.xml")
    case = scenario.start("testAuthenticatedUserIdAvailableProcess", actor="frederik")
    assert scenario.data(case)["theUser"] == "frederik"


def test_ExpressionManagerTest_testExecutionAvailable(scenario: Scenario) -> None:
    """ExpressionManagerTest.testExecutionAvailable (corpus): ${myVar.testMethod(execution)} calls a Java
    object; here an undeclared bean: deployed with a warning naming it and the mapping entry, and the
    case stops at that task with an incident naming the expression (Camunda fails there too, with no bean)."""
    result = scenario.deploy_camunda("el/ExpressionManagerTest.testExecutionAvailable.bpmn20.xml")
    warnings = [str(w) for w in result.warnings]
    assert any('servicetask1' in w and 'declare "myVar.testMethod" under "beans"' in w for w in warnings), warnings
    case = scenario.start("testExecutionAvailableProcess")
    assert scenario.status(case) == "failed"
    [incident] = scenario.case(case)["incidents"]   # the whole expression: a delegate the worker cannot call
    assert "the Java delegate 'myVar.testMethod(execution)' is mapped to no connector operation" in incident["message"]


def test_ExpressionManagerTest_shouldResolveMethodExpressionTwoParametersSameType(scenario: Scenario) -> None:
    """ExpressionManagerTest.shouldResolveMethodExpressionTwoParametersSameType (corpus): with the bean
    declared as an engine function in camunda-mapping.json, both method expressions run."""
    scenario.deploy_camunda("el/ExpressionManagerTest.shouldResolveMethodExpressionTwoParametersSameType.bpmn20.xml",
                            mapping={"beans": {"myVar.testMethod": "max"}})
    case = scenario.start("process")
    assert scenario.data(case)["task1Var"] == "invoiceNumber"   # max('invoiceNumber', 'NO-123')
    assert scenario.data(case)["task2Var"] == "lastParam"


def test_ExpressionManagerTest_testSetVariableByExpressionFromListener(scenario: Scenario) -> None:
    """ExpressionManagerTest.testSetVariableByExpressionFromListener: an end listener increases the
    counter (the corpus model's Java listener is only deployed with a warning; the same step as an
    expression listener runs)."""
    result = scenario.deploy_camunda("el/ExpressionManagerTest.testSetVariableByExpressionFromListener.bpmn20.xml")
    assert any("ValueIncreasingListener' is Java code" in str(w) for w in result.warnings), result.warnings
    xml = (HEAD + '<process id="fieldInjectionTest" isExecutable="true"><startEvent id="s"/>'
           '<sequenceFlow id="f1" sourceRef="s" targetRef="A"/><userTask id="A"><extensionElements>'
           '<camunda:executionListener event="end" expression="${execution.setVariable(\'myCounter\', myCounter + 1)}"/>'
           '</extensionElements></userTask><sequenceFlow id="f2" sourceRef="A" targetRef="e"/><endEvent id="e"/>'
           '</process></definitions>').encode()
    scenario.deploy_files([], extra={"p.bpmn": xml})
    case = scenario.start("fieldInjectionTest", {"myCounter": 5})
    scenario.complete(case, "A")
    assert scenario.data(case)["myCounter"] == 6


def test_ExternalScriptTaskTest_testScriptInDeployment(scenario: Scenario) -> None:
    """ExternalScriptTaskTest.testScriptInDeployment: camunda:resource="deployment://..." loads the
    script from a file of the same deployment (a JavaScript file here; the corpus uses Python)."""
    xml = script_process("javascript", "").replace(
        b'<scriptTask id="script" scriptFormat="javascript"><script><![CDATA[]]></script></scriptTask>',
        b'<scriptTask id="script" scriptFormat="javascript" '
        b'camunda:resource="deployment://org/camunda/bpm/engine/test/bpmn/scripttask/greeting.js"/>')
    scenario.deploy_files([], extra={"testProcess.bpmn": xml,
                                     "scripts/org/camunda/bpm/engine/test/bpmn/scripttask/greeting.js":
                                         b"execution.setVariable('greeting', 'Greetings ' + name + '!');"})
    case = scenario.start("testProcess", {"name": "Camunda"})
    assert scenario.data(case)["greeting"] == "Greetings Camunda!"
    scenario.complete(case, "task")                   # a later command re-reads the stored definition
    assert scenario.status(case) == "completed"


# ExternalScriptTaskTest's missing and variable resources: test_ported_script_resources.py (loaded
# when the task runs, as in Camunda: a missing file fails the run, not the deployment).


def gateway_process(condition_true: str, condition_false: str) -> bytes:
    """start -> exclusive gateway -> (true) user task | (false) end, as the Java tests build it."""
    return (HEAD + '<process id="testProcess" isExecutable="true"><startEvent id="start"/>'
            '<sequenceFlow id="f0" sourceRef="start" targetRef="gw"/><exclusiveGateway id="gw"/>'
            f'<sequenceFlow id="t" sourceRef="gw" targetRef="userTask"><conditionExpression>{condition_true}'
            '</conditionExpression></sequenceFlow><userTask id="userTask"/>'
            f'<sequenceFlow id="f" sourceRef="gw" targetRef="end"><conditionExpression>{condition_false}'
            '</conditionExpression></sequenceFlow><endEvent id="end"/>'
            '<sequenceFlow id="f2" sourceRef="userTask" targetRef="end2"/><endEvent id="end2"/>'
            '</process></definitions>').encode()


def test_ExpressionManagerTest_testJuelExpressionWithNonPublicClass(scenario: Scenario) -> None:
    """ExpressionManagerTest.testJuelExpressionWithNonPublicClass: ${list.contains('foo')} on a list."""
    scenario.deploy_files([], extra={"p.bpmn": gateway_process("${list.contains('foo')}", "${!list.contains('foo')}")})
    case = scenario.start("testProcess", {"list": ["foo", "bar"]})
    assert scenario.waits_at(case) == ["userTask"]


def test_ExpressionManagerTest_shouldCompareWithBigDecimal(scenario: Scenario) -> None:
    """ExpressionManagerTest.shouldCompareWithBigDecimal: ${total.compareTo(myValue) >= 0}."""
    scenario.deploy_files([], extra={"p.bpmn": gateway_process("${total.compareTo(myValue) &gt;= 0}",
                                                               "${total.compareTo(myValue) &lt; 0}")})
    case = scenario.start("testProcess", {"total": 123, "myValue": 0})
    assert scenario.waits_at(case) == ["userTask"]
    other = scenario.start("testProcess", {"total": 1.5, "myValue": 2})
    assert scenario.status(other) == "completed"


def test_execution_get_process_instance_gives_the_case_own_execution(scenario):
    """``${execution.getProcessInstance().getId()}`` (how municipal models pass the case id on):
    the case's own execution, whose id is the case id, whose business key is the case's, and
    which stands at no activity."""
    scenario.deploy_files([MODELS / "camunda" / "process_instance" / "prozessinstanz.bpmn"])
    case = scenario.start("vorgang_im_kontext", business_key="AZ-2026-17")
    scenario.complete(case, "task")
    data = scenario.data(case)
    assert data["vorgangKopie"] == case and data["schluesselKopie"] == "AZ-2026-17"
    assert data["aktivitaet"] is None
