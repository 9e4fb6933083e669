"""Scenarios ported from Flowable's own engine tests (../shared/corpus/flowable-engine-tests):
the Flowable/Activiti models, unchanged, deployed through the Flowable dialect and driven on
SQLite and PostgreSQL with the case cache off. Each test names the Java test it ports."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterator

import pytest

from connectors.mail import create as mail_connector
from connectors.simulators.mailbox import Mailbox
from tests.camunda_scenarios.conftest import Scenario

USERTASK = "usertask/"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    yield box
    box.stop()


def _with_mailbox(scenario: Scenario, box: Mailbox) -> None:
    scenario.engine.connectors["mail"] = mail_connector({"mail_host": box.smtp.host, "mail_port": str(box.smtp.port),
                                                         "mail_timeout": "2", "mail_from": "flowable@localhost"})


# --- usertask/TaskAssignmentExtensionsTest, TaskAssignmentCandidateTest, InitiatorTest -------------

def test_TaskAssignmentExtensionsTest_testAssigneeExtension(scenario: Scenario) -> None:
    scenario.deploy_flowable(USERTASK + "TaskAssignmentExtensionsTest.testAssigneeExtension.bpmn20.xml")
    case = scenario.start("assigneeExtension")
    [task] = scenario.tasks(case)
    assert (task["name"], task["assignee"]) == ("my task", "kermit")


def test_TaskAssignmentExtensionsTest_testCandidateUsersExtension(scenario: Scenario) -> None:
    scenario.deploy_flowable(USERTASK + "TaskAssignmentExtensionsTest.testCandidateUsersExtension.bpmn20.xml")
    case = scenario.start("candidateUsersExtension")
    [task] = scenario.tasks(case)
    assert set(task["candidate_users"]) == {"kermit", "gonzo"}


def test_TaskAssignmentExtensionsTest_testCandidateGroupsExtension(scenario: Scenario) -> None:
    scenario.deploy_flowable(USERTASK + "TaskAssignmentExtensionsTest.testCandidateGroupsExtension.bpmn20.xml")
    case = scenario.start("candidateGroupsExtension")
    [task] = scenario.tasks(case)
    assert task["name"] == "make profit" and task["candidate_groups"] == ["management", "accountancy"]


def test_TaskAssignmentExtensionsTest_testCandidatesWithCommaSeparatedStringExpression(scenario: Scenario) -> None:
    scenario.deploy_flowable(
        USERTASK + "TaskAssignmentExtensionsTest.testCandidatesWithCommaSeparatedStringExpression.bpmn20.xml")
    case = scenario.start("candidatesExpression")
    [task] = scenario.tasks(case)
    assert task["candidate_users"] == ["user1", "user2"] and task["candidate_groups"] == ["groupA", "groupB"]


def test_TaskAssignmentExtensionsTest_testMixedCandidateUserDefinition(scenario: Scenario) -> None:
    """activiti:candidateUsers plus <potentialOwner> user(fozzie), user(gonzo)."""
    scenario.deploy_flowable(USERTASK + "TaskAssignmentExtensionsTest.testMixedCandidateUserDefinition.bpmn20.xml")
    case = scenario.start("mixedCandidateUser")
    [task] = scenario.tasks(case)
    assert set(task["candidate_users"]) == {"kermit", "fozzie", "gonzo"}
    assert "mispiggy" not in task["candidate_users"]


def test_TaskAssignmentCandidateTest_testCandidateGroups(scenario: Scenario) -> None:
    """<potentialOwner><resourceRef> to a <resource name="management">: a candidate group."""
    scenario.deploy_flowable(USERTASK + "TaskAssignmentCandidateTest.testCandidateGroups.bpmn20.xml")
    case = scenario.start("taskCandidateExample")
    [task] = scenario.tasks(case)
    assert (task["element_id"], task["candidate_groups"]) == ("theTask", ["management"])
    scenario.complete(case, "theTask")
    [task] = scenario.tasks(case)
    assert (task["element_id"], task["candidate_groups"]) == ("theOtherTask", ["accounting"])
    scenario.complete(case, "theOtherTask")
    assert scenario.status(case) == "completed"


def test_InitiatorTest_testInitiator(scenario: Scenario) -> None:
    scenario.deploy_flowable(USERTASK + "InitiatorTest.testInitiator.bpmn20.xml")
    case = scenario.start("InitiatorProcess", actor="bono")
    [task] = scenario.tasks(case)
    assert task["assignee"] == "bono"


def test_TaskPriorityExtensionsTest_testPriorityExtension(scenario: Scenario) -> None:
    scenario.deploy_flowable(USERTASK + "TaskPriorityExtensionsTest.testPriorityExtension.bpmn20.xml")
    for priority in (25, 75):
        case = scenario.start("taskPriorityExtension", {"taskPriority": priority})
        [task] = scenario.tasks(case)
        assert task["priority"] == priority


def test_TaskDueDateExtensionsTest_testRelativeDueDateStringExtension(scenario: Scenario) -> None:
    """A due date given as an ISO 8601 duration counts from the task's creation."""
    scenario.deploy_flowable(USERTASK + "TaskDueDateExtensionsTest.testRelativeDueDateStringExtension.bpmn20.xml")
    case = scenario.start("dueDateExtension", {"dateVariable": "P2DT5H40M"})
    [task] = scenario.tasks(case)
    due = datetime.fromisoformat(task["due"])
    assert due - scenario.clock.now() == timedelta(days=2, hours=5, minutes=40)


