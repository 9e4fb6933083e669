"""Ported from Camunda 7's ExternalScriptTaskTest (camunda-engine-tests: bpmn/scripttask): script
tasks load ``camunda:resource`` when they run, from the deployment (``deployment://``), the class
path (``classpath://`` or no scheme; here: the deployment's files too) or a path given as an
expression. A missing resource fails the run (an incident), not the deployment. The Java test
deploys a greeting.py of its own; the script file here is ours. SQLite and PostgreSQL, case cache
off (each wait is a save/restore)."""

from __future__ import annotations

import re

import pytest

from engine.domain.errors import DeploymentError, WorkflowFailure
from engine.services import compat
from tests.camunda_scenarios.conftest import CAMUNDA_TESTS, Scenario, corpus_file

ST = "scripttask/ExternalScriptTaskTest."
GREETING = "Greetings Camunda Platform speaking"
GREETING_PY = {"greeting.py": f"greeting = '{GREETING}'\n".encode()}
PATH = "org/camunda/bpm/engine/test/bpmn/scripttask/greeting.py"


def greets(scenario: Scenario, case: str) -> None:
    assert scenario.status(case) == "waiting", scenario.case(case)
    assert scenario.waits_at(case) == ["userTask"]
    assert scenario.data(case)["greeting"] == GREETING
    scenario.complete(case, "userTask")
    assert scenario.status(case) == "completed"


@pytest.mark.parametrize("test", ["testDefaultExternalScript", "testScriptInClasspath", "testScriptInDeployment"])
def test_ExternalScriptTaskTest_fixed_resource(scenario: Scenario, test: str) -> None:
    """ExternalScriptTaskTest.testDefaultExternalScript / testScriptInClasspath / testScriptInDeployment:
    the script file deployed with the model runs (no scheme, classpath:// and deployment://)."""
    scenario.deploy_camunda(f"{ST}{test}.bpmn20.xml", extra=GREETING_PY)
    greets(scenario, scenario.start("process"))


def test_ExternalScriptTaskTest_testScriptInDeploymentAfterCacheWasCleaned(scenario: Scenario) -> None:
    """ExternalScriptTaskTest.testScriptInDeploymentAfterCacheWasCleaned: the definition is read again
    from the stored deployment (the case cache is off) and still finds its script file."""
    scenario.deploy_camunda(f"{ST}testScriptInDeployment.bpmn20.xml", extra=GREETING_PY)
    greets(scenario, scenario.start("process"))
    greets(scenario, scenario.start("process"))


@pytest.mark.parametrize(("test", "path"), [
    ("testDefaultExternalScriptAsVariable", PATH),
    ("testScriptInClasspathAsVariable", f"classpath://{PATH}"),
    ("testScriptInDeploymentAsVariable", f"deployment://{PATH}"),
])
def test_ExternalScriptTaskTest_resource_as_variable(scenario: Scenario, test: str, path: str) -> None:
    """ExternalScriptTaskTest.testDefaultExternalScriptAsVariable / testScriptInClasspathAsVariable /
    testScriptInDeploymentAsVariable: camunda:resource="${scriptPath}" is resolved when the task runs."""
    scenario.deploy_camunda(f"{ST}{test}.bpmn20.xml", extra=GREETING_PY)
    greets(scenario, scenario.start("process", {"scriptPath": path}))


def test_ExternalScriptTaskTest_testDefaultExternalScriptAsNonExistingVariable(scenario: Scenario) -> None:
    """ExternalScriptTaskTest.testDefaultExternalScriptAsNonExistingVariable: without the variable the
    run fails naming it (Camunda: "Cannot resolve identifier 'scriptPath'")."""
    scenario.deploy_camunda(f"{ST}testDefaultExternalScriptAsVariable.bpmn20.xml", extra=GREETING_PY)
    case = scenario.start("process")
    assert scenario.status(case) == "failed"
    assert "scriptPath" in (scenario.case(case).get("error") or "")
    assert "greeting" not in scenario.data(case)


