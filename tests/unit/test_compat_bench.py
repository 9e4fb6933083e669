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