def test_TaskDueDateExtensionsTest_testRelativeDueDateStringWithCalendarNameExtension_is_refused(
        scenario: Scenario) -> None:
    """The Java test plugs in a custom business calendar (Java code): refused at deploy, naming it."""
    from engine.domain.errors import DeploymentError

    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_flowable(
            USERTASK + "TaskDueDateExtensionsTest.testRelativeDueDateStringWithCalendarNameExtension.bpmn20.xml")
    assert any("flowable:businessCalendarName" in p.message and p.element_id == "theTask"
               for p in caught.value.problems)


# --- gateway/ExclusiveGatewayTest ---------------------------------------------------------------

def test_ExclusiveGatewayTest_testDivergingExclusiveGateway(scenario: Scenario) -> None:
    scenario.deploy_flowable("gateway/ExclusiveGatewayTest.testDivergingExclusiveGateway.bpmn20.xml")
    for i in (1, 2, 3):
        case = scenario.start("exclusiveGwDiverging", {"input": i})
        [task] = scenario.tasks(case)
        assert task["name"] == f"Task {i}"


def test_ExclusiveGatewayTest_testDefaultSequenceFlow(scenario: Scenario) -> None:
    scenario.deploy_flowable("gateway/ExclusiveGatewayTest.testDefaultSequenceFlow.bpmn20.xml")
    [task] = scenario.tasks(scenario.start("exclusiveGwDefaultSequenceFlow", {"input": 1}))
    assert task["name"] == "Input is one"
    [task] = scenario.tasks(scenario.start("exclusiveGwDefaultSequenceFlow", {"input": 5}))
    assert task["name"] == "Default input"


# --- callactivity -------------------------------------------------------------------------------

def test_CallActivityAdvancedTest_testCallSimpleSubProcess(scenario: Scenario) -> None:
    scenario.deploy_flowable("callactivity/CallActivity.testCallSimpleSubProcess.bpmn20.xml",
                             "callactivity/simpleSubProcess.bpmn20.xml")
    case = scenario.start("callSimpleSubProcess")
    [task] = scenario.tasks(case)
    assert task["name"] == "Task before subprocess"
    scenario.complete(case, task["element_id"])
    [task] = scenario.tasks(case)
    assert task["name"] == "Task in subprocess"
    scenario.complete(case, task["element_id"])
    [task] = scenario.tasks(case)
    assert task["name"] == "Task after subprocess"
    scenario.complete(case, task["element_id"])
    assert scenario.status(case) == "completed"


