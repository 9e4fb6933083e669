"""Issue 12.1: data from outside writes only the fields its form declares (mass assignment).

The reproduction: as the citizen erika, complete her "Unterlagen nachreichen" task of a parking
permit over the REST API with the Aktenzeichen, Kassenzeichen and addressee of the decision in
the data. Before the fix this answered 200 and the forged values ended in the decision.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from engine.services import documents
from tests.processes.conftest import Scenario
from tests.processes.test_bewohnerparkausweis import KEY, antrag
from tests.security.forms.conftest import Portal
from tests.web.helpers import PDF


@pytest.fixture
def s(scenario: Scenario) -> Scenario:
    scenario.deploy(KEY)
    return scenario


def documents_requested(s: Scenario) -> tuple[str, dict[str, Any]]:
    """erika's company-car application, documents requested by a clerk: her task is open."""
    case_id = s.start(KEY, antrag(fahrzeug={"kennzeichen": "MS-MB 500", "nutzung": "firmenwagen"}), actor="erika")
    s.complete(case_id, "pruefen", {"entscheidung": "nachfordern", "nachforderung_unterlagen": "Arbeitgeberbestätigung"},
               actor="sb1")
    return case_id, s.task(case_id, "unterlagen_nachreichen")


FORGED = {"aktenzeichen": "2026-GEFAELSCHT", "kassenzeichen": "2026-GEFAELSCHT",
          "empfaenger": {"name": "Jemand Anderes"}}


def test_undeclared_fields_are_refused_field_by_field_and_nothing_is_stored(s: Scenario, portal: Portal) -> None:
    case_id, task = documents_requested(s)
    before = s.data(case_id)
    response = portal.api("POST", f"/api/v1/tasks/{task['id']}/complete", "erika",
                       {"data": {"nachgereichte_unterlagen": str(uuid.uuid4()), **FORGED}})
    assert response.status_code == 422, response.get_data(as_text=True)
    errors = response.get_json()["errors"]
    assert {"aktenzeichen", "kassenzeichen", "empfaenger"} <= set(errors)
    assert "nicht vorgesehen" in errors["aktenzeichen"][0]
    assert "nachgereichte_unterlagen" in errors          # a document that does not exist
    assert s.data(case_id) == before
    assert s.task(case_id, "unterlagen_nachreichen")["id"] == task["id"]   # still open


def test_document_references_must_name_her_own_documents_of_this_case(s: Scenario, portal: Portal) -> None:
    case_id, task = documents_requested(s)
    other_case, _ = documents_requested(s)
    foreign = documents.store(s.engine, "fremd.pdf", PDF, uploaded_by="sb1", case_id=case_id)
    elsewhere = documents.store(s.engine, "anderer-vorgang.pdf", PDF, uploaded_by="erika", case_id=other_case)
    for document_id in (foreign.id, elsewhere.id, "kein-dokument"):
        response = portal.api("POST", f"/api/v1/tasks/{task['id']}/complete", "erika",
                           {"data": {"nachgereichte_unterlagen": document_id}})
        assert response.status_code == 422, document_id
        assert list(response.get_json()["errors"]) == ["nachgereichte_unterlagen"]
    own = documents.store(s.engine, "bestaetigung.pdf", PDF, uploaded_by="erika", case_id=case_id)
    response = portal.api("POST", f"/api/v1/tasks/{task['id']}/complete", "erika",
                       {"data": {"nachgereichte_unterlagen": own.id, "nachricht": "Anbei die Bestätigung."}})
    assert response.status_code == 200, response.get_data(as_text=True)
    data = s.data(case_id)
    assert data["nachgereicht"][0]["unterlagen"] == own.id
    assert data["aktenzeichen"] == s.case(case_id)["business_key"] if "aktenzeichen" in data else True