@pytest.mark.parametrize(("test", "path"), [
    ("testScriptNotFoundInClasspath", "classpath://org/camunda/bpm/engine/test/bpmn/scripttask/notexisting.py"),
    ("testScriptNotFoundInDeployment", "deployment://org/camunda/bpm/engine/test/bpmn/scripttask/notexisting.py"),
])
def test_ExternalScriptTaskTest_resource_not_found(scenario: Scenario, test: str, path: str) -> None:
    """ExternalScriptTaskTest.testScriptNotFoundInClasspath / testScriptNotFoundInDeployment: the model
    deploys (with a warning here); starting a case fails with "unable to find ... resource at path"."""
    result = scenario.deploy_camunda(f"{ST}{test}.bpmn20.xml", extra=GREETING_PY)
    assert any(path in w.message for w in result.warnings), result.warnings
    case = scenario.start("process")
    assert scenario.status(case) == "failed"
    case_view = scenario.case(case)
    assert f"unable to find the script resource at path '{path}'" in (case_view.get("error") or ""), case_view
    assert case_view["incidents"], case_view


@pytest.mark.parametrize("test", ["testDefaultExternalScriptAsBean", "testScriptInClasspathAsBean",
                                  "testScriptInDeploymentAsBean"])
def test_ExternalScriptTaskTest_resource_from_an_unmapped_bean(scenario: Scenario, test: str) -> None:
    """ExternalScriptTaskTest.*AsBean: the path comes from a Java bean. Unmapped, it deploys with a
    warning naming the beans entry of camunda-mapping.json that would declare it, and the script
    task fails with an incident naming the bean when a case reaches it."""
    result = scenario.deploy_camunda(f"{ST}{test}.bpmn20.xml", extra=GREETING_PY)
    assert any(re.search(r'declare "scriptResourceBean\.get\w*Resource" under "beans"', w.message)
               for w in result.warnings), result.warnings
    case = scenario.start("process")
    assert scenario.status(case) == "failed"
    assert re.search(r"bean method 'scriptResourceBean\.get\w*Resource' is mapped to no connector operation",
                     scenario.case(case).get("error") or "")
    assert "greeting" not in scenario.data(case)


def test_check_prints_the_missing_resource_as_a_warning_not_a_blocker() -> None:
    """amtsflow check: the model runs (no blocker); the missing file is named once as a warning."""
    report = compat.check_file(corpus_file(CAMUNDA_TESTS, f"{ST}testScriptNotFoundInDeployment.bpmn20.xml"))
    assert report.status == compat.RUNS, report.blockers
    notes = [n for n in report.notes if "notexisting.py" in n]
    assert len(notes) == 1 and "scriptClasspath" in notes[0], report.notes


# --- models of our own ----------------------------------------------------------------------------

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">\n')


def resource_model(script_format: str, resource: str) -> bytes:
    return (HEAD + '<process id="p" isExecutable="true"><startEvent id="start"/>'
            '<sequenceFlow id="f1" sourceRef="start" targetRef="script"/>'
            f'<scriptTask id="script" scriptFormat="{script_format}" camunda:resource="{resource}" '
            'camunda:resultVariable="ergebnis"/>'
            '<sequenceFlow id="f2" sourceRef="script" targetRef="task"/><userTask id="task"/>'
            '<sequenceFlow id="f3" sourceRef="task" targetRef="end"/><endEvent id="end"/></process></definitions>'
            ).encode()


def test_a_javascript_resource_chosen_by_a_variable_runs_with_its_result_variable(scenario: Scenario) -> None:
    scenario.deploy_files([], extra={
        "p.bpmn": resource_model("javascript", "${skript}"),
        "skripte/gebuehr.js": b"execution.setVariable('gebuehr', execution.getVariable('seiten') * 2); 'berechnet'",
        "skripte/anders.js": b"execution.setVariable('gebuehr', -1); 'anders'"})
    case = scenario.start("p", {"skript": "deployment://skripte/gebuehr.js", "seiten": 21})
    assert scenario.waits_at(case) == ["task"]
    assert scenario.data(case)["gebuehr"] == 42
    assert scenario.data(case)["ergebnis"] == "berechnet"


