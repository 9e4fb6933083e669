"""bench/compat_corpus.py: which corpus models count as executable, how blockers group."""

from __future__ import annotations

from pathlib import Path

from bench.compat_corpus import blocker_group, executable, invalid_models

JAVA = '''
    @Test
    public void testDuplicateSignalNames() {
        assertThatThrownBy(() -> repositoryService.createDeployment()
                .addClasspathResource("org/x/SignalEventTests.duplicateSignalNames.bpmn20.xml").deploy())
                .isInstanceOf(Exception.class);
    }

    @Test
    public void testOldStyle() {
        String resource = "org/x/TaskAssignmentTest.testInvalid.bpmn20.xml";
        try {
            repositoryService.createDeployment().addClasspathResource(resource).deploy();
            fail("exception expected");
        } catch (ParseException e) {
        }
    }

    @Test
    public void testDeploysFine() {
        repositoryService.createDeployment().addClasspathResource("org/x/Fine.bpmn20.xml").deploy();
        assertThat(runtimeService.startProcessInstanceByKey("fine")).isNotNull();
    }
'''

PROCESS = ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p" {attr}>'
           '<startEvent id="s"/></process></definitions>')


def test_models_whose_deployment_the_java_tests_expect_to_fail(tmp_path: Path) -> None:
    (tmp_path / "java").mkdir()
    (tmp_path / "java" / "SomeTest.java").write_text(JAVA)
    assert invalid_models(tmp_path) == {"SignalEventTests.duplicateSignalNames.bpmn20.xml",
                                        "TaskAssignmentTest.testInvalid.bpmn20.xml"}
    fine = tmp_path / "Fine.bpmn20.xml"
    fine.write_text(PROCESS.format(attr=""))
    assert executable(fine, tmp_path) == (True, "")
    refused = tmp_path / "SignalEventTests.duplicateSignalNames.bpmn20.xml"
    refused.write_text(PROCESS.format(attr=""))
    assert executable(refused, tmp_path)[0] is False
    documentation = tmp_path / "Doc.bpmn"
    documentation.write_text(PROCESS.format(attr='isExecutable="false"'))
    assert executable(documentation, tmp_path) == (False, 'no executable process (isExecutable="false")')


def test_blockers_group_without_their_particulars() -> None:
    one = blocker_group("camunda:class='org.acme.A' is Java code and cannot run here; map it to a connector "
                        "operation in camunda-mapping.json: {\"delegates\": {\"org.acme.A\": \"c.o\"}}")
    two = blocker_group("camunda:class='org.acme.B' is Java code and cannot run here; map it to a connector "
                        "operation in camunda-mapping.json: {\"delegates\": {\"org.acme.B\": \"c.o\"}}")
    assert one == two == "camunda:class=… is Java code and cannot run here"
    assert blocker_group("syntax error: invalid syntax (line 3)") == "syntax error: invalid syntax (line N)"


CAMUNDA_PARSE_TESTS = '''
    @Test
    public void testInvalidSubProcessWithErrorStartEvent() {
        try {
            String resource = TestHelper.getBpmnProcessDefinitionResource(getClass(), "testInvalidSubProcessWithErrorStartEvent");
            repositoryService.createDeployment().name(resource).addClasspathResource(resource).deploy();
            fail("Exception expected");
        } catch (ParseException e) {
        }
    }

    @Test
    public void testInvalidListener() {
        String resource = TestHelper.getBpmnProcessDefinitionResource(getClass(), "testInvalidListener");
        DeploymentBuilder deploymentBuilder = repositoryService.createDeployment().addClasspathResource(resource);
        try {
            deploymentBuilder.deploy();
        } catch (ParseException e) {
            testRule.assertTextPresent("Attribute 'class' cannot be empty", e.getMessage());
        }
    }

    @Test
    public void testWithoutTtlWithMalformedConfigDefault() {
        processEngineConfiguration.setHistoryTimeToLive("PP555DDD");
        try {
            String resource = TestHelper.getBpmnProcessDefinitionResource(getClass(), "testWithoutTtl");
            repositoryService.createDeployment().name(resource).addClasspathResource(resource).deploy();
            fail("Exception expected");
        } catch (ParseException e) {
        }
    }
'''


def test_camunda_testhelper_resources_and_caught_parse_exceptions(tmp_path: Path) -> None:
    """Camunda's BpmnParseTest names its models through TestHelper and catches ParseException;
    a model that fails only under the test's own engine configuration stays executable."""
    (tmp_path / "java").mkdir()
    (tmp_path / "java" / "BpmnParseTest.java").write_text(CAMUNDA_PARSE_TESTS)
    invalid = invalid_models(tmp_path)
    assert "BpmnParseTest.testInvalidSubProcessWithErrorStartEvent.bpmn" in invalid
    assert "BpmnParseTest.testInvalidListener.bpmn20.xml" in invalid
    assert not any("testWithoutTtl" in name for name in invalid)