def test_the_decision_keeps_the_authoritys_values(s: Scenario, portal: Portal) -> None:
    """The full chain of the report: forged fields are refused, the clerk approves, the decision
    and the payment carry the case's own Aktenzeichen and Kassenzeichen."""
    case_id, task = documents_requested(s)
    key = s.case(case_id)["business_key"]
    own = documents.store(s.engine, "bestaetigung.pdf", PDF, uploaded_by="erika", case_id=case_id)
    forged = portal.api("POST", f"/api/v1/tasks/{task['id']}/complete", "erika",
                     {"data": {"nachgereichte_unterlagen": own.id, **FORGED}})
    assert forged.status_code == 422
    ok = portal.api("POST", f"/api/v1/tasks/{task['id']}/complete", "erika", {"data": {"nachgereichte_unterlagen": own.id}})
    assert ok.status_code == 200
    s.run()
    s.complete(case_id, "pruefen", {"entscheidung": "genehmigen"}, actor="sb1")
    data = s.data(case_id)
    assert "GEFAELSCHT" not in repr(data) and "Jemand Anderes" not in repr(data)
    assert data["zahlung"]["kassenzeichen"] == key


def test_case_start_over_the_api_takes_only_the_start_forms_fields(s: Scenario, portal: Portal) -> None:
    from engine.services import queries

    before = len(queries.list_cases(s.engine, limit=100))
    response = portal.api("POST", "/api/v1/cases", "erika",
                       {"key": KEY, "data": {**antrag(), "gebuehr_cent": 0, "pruefweg": "automatisch",
                                             "antragsteller": {**antrag()["antragsteller"], "rolle": "admin"}}})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert set(response.get_json()["errors"]) == {"gebuehr_cent", "pruefweg", "antragsteller.rolle"}
    assert len(queries.list_cases(s.engine, limit=100)) == before
    assert portal.api("POST", "/api/v1/cases", "erika", {"key": KEY, "data": antrag()}).status_code == 201


def test_an_element_without_a_form_takes_only_the_fields_it_declares(engine: Any) -> None:
    """amtsflow:formFields on a start event and a user task that have no form (e.g. a Camunda
    model whose HTML forms live elsewhere): people may set exactly those variables."""
    from engine.domain.errors import FormValidationError
    from engine.runtime.parsing import SourceFile
    from engine.services import cases, deploy, queries
    from tests.conftest import model

    prop = '<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="amtsflow:formFields" ' \
           'value="{}"/></spiffworkflow:properties></bpmn:extensionElements>'
    xml = model("usertask.bpmn").read_text(encoding="utf-8")
    xml = xml.replace('<bpmn:startEvent id="start">', '<bpmn:startEvent id="start">' + prop.format("antragsteller"))
    xml = xml.replace('<bpmn:userTask id="pruefen" name="Antrag prüfen">',
                      '<bpmn:userTask id="pruefen" name="Antrag prüfen">' + prop.format("ok, kommentar"))
    deploy.deploy(engine, [SourceFile("usertask.bpmn", xml.encode())], actor="po")
    with pytest.raises(FormValidationError) as refused:
        cases.start_case(engine, "usertask", {"antragsteller": "Erika", "status": "genehmigt"}, actor="erika")
    assert list(refused.value.field_errors) == ["status"]
    case_id = cases.start_case(engine, "usertask", {"antragsteller": "Erika"}, actor="erika")
    [task] = queries.list_tasks(engine, case_id=case_id)
    with pytest.raises(FormValidationError) as refused:
        cases.complete_task(engine, task["id"], {"ok": True, "gebuehr_cent": 0}, actor="sb1")
    assert list(refused.value.field_errors) == ["gebuehr_cent"]
    cases.complete_task(engine, task["id"], {"ok": True, "kommentar": "passt"}, actor="sb1")
    data = queries.get_case(engine, case_id)["data"]
    assert (data["ok"], data["kommentar"], "gebuehr_cent" in data) == (True, "passt", False)