# --- servicetask: a Java delegate mapped to a connector operation --------------------------------

def test_ServiceTaskDelegateExpressionTest_testDelegateExpression(scenario: Scenario) -> None:
    """flowable:delegateExpression="${delegateBean}" mapped in camunda-mapping.json to a connector
    operation; the Java delegate sets executed=true, so does the operation's answer."""
    scenario.connector.answer("execute", {"executed": True})
    scenario.deploy_flowable("servicetask/ServiceTaskDelegateExpressionTest.testDelegateExpression.bpmn20.xml",
                             mapping={"delegates": {"delegateBean": "test.execute"}})
    case = scenario.start("process")
    assert scenario.data(case) == {"executed": True}
    assert scenario.waits_at(case) == ["usertask1"]


# --- mail/EmailServiceTaskTest and EmailSendTaskTest: through the mail connector to a real SMTP ----

@pytest.mark.parametrize("model", ["EmailServiceTaskTest", "EmailSendTaskTest"])
def test_EmailServiceTaskTest_testSimpleTextMail(scenario: Scenario, mailbox: Mailbox, model: str) -> None:
    _with_mailbox(scenario, mailbox)
    scenario.deploy_flowable(f"mail/{model}.testSimpleTextMail.bpmn20.xml")
    case = scenario.start("simpleTextOnly")
    [mail] = mailbox.messages
    assert mail["to"] == ["kermit@activiti.org"] and mail["subject"] == "Hello Kermit!"
    assert mail["body"].strip() == "This a text only e-mail." and mail["from"] == "flowable@localhost"
    assert scenario.status(case) == "completed"


def test_EmailServiceTaskTest_testTextMailExpressions(scenario: Scenario, mailbox: Mailbox) -> None:
    _with_mailbox(scenario, mailbox)
    scenario.deploy_flowable("mail/EmailServiceTaskTest.testTextMailExpressions.bpmn20.xml")
    scenario.start("textMailExpressions", {"sender": "mispiggy@activiti.org", "recipient": "fozziebear@activiti.org",
                                           "recipientName": "Mr. Fozzie", "subject": "Fozzie, you should see this!"})
    [mail] = mailbox.messages
    assert mail["to"] == ["fozziebear@activiti.org"] and mail["subject"] == "Fozzie, you should see this!"
    assert "Hello Mr. Fozzie, this is an e-mail" in mail["body"]
    assert mail["from"] == "flowable@localhost"          # the model's sender is ignored (warning at deploy)


def test_EmailServiceTaskTest_testCcAndBcc(scenario: Scenario, mailbox: Mailbox) -> None:
    _with_mailbox(scenario, mailbox)
    scenario.deploy_flowable("mail/EmailServiceTaskTest.testCcAndBcc.bpmn20.xml")
    case = scenario.start("ccAndBcc")
    [mail] = mailbox.messages
    assert sorted(mail["to"]) == ["fozzie@activiti.org", "kermit@activiti.org", "mispiggy@activiti.org"]
    assert mail["subject"] == "Hello world" and "This is the content" in mail["body"]
    assert scenario.status(case) == "completed"


@pytest.mark.parametrize(("enabled", "skip", "sent"), [(True, True, 0), (False, True, 1), (True, False, 1)],
                         ids=["testSkipExpression", "testSkipExpressionEnabledFalse", "testSkipExpressionSkipFalse"])
def test_EmailServiceTaskTest_testSkipExpression(scenario: Scenario, mailbox: Mailbox, enabled: bool, skip: bool,
                                                  sent: int) -> None:
    _with_mailbox(scenario, mailbox)
    scenario.deploy_flowable("mail/EmailServiceTaskTest.testSkipExpression.bpmn20.xml")
    case = scenario.start("simpleTextOnly", {"skip": skip, "_FLOWABLE_SKIP_EXPRESSION_ENABLED": enabled})
    assert len(mailbox.messages) == sent
    if sent:
        assert mailbox.messages[0]["subject"] == "Hello Kermit!"
    assert scenario.status(case) == "completed"