RAW_MODEL = ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
             'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t"><process id="p" isExecutable="true">'
             '<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="u"/>'
             '<userTask id="u"><extensionElements><camunda:formData>'
             '<camunda:formField id="ok" type="boolean"/></camunda:formData></extensionElements></userTask>'
             '<sequenceFlow id="f2" sourceRef="u" targetRef="{next}"/>'
             '<serviceTask id="j" camunda:class="org.acme.Delegate"/>'
             '<sequenceFlow id="f3" sourceRef="j" targetRef="g"/>'
             '<exclusiveGateway id="g"/>'
             '<sequenceFlow id="f4" sourceRef="g" targetRef="e"><conditionExpression>{cond}</conditionExpression>'
             '</sequenceFlow><endEvent id="e"/></process></definitions>')


def test_raw_spiffworkflow_column(tmp_path: Path) -> None:
    """bench/compat_raw.py: bare SpiffWorkflow fills a Camunda form field and completes; a JUEL
    condition it cannot evaluate stops it, and so does a service task (left waiting)."""
    from bench.compat_raw import raw_file

    python = tmp_path / "python.bpmn"
    python.write_text(RAW_MODEL.format(cond="ok == True", next="g"))
    assert raw_file(python).completed
    juel = tmp_path / "juel.bpmn"
    juel.write_text(RAW_MODEL.format(cond="${ok}", next="g"))
    outcome = raw_file(juel)
    assert not outcome.completed and "p:" in outcome.reason
    service = tmp_path / "service.bpmn"
    service.write_text(RAW_MODEL.format(cond="ok == True", next="j"))
    assert not raw_file(service).completed


def test_engine_reasons_group_without_particulars() -> None:
    from bench.compat import Row, engine_reason_group

    refused = Row("a.bpmn", False, "no", "-", blockers=["flowable:scope: signals scoped to 'x' are not supported"])
    assert engine_reason_group(refused) == "deploy: flowable:scope: signals scoped to … are not supported"
    ran = Row("b.bpmn", False, "yes", "no",
              reason="p: task t: task 6379973a-f07a-4d81-be95-9bb7934a0a10 is already cancelled; q: stuck")
    assert engine_reason_group(ran) == "run: task t: task … is already cancelled"


PARAMETERISED_AND_HELPERS = '''
public class EscalationEventParseInvalidProcessTest {
  @Parameters(name = "{index}: process definition = {0}, expected error message = {1}")
  public static Collection<Object[]> data() {
    return Arrays.asList(new Object[][] {
        { "EscalationEventParseInvalidProcessTest.invalidEscalationRefOnEndEvent.bpmn20.xml", "could not find" },
    });
  }
  @Test
  public void testParseInvalidProcessDefinition() {
    try {
      String deploymentId = repositoryService.createDeployment()
        .addClasspathResource(PROCESS_DEFINITION_DIRECTORY + processDefinitionResource)
        .deploy().getId();
      repositoryService.deleteDeployment(deploymentId, true);
      fail("exception expected: " + expectedErrorMessage);
    } catch (ParseException e) {
    }
  }
}
'''

HELPER_CALLS = '''
  @Test
  public void testParseInvalidConditionalBoundaryEvent() {
    parseInvalidConditionalEvent("testParseInvalidConditionalBoundaryEvent", "conditionalBoundaryEvent");
  }
'''


def test_parameterised_invalid_process_tests_and_parse_invalid_helpers(tmp_path: Path) -> None:
    """Camunda's *ParseInvalidProcessTest classes list their models as parameters; BpmnParseTest
    hands a model's test name to a parseInvalid... helper that deploys and expects failure."""
    (tmp_path / "java").mkdir()
    (tmp_path / "java" / "EscalationEventParseInvalidProcessTest.java").write_text(PARAMETERISED_AND_HELPERS)
    (tmp_path / "java" / "BpmnParseTest.java").write_text(HELPER_CALLS)
    invalid = invalid_models(tmp_path)
    assert "EscalationEventParseInvalidProcessTest.invalidEscalationRefOnEndEvent.bpmn20.xml" in invalid
    assert "BpmnParseTest.testParseInvalidConditionalBoundaryEvent.bpmn" in invalid


CONCATENATED_RESOURCE = '''
  @Test
  public void testUsingExpressionInMessageStartEventNameThrowsException() {
    String processDefinition =
        "org/camunda/bpm/engine/test/bpmn/event/message/" +
            "MessageStartEventTest.testExpressionName.bpmn20.xml";
    try {
      repositoryService
          .createDeployment()
          .addClasspathResource(processDefinition)
          .deploy();
      fail("exception expected");
    } catch (ProcessEngineException e) {
      assertTrue(e.getMessage().contains("expressions in the message start event name are not allowed!"));
    }
  }
'''


def test_a_resource_named_by_concatenated_literals(tmp_path: Path) -> None:
    """MessageStartEventTest names the models it expects to be refused as "folder/" + "file"."""
    (tmp_path / "java").mkdir()
    (tmp_path / "java" / "MessageStartEventTest.java").write_text(CONCATENATED_RESOURCE)
    assert "MessageStartEventTest.testExpressionName.bpmn20.xml" in invalid_models(tmp_path)