def test_a_variable_cannot_name_a_script_the_deployment_lacks(scenario: Scenario) -> None:
    """Data chooses among the deployment's own script files only; any other path is a missing resource."""
    scenario.deploy_files([], extra={"p.bpmn": resource_model("javascript", "${skript}"),
                                     "gebuehr.js": b"execution.setVariable('gebuehr', 1)"})
    case = scenario.start("p", {"skript": "classpath://etc/passwd"})
    assert scenario.status(case) == "failed"
    assert "unable to find the script resource at path 'classpath://etc/passwd'" in scenario.case(case)["error"]
    assert "gebuehr" not in scenario.data(case)


def test_a_resource_variable_that_is_no_text_fails_the_task(scenario: Scenario) -> None:
    scenario.deploy_files([], extra={"p.bpmn": resource_model("javascript", "${skript}"),
                                     "gebuehr.js": b"1"})
    case = scenario.start("p", {"skript": 7})
    assert scenario.status(case) == "failed"
    assert "not a script path" in scenario.case(case)["error"]


def test_a_missing_fixed_resource_deploys_and_the_file_deployed_later_is_used_by_the_new_version(
        scenario: Scenario) -> None:
    model = resource_model("javascript", "deployment://gebuehr.js")
    scenario.deploy_files([], extra={"p.bpmn": model})
    failed = scenario.start("p")
    assert scenario.status(failed) == "failed"
    scenario.deploy_files([], extra={"p.bpmn": model, "gebuehr.js": b"execution.setVariable('gebuehr', 5); 'ok'"})
    case = scenario.start("p")
    assert scenario.data(case)["gebuehr"] == 5
    assert scenario.data(case)["ergebnis"] == "ok"


def test_a_groovy_resource_stays_refused_with_how_to_rewrite_it(scenario: Scenario) -> None:
    with pytest.raises(DeploymentError, match="script language 'groovy' cannot run here; rewrite the script"):
        scenario.deploy_files([], extra={"p.bpmn": resource_model("groovy", "deployment://gebuehr.groovy")})


def mapped_model(resource: str, *, where: str = "output") -> bytes:
    """start -> user task 'task' whose output parameter (or start listener) is a JavaScript resource."""
    if where == "output":
        ext = ('<camunda:inputOutput><camunda:outputParameter name="gebuehr">'
               f'<camunda:script scriptFormat="javascript" resource="{resource}"/>'
               '</camunda:outputParameter></camunda:inputOutput>')
    else:
        ext = (f'<camunda:executionListener event="start"><camunda:script scriptFormat="javascript" '
               f'resource="{resource}"/></camunda:executionListener>')
    return (HEAD + '<process id="p" isExecutable="true"><startEvent id="start"/>'
            '<sequenceFlow id="f1" sourceRef="start" targetRef="task"/>'
            f'<userTask id="task"><extensionElements>{ext}</extensionElements></userTask>'
            '<sequenceFlow id="f2" sourceRef="task" targetRef="end"/><endEvent id="end"/></process></definitions>'
            ).encode()


def test_an_output_parameter_script_from_a_deployed_file_gives_the_value(scenario: Scenario) -> None:
    scenario.deploy_files([], extra={"p.bpmn": mapped_model("deployment://skripte/gebuehr.js"),
                                     "skripte/gebuehr.js": b"seiten * 2"})
    case = scenario.start("p")
    scenario.complete(case, "task", {"seiten": 4})
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["gebuehr"] == 8


def test_an_output_parameter_script_file_the_deployment_lacks_fails_the_activity(scenario: Scenario) -> None:
    """Camunda's rest-service example (parseHoliday.js in an output parameter, absent from the
    corpus): the model deploys, and evaluating the output fails the task, not silently."""
    result = scenario.deploy_files([], extra={"p.bpmn": mapped_model("parseHoliday.js")})
    assert any("parseHoliday.js" in w.message for w in result.warnings)
    case = scenario.start("p")
    assert scenario.waits_at(case) == ["task"]
    with pytest.raises(WorkflowFailure, match="unable to find the script resource at path 'parseHoliday.js'"):
        scenario.complete(case, "task", {"seiten": 4})
    assert scenario.waits_at(case) == ["task"]
    assert "gebuehr" not in scenario.data(case)