def test_async_service_task_runs_as_a_job(scenario: Scenario) -> None:
    """AsyncTaskTest.testAsyncServiceNoListeners: flowable:async="true" -> camunda:asyncBefore."""
    scenario.connector.answer("noop", {})
    scenario.deploy_flowable("async/AsyncTaskTest.testAsyncServiceNoListeners.bpmn20.xml",
                             mapping={"delegates": {"org.flowable.engine.test.bpmn.async.AsyncService": "test.noop"}})
    case = scenario.start("asyncService")
    assert scenario.status(case) == "completed"
    assert len(scenario.connector.calls) == 1


# --- structure Flowable accepts: implicit end events ----------------------------------------------

def test_SubProcessTest_testNestedSimpleSubProcessWithoutEndEvent(scenario: Scenario) -> None:
    scenario.deploy_flowable("subprocess/SubProcessTest.testNestedSimpleSubProcessWithoutEndEvent.bpmn20.xml")
    case = scenario.start("nestedSimpleSubProcess")
    [task] = scenario.tasks(case)
    assert task["name"] == "Task in subprocess"
    scenario.complete(case, task["element_id"])
    [task] = scenario.tasks(case)
    assert task["name"] == "Task after subprocesses"
    scenario.complete(case, task["element_id"])
    assert scenario.status(case) == "completed"


def test_camunda_SubProcessTest_testNestedSimpleSubProcessWithoutEndEvent(scenario: Scenario) -> None:
    """Camunda 7 ends a sub-process without an end event implicitly too (ACT-1072)."""
    scenario.deploy_camunda("subprocess/SubProcessTest.testNestedSimpleSubProcessWithoutEndEvent.bpmn20.xml")
    case = scenario.start("nestedSimpleSubProcess")
    [task] = scenario.tasks(case)
    assert task["name"] == "Task in subprocess"
    scenario.complete(case, task["element_id"])
    [task] = scenario.tasks(case)
    assert task["name"] == "Task after subprocesses"
    scenario.complete(case, task["element_id"])
    assert scenario.status(case) == "completed"


def test_TerminateEndEventTest_testTerminateInSubProcessTerminateAll(scenario: Scenario) -> None:
    """terminateAll in an embedded sub-process ends the whole process, the parallel user task too."""
    scenario.deploy_flowable("event/end/TerminateEndEventTest.testTerminateInSubProcessTerminateAll.bpmn20.xml")
    case = scenario.start("terminateEndEventExample")
    assert scenario.status(case) == "completed" and scenario.tasks(case) == []


def test_TerminateEndEventTest_testTerminateInSubProcess(scenario: Scenario) -> None:
    """Without terminateAll the terminate ends the sub-process only: the parallel task stays."""
    scenario.deploy_flowable("event/end/TerminateEndEventTest.testTerminateInSubProcess.bpmn")
    case = scenario.start("terminateEndEventExample")
    assert scenario.waits_at(case) == ["preNormalEnd"]
    scenario.complete(case, "preNormalEnd")
    assert scenario.status(case) == "completed"


def test_camunda_SequenceFlowTest_testTakeAllOutgoingFlowsFromNonScopeTask(scenario: Scenario) -> None:
    """Two unconditional flows leaving a user task (no gateway): both are taken."""
    scenario.deploy_camunda("sequenceflow/SequenceFlowTest.testTakeAllOutgoingFlowsFromNonScopeTask.bpmn20.xml")
    case = scenario.start("testProcess")
    scenario.complete(case, "task1")
    assert scenario.waits_at(case) == ["task2", "task3"]
    scenario.complete(case, "task2")
    scenario.complete(case, "task3")
    assert scenario.status(case) == "completed"
