"""Flowable's mail task with ``ignoreException`` (and ``exceptionVariableName``): a send that
fails - the server refused the address, or did not answer - ends the task anyway, at once and
without retries, with the failure's message in the named variable (Flowable's
MailActivityBehavior; models of our own written after EmailServiceTaskTest.
testInvalidAddressWithoutException and ...WithoutExceptionVariableName). Without it a failed send
retries and ends in an incident, as before. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from engine.ports import ConnectorError, ServiceRequest, ServiceResult
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.camunda_scenarios.conftest import Scenario
from tests.fakes import FakeConnector

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="Examples">
  <process id="benachrichtigen">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="sendMail"/>
    <sendTask id="sendMail" flowable:type="mail">
      <extensionElements>
        {fields}
        <flowable:field name="to"><flowable:string>erika@example.org</flowable:string></flowable:field>
        <flowable:field name="subject"><flowable:string>Ihr Antrag</flowable:string></flowable:field>
        <flowable:field name="text"><flowable:string>Eingegangen.</flowable:string></flowable:field>
      </extensionElements>
    </sendTask>
    <sequenceFlow id="f2" sourceRef="sendMail" targetRef="weiter"/>
    <userTask id="weiter" name="Weiter"/>
    <sequenceFlow id="f3" sourceRef="weiter" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""
IGNORE = '<flowable:field name="ignoreException" stringValue="{value}"/>'
VARIABLE = '<flowable:field name="exceptionVariableName" stringValue="emailError"/>'


def _mail(scenario: Scenario, failure: str) -> FakeConnector:
    mail = FakeConnector()
    mail.name = "mail"

    def send(_request: ServiceRequest) -> ServiceResult:
        if failure == "refused":
            return ServiceResult(None, bpmn_error="EMPFAENGER_ABGELEHNT", error_message="550 no such user")
        raise ConnectorError("mail server: connection refused")

    mail.behaviour = {"send_text": send}
    scenario.engine.connectors["mail"] = mail
    return mail


def _deploy(scenario: Scenario, *fields: str) -> None:
    xml = MODEL.replace("{fields}", "\n        ".join(fields))
    deploy(scenario.engine, [SourceFile("benachrichtigen.bpmn20.xml", xml.encode())], actor="scenario")


@pytest.mark.parametrize("failure", ["refused", "unreachable"])
def test_an_ignored_failure_ends_the_task_with_its_message(scenario: Scenario, failure: str) -> None:
    mail = _mail(scenario, failure)
    _deploy(scenario, IGNORE.format(value="true"), VARIABLE)
    case = scenario.start("benachrichtigen")
    assert scenario.waits_at(case) == ["weiter"] and len(mail.calls) == 1      # once: no retries
    expected = "550 no such user" if failure == "refused" else "mail server: connection refused"
    assert scenario.data(case)["emailError"] == expected
    assert scenario.case(case)["incidents"] == []


def test_without_a_variable_nothing_is_kept(scenario: Scenario) -> None:
    _mail(scenario, "refused")
    _deploy(scenario, IGNORE.format(value="${true}"))
    case = scenario.start("benachrichtigen")
    assert scenario.waits_at(case) == ["weiter"] and "emailError" not in scenario.data(case)


@pytest.mark.parametrize("fields", [(), (IGNORE.format(value="false"), VARIABLE)])
def test_a_failure_that_is_not_ignored_stops_the_task(scenario: Scenario, fields: tuple[str, ...]) -> None:
    _mail(scenario, "refused")
    _deploy(scenario, *fields)
    case = scenario.start("benachrichtigen")
    assert scenario.waits_at(case) == [] and scenario.status(case) == "failed"
    assert "emailError" not in scenario.data(case)