def test_a_listener_script_file_the_deployment_lacks_fails_the_case_when_it_runs(scenario: Scenario) -> None:
    scenario.deploy_files([], extra={"p.bpmn": mapped_model("deployment://protokoll.js", where="listener")})
    case = scenario.start("p")
    assert scenario.status(case) == "failed"
    assert "unable to find the script resource at path 'deployment://protokoll.js'" in scenario.case(case)["error"]


@pytest.mark.parametrize("where", ["output", "listener"])
def test_a_mapping_or_listener_script_path_from_an_expression_is_refused(scenario: Scenario, where: str) -> None:
    with pytest.raises(DeploymentError, match="only a script task can choose its script file by an expression"):
        scenario.deploy_files([], extra={"p.bpmn": mapped_model("${pfad}", where=where),
                                         "gebuehr.js": b"1"})


def test_a_script_file_in_a_language_that_cannot_run_is_refused_at_deploy(scenario: Scenario) -> None:
    """Camunda's xslt-scripttask example: scriptFormat="xslt" with a resource; it would otherwise be
    loaded and run as Python."""
    with pytest.raises(DeploymentError, match="script language 'xslt' cannot run here"):
        scenario.deploy_files([], extra={"p.bpmn": resource_model("xslt", "deployment://example.xsl")})


@pytest.mark.parametrize(("model", "case_ref"), [
    ("CaseCallActivityTest.testCallCaseAsConstant.bpmn20.xml", "oneTaskCase"),
    ("CaseCallActivityTest.testCallCaseAsExpressionStartsWithDollar.bpmn20.xml", "${oneTaskCase}"),
    ("CaseCallActivityTest.testCallLatestCase.bpmn20.xml", "oneTaskCase"),
])
def test_CaseCallActivityTest_a_cmmn_case_call_is_refused_naming_the_case(scenario: Scenario, model: str,
                                                                          case_ref: str) -> None:
    """CaseCallActivityTest (28 models): a call activity with camunda:caseRef starts a CMMN case, which
    cannot run here: refused at deploy naming the case, not "no calledElement"."""
    with pytest.raises(DeploymentError) as info:
        scenario.deploy_camunda(f"callactivity/{model}")
    messages = [p.message for p in info.value.problems if p.element_id == "callActivity"]
    assert messages == [f"call activity calls the CMMN case '{case_ref}' (camunda:caseRef); CMMN cases cannot run "
                        "here (only BPMN processes): model the case as a BPMN process and call it with calledElement"]


@pytest.mark.parametrize(("model", "message"), [
    ("iomapping/InputOutputTest.testInputExternalDeploymentScriptValue.bpmn",
     "input parameter 'var1': Groovy script cannot run here; rewrite the script in JavaScript"),
    ("iomapping/InputOutputTest.testInputExternalClasspathScriptValue.bpmn",
     "input parameter 'var1': Groovy script cannot run here; rewrite the script in JavaScript"),
    ("iomapping/InputOutputTest.testOutputExternalScriptValue.bpmn",
     "output parameter 'var1': Groovy script cannot run here; rewrite the script in JavaScript"),
    ("executionlistener/ExecutionListenerTest.testScriptResourceListener.bpmn20.xml",
     "execution listener (start): groovy script cannot run here; rewrite the script in JavaScript"),
    ("tasklistener/TaskListenerTest.testScriptResourceListener.bpmn20.xml",
     "task listener (create): groovy script cannot run here; rewrite the script in JavaScript"),
])
def test_groovy_script_resources_are_refused_for_their_language(scenario: Scenario, model: str,
                                                                message: str) -> None:
    """InputOutputTest.test{Input,Output}External*ScriptValue, ExecutionListenerTest and
    TaskListenerTest.testScriptResourceListener: Groovy files; refused for the language (with how to
    rewrite it), whether or not the file is there, never run."""
    with pytest.raises(DeploymentError) as info:
        scenario.deploy_camunda(model)
    assert any(message in p.message for p in info.value.problems), info.value.problems
