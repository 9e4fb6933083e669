"""Flowable models run here: a self-written model in the flowable namespace, deployed with a
camunda-mapping.json, started, worked and driven by the JobExecutor (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from engine.domain.errors import FormValidationError
from engine.jobs import JobExecutor
from engine.ports import ServiceResult
from engine.runtime.parsing import SourceFile
from engine.services import cases, queries
from engine.services.deploy import deploy
from tests.fakes import FakeConnector
from tests.integration.helpers import MODELS

MAPPING = {"delegates": {"de.musterstadt.GebuehrDelegate": "test.gebuehr"}}


def _deploy(engine):
    test, mail = FakeConnector(), FakeConnector()
    mail.name = "mail"
    test.answer("gebuehr", {"gebuehr": 24, "zusatzgruppe": "ordnungsamt"})
    mail.behaviour = {"send_text": lambda r: ServiceResult({"message_id": "<1@x>", "subject": r.params["subject"],
                                                             "refused": []})}
    engine.connectors["test"], engine.connectors["mail"] = test, mail
    files = [SourceFile("antrag.bpmn20.xml", (MODELS / "flowable" / "antrag.bpmn20.xml").read_bytes()),
             SourceFile("camunda-mapping.json", json.dumps(MAPPING).encode())]
    deploy(engine, files, actor="test")
    return test, mail


def _start(engine, **data):
    values = {"name": "Erika", "betrag": 500, "art": "sonder", "kontakt": "erika@musterstadt.example"}
    values.update(data)
    case_id = cases.start_case(engine, "flowable_antrag", values, actor="erika")
    JobExecutor(engine, "w").run_until_idle()
    return case_id


def test_flowable_model_runs_with_its_assignments_forms_delegates_and_mail(engine, clock):
    test, mail = _deploy(engine)
    case_id = _start(engine)
    assert [c.params for c in test.calls] == [{"satz": "12", "betrag": 500}]       # field injections
    [task] = queries.get_case(engine, case_id)["open_tasks"]
    assert task["element_id"] == "pruefen"                                       # ${betrag > 100 && art == 'sonder'}
    assert task["candidate_groups"] == ["sachbearbeitung", "ordnungsamt"]        # literal + ${zusatzgruppe}
    assert task["candidate_users"] == ["sb1"] and task["priority"] == 60
    assert task["due"].startswith((clock.now() + timedelta(days=14)).date().isoformat())  # P14D
    with pytest.raises(FormValidationError):
        cases.complete_task(engine, task["id"], {}, actor="sb1")                 # formProperty required="true"
    cases.complete_task(engine, task["id"], {"genehmigt": True}, actor="sb1")
    [task] = queries.get_case(engine, case_id)["open_tasks"]
    assert (task["element_id"], task["assignee"]) == ("freigeben", "erika")      # ${antragsteller}, initiator
    cases.complete_task(engine, task["id"], {}, actor="erika")
    JobExecutor(engine, "w").run_until_idle()
    [sent] = mail.calls
    assert sent.params == {"to": "erika@musterstadt.example", "subject": "Ihr Antrag",
                           "text": "Guten Tag Erika, die Gebühr beträgt 24 Euro."}
    view = queries.get_case(engine, case_id)
    assert view["status"] == "completed"
    assert view["data"]["benachrichtigenMail"]["subject"] == "Ihr Antrag"
    assert view["data"]["antragsteller"] == "erika"


def test_the_default_flow_and_the_start_form(engine):
    _test, mail = _deploy(engine)
    case_id = _start(engine, betrag=50, art="standard")
    assert queries.get_case(engine, case_id)["status"] == "completed"            # default flow: straight to the mail
    assert len(mail.calls) == 1
    with pytest.raises(FormValidationError):                                     # closed form: intern is not readable
        cases.start_case(engine, "flowable_antrag", {"name": "E", "betrag": 1, "intern": "x"}, actor="erika")


def _deploy_terminate(engine, terminate_all: bool):
    kind = (MODELS / "flowable" / "beenden_kind.bpmn20.xml").read_bytes()
    if not terminate_all:
        kind = kind.replace(b' flowable:terminateAll="true"', b"")
    deploy(engine, [SourceFile("beenden.bpmn20.xml", (MODELS / "flowable" / "beenden.bpmn20.xml").read_bytes()),
                    SourceFile("beenden_kind.bpmn20.xml", kind)], actor="test")


@pytest.mark.parametrize("terminate_all", [False, True])
def test_terminate_all_ends_the_whole_case(engine, terminate_all):
    """A terminate end event in a called process ends that process (the caller goes on); with
    flowable:terminateAll="true" it ends the whole case."""
    _deploy_terminate(engine, terminate_all)
    case_id = cases.start_case(engine, "flowable_beenden", {}, actor="erika")
    tasks = {t["element_id"]: t for t in queries.get_case(engine, case_id)["open_tasks"]}
    assert set(tasks) == {"warten", "pruefen"}
    cases.complete_task(engine, tasks["pruefen"]["id"], {}, actor="erika")
    view = queries.get_case(engine, case_id)
    if terminate_all:
        assert view["status"] == "completed" and view["open_tasks"] == []
    else:
        assert [t["element_id"] for t in view["open_tasks"]] == ["danach"]
