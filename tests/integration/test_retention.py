"""Personal data of a closed case is erased when the retention period of service.toml ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.domain.errors import DeploymentError
from engine.jobs import JobExecutor
from engine.persistence import document_tables
from engine.persistence import tables as t
from engine.services import audit, cases, comments, queries
from engine.services.deploy import deploy, read_paths
from tests.integration.helpers import MODELS


def _folder(tmp_path, frist: str):
    folder = tmp_path / "leistung"
    folder.mkdir()
    (folder / "process.bpmn").write_text((MODELS / "usertask.bpmn").read_text())
    (folder / "service.toml").write_text(f'key = "usertask"\nname = "Test"\n[aufbewahrung]\nfrist = "{frist}"\n')
    return folder


def test_closed_case_is_erased_after_the_retention_period(engine, clock, tmp_path):
    deploy(engine, read_paths([str(_folder(tmp_path, "P30D"))]))
    case_id = cases.start_case(engine, "usertask", {"antragsteller": "Erika Mustermann"}, business_key="AZ-1", internal=True)
    [task] = queries.list_tasks(engine, case_id=case_id)
    with engine.db.begin() as conn:
        conn.execute(document_tables.documents.insert(), dict(
            id="d1", case_id=case_id, filename="ausweis.pdf", media_type="application/pdf", size=4,
            sha256="0" * 64, content=b"%PDF", kind="attachment", uploaded_by="erika", created_at=clock.now()))
    comments.add_comment(engine, case_id, "sb1", "Frau Mustermann hat angerufen.")
    cases.complete_task(engine, task["id"], {"ok": True}, actor="sb1", internal=True)
    worker = JobExecutor(engine, "w")
    clock.advance(timedelta(days=29))
    worker.run_until_idle()
    assert queries.get_case(engine, case_id)["data"]["antragsteller"] == "Erika Mustermann"
    clock.advance(timedelta(days=2))
    assert worker.run_until_idle() == 1
    view = queries.get_case(engine, case_id)
    assert view["data"] == {"anonymisiert": True} and view["status"] == "completed"
    assert view["history"][-1]["action"] == "personal_data_erased"
    assert queries.list_tasks(engine, search="Mustermann") == []
    assert comments.list_comments(engine, case_id) == []
    with engine.db.connect() as conn:
        assert conn.execute(select(document_tables.documents).where(
            document_tables.documents.c.case_id == case_id)).all() == []
        assert "Mustermann" not in conn.execute(select(t.cases.c.state).where(t.cases.c.id == case_id)).scalar()
        assert audit.verify(conn, case_id) == []


def test_cases_of_processes_without_retention_are_kept(engine, clock):
    from tests.integration.helpers import deploy_models

    deploy_models(engine, "usertask.bpmn")
    case_id = cases.start_case(engine, "usertask", {"antragsteller": "Erika"}, internal=True)
    [task] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, task["id"], {}, actor="sb1")
    with engine.db.connect() as conn:
        assert conn.execute(select(t.jobs)).all() == []


def test_invalid_retention_period_is_refused_at_deploy(engine, tmp_path):
    with pytest.raises(DeploymentError) as err:
        deploy(engine, read_paths([str(_folder(tmp_path, "drei Jahre"))]))
    assert "is not an ISO-8601 duration" in str(err.value.problems[0])
