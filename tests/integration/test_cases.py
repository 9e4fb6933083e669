"""Cases through the engine on SQLite and PostgreSQL (the same tests, parametrised)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.domain.errors import Conflict, FormValidationError, InvalidState, NotFound, PermissionDenied
from engine.persistence import tables as t
from engine.services import audit, cases, queries
from tests.integration.helpers import ANTRAG, deploy_models


def test_start_runs_to_the_service_task_and_projects_a_job(engine):
    deploy_models(engine, *ANTRAG)
    case_id = cases.start_case(engine, "antrag", {"name": "Erika", "anzahl": 2}, business_key="AZ-1", actor="erika", internal=True)
    view = queries.get_case(engine, case_id)
    assert view["status"] == "running"
    assert view["data"]["gebuehr"] == 40
    assert view["business_key"] == "AZ-1"
    assert view["open_tasks"] == []
    with engine.db.connect() as conn:
        jobs = conn.execute(select(t.jobs)).all()
    assert [(j.kind, j.element_id, j.payload["operation"]) for j in jobs] == [("service", "melden", "register.lookup")]


def test_gateway_default_path_completes_the_case(engine):
    deploy_models(engine, *ANTRAG)
    case_id = cases.start_case(engine, "antrag", {"name": "Erika", "anzahl": 5}, internal=True)
    view = queries.get_case(engine, case_id)
    assert view["status"] == "completed"
    assert view["ended_at"] is not None


def test_start_form_is_validated_on_the_server_and_nothing_is_stored(engine):
    deploy_models(engine, *ANTRAG)
    with pytest.raises(FormValidationError) as err:
        cases.start_case(engine, "antrag", {"anzahl": "zwei", "email": "kein-at"})
    fields = err.value.field_errors
    assert fields["name"] == ["Bitte füllen Sie dieses Feld aus."]
    assert "ganze Zahl" in fields["anzahl"][0]
    assert "E-Mail" in fields["email"][0]
    assert queries.list_cases(engine) == []


def test_unknown_process_is_a_clear_not_found(engine):
    with pytest.raises(NotFound) as err:
        cases.start_case(engine, "gibtsnicht", {})
    assert err.value.user_message == "Diese Leistung ist nicht verfügbar."


def test_user_task_lifecycle_claim_complete_and_history(engine, clock):
    deploy_models(engine, "usertask.bpmn")
    case_id = cases.start_case(engine, "usertask", {"antragsteller": "Erika"}, business_key="AZ-7", internal=True)
    [task] = queries.list_tasks(engine, group="sachbearbeitung")
    assert task["name"] == "Antrag prüfen" and task["case_id"] == case_id
    assert task["candidate_groups"] == ["sachbearbeitung"]
    assert queries.list_tasks(engine, group="kasse") == []
    cases.claim(engine, task["id"], "sb1")
    with pytest.raises(Conflict):
        cases.claim(engine, task["id"], "sb2")
    with pytest.raises(PermissionDenied):
        cases.complete_task(engine, task["id"], {"ok": True}, actor="sb2", internal=True)
    cases.unclaim(engine, task["id"], "sb1")
    cases.claim(engine, task["id"], "sb2")
    cases.complete_task(engine, task["id"], {"ok": True}, actor="sb2", internal=True)
    view = queries.get_case(engine, case_id)
    assert view["status"] == "completed"
    assert view["data"]["ok"] is True
    actions = [h["action"] for h in view["history"]]
    assert actions == ["started", "task_claimed", "task_unclaimed", "task_claimed", "task_completed"]
    assert [h["actor"] for h in view["history"]][-1] == "sb2"
    with engine.db.connect() as conn:
        assert audit.verify(conn, case_id) == []
    with pytest.raises(Conflict):
        cases.complete_task(engine, task["id"], {"ok": True}, actor="sb2", internal=True)


def test_audit_chain_detects_tampering(engine):
    deploy_models(engine, "usertask.bpmn")
    case_id = cases.start_case(engine, "usertask", {})
    [task] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, task["id"], {}, actor="sb1")
    with engine.db.begin() as conn:
        conn.execute(t.audit_events.update().where(t.audit_events.c.case_id == case_id,
                                                   t.audit_events.c.action == "started")
                     .values(actor="someone-else"))
    with engine.db.connect() as conn:
        problems = audit.verify(conn, case_id)
    assert problems and "changed" in problems[0]


def test_cancel_suspend_resume(engine):
    deploy_models(engine, "usertask.bpmn")
    case_id = cases.start_case(engine, "usertask", {})
    [task] = queries.list_tasks(engine, case_id=case_id)
    cases.set_suspended(engine, case_id, True)
    with pytest.raises(InvalidState) as err:
        cases.complete_task(engine, task["id"], {}, actor="sb1")
    assert err.value.user_message == "Der Vorgang ist angehalten."
    cases.set_suspended(engine, case_id, False)
    cases.cancel_case(engine, case_id, actor="admin", reason="Antrag zurückgezogen")
    view = queries.get_case(engine, case_id)
    assert view["status"] == "cancelled"
    assert view["open_tasks"] == []
    assert queries.list_tasks(engine, case_id=case_id) == []
    with pytest.raises(InvalidState):
        cases.cancel_case(engine, case_id)


def test_deploy_versions_only_on_change(engine, tmp_path):
    first = deploy_models(engine, "usertask.bpmn")
    again = deploy_models(engine, "usertask.bpmn")
    assert [(p.key, p.version, p.created) for p in first.processes] == [("usertask", 1, True)]
    assert [(p.key, p.version, p.created) for p in again.processes] == [("usertask", 1, False)]
    from tests.integration.helpers import MODELS
    from engine.services.deploy import deploy, read_paths
    changed = tmp_path / "usertask.bpmn"
    changed.write_text((MODELS / "usertask.bpmn").read_text().replace("Antrag prüfen", "Antrag sorgfältig prüfen"))
    old_case = cases.start_case(engine, "usertask", {})
    second = deploy(engine, read_paths([str(changed)]))
    assert [(p.key, p.version, p.created) for p in second.processes] == [("usertask", 2, True)]
    new_case = cases.start_case(engine, "usertask", {})
    assert queries.get_case(engine, old_case)["version"] == 1
    assert queries.get_case(engine, new_case)["version"] == 2
    [old_task] = queries.list_tasks(engine, case_id=old_case)
    assert old_task["name"] == "Antrag prüfen"


def test_search_by_business_key_and_case_field(engine):
    deploy_models(engine, "usertask.bpmn")
    case_id = cases.start_case(engine, "usertask", {"antragsteller": "Mustermann"}, business_key="BPA-2026-0042", internal=True)
    assert [x["case_id"] for x in queries.list_tasks(engine, search="0042")] == [case_id]
    assert [x["case_id"] for x in queries.list_tasks(engine, search="Mustermann")] == [case_id]
    assert queries.list_tasks(engine, search="Nobody") == []


def test_loop_of_1000_iterations_completes(engine):
    deploy_models(engine, "loop.bpmn")
    case_id = cases.start_case(engine, "loop", {"i": 0, "limit": 1000}, internal=True)
    view = queries.get_case(engine, case_id)
    assert view["status"] == "completed"
    assert view["data"]["i"] == 1000


def test_data_labels_come_from_the_process_forms(engine):
    deploy_models(engine, *ANTRAG)
    case_id = cases.start_case(engine, "antrag", {"name": "Erika", "anzahl": 5}, internal=True)
    labels = queries.data_labels(engine, case_id)
    assert labels["name"] == "Name" and labels["anzahl"] == "Anzahl" and labels["entscheidung"] == "Entscheidung"
