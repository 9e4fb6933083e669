"""Case repair (issue 16): edit data, cancel, suspend, resume, retry; each audited with a comment."""

from __future__ import annotations

from typing import Any

import pytest

from engine.bootstrap import Engine
from engine.domain.errors import FormValidationError, InvalidState
from engine.services import case_repair, cases, incidents, queries
from engine.services.deploy import deploy, read_paths
from tests.conftest import model

REPAIR = model("repair")


@pytest.fixture
def failed_case(engine: Engine) -> str:
    """A case whose script divided by zero: failed, with an open workflow incident."""
    deploy(engine, read_paths([str(REPAIR)]), actor="test")
    case_id = cases.start_case(engine, "reparatur", {"antragsteller": "Erika Mustermann", "teiler": 0},
                               actor="erika")
    assert queries.get_case(engine, case_id)["status"] == "failed"
    return case_id


def _last_event(engine: Engine, case_id: str) -> dict[str, Any]:
    return queries.get_case(engine, case_id)["history"][-1]


def test_an_owner_fixes_a_value_and_retries_the_failed_step(engine: Engine, failed_case: str) -> None:
    diff = case_repair.edit_data(engine, failed_case, {"teiler": 4}, actor="po", comment="Tippfehler im Antrag")
    assert diff == {"teiler": {"vorher": 0, "nachher": 4}}
    event = _last_event(engine, failed_case)
    assert event["actor"] == "po" and event["action"] == "data_edited"
    assert event["details"]["comment"] == "Tippfehler im Antrag"
    assert event["details"]["changes"] == {"teiler": {"vorher": 0, "nachher": 4}}
    assert queries.get_case(engine, failed_case)["data"]["teiler"] == 4

    [incident] = incidents.list_incidents(engine, case_id=failed_case)
    case_repair.retry(engine, incident["id"], actor="po", comment="Nach Korrektur erneut")
    case = queries.get_case(engine, failed_case)
    assert case["status"] == "waiting" and case["data"]["anteil"] == 25
    assert [t["element_id"] for t in case["open_tasks"]] == ["pruefen"]
    retried = [h for h in case["history"] if h["action"] == "incident_retried"]
    assert retried[-1]["details"]["comment"] == "Nach Korrektur erneut"


def test_a_case_field_edit_updates_the_search_projection(engine: Engine, failed_case: str) -> None:
    from engine.services import case_search

    case_repair.edit_data(engine, failed_case, {"antragsteller": "Erika Musterfrau"}, actor="po",
                          comment="Name nach Heirat")
    page = case_search.search(engine, case_search.CaseQuery(field_name="antragsteller", field_value="Erika Musterfrau"))
    assert [row.id for row in page.rows] == [failed_case]


@pytest.mark.parametrize("changes,field", [({"gebuehr": 10}, "gebuehr"),          # not declared
                                           ({"teiler": "vier"}, "teiler"),        # wrong type
                                           ({"teiler": -1}, "teiler"),            # below minimum
                                           ({}, "daten")])
def test_edits_outside_the_declared_fields_are_refused(engine: Engine, failed_case: str, changes: dict[str, Any],
                                                       field: str) -> None:
    before = queries.get_case(engine, failed_case)
    with pytest.raises(FormValidationError) as raised:
        case_repair.edit_data(engine, failed_case, changes, actor="po", comment="Versuch einer Änderung")
    assert field in raised.value.field_errors
    after = queries.get_case(engine, failed_case)
    assert after["data"] == before["data"] and len(after["history"]) == len(before["history"])


@pytest.mark.parametrize("comment", ["", "   ", "ok"])
def test_every_repair_needs_a_reason(engine: Engine, failed_case: str, comment: str) -> None:
    for action in (lambda: case_repair.edit_data(engine, failed_case, {"teiler": 2}, actor="po", comment=comment),
                   lambda: case_repair.suspend(engine, failed_case, actor="po", comment=comment),
                   lambda: case_repair.cancel(engine, failed_case, actor="po", comment=comment)):
        with pytest.raises(FormValidationError) as raised:
            action()
        assert "kommentar" in raised.value.field_errors
    assert queries.get_case(engine, failed_case)["status"] == "failed"


def test_suspend_resume_and_cancel_are_audited(engine: Engine) -> None:
    deploy(engine, read_paths([str(REPAIR)]), actor="test")
    case_id = cases.start_case(engine, "reparatur", {"antragsteller": "Jonas Weber", "teiler": 5}, actor="jonas")
    case_repair.suspend(engine, case_id, actor="po", comment="Rückfrage beim Register")
    assert queries.get_case(engine, case_id)["suspended"] is True
    assert _last_event(engine, case_id)["details"] == {"comment": "Rückfrage beim Register"}
    case_repair.resume(engine, case_id, actor="po", comment="Register hat geantwortet")
    assert queries.get_case(engine, case_id)["suspended"] is False
    case_repair.cancel(engine, case_id, actor="admin", comment="Antrag zurückgezogen")
    case = queries.get_case(engine, case_id)
    assert case["status"] == "cancelled" and case["data"]["antragsteller"] == "Jonas Weber"
    assert case["history"][-1]["actor"] == "admin" and case["history"][-1]["details"]["reason"] == "Antrag zurückgezogen"
    with pytest.raises(InvalidState):
        case_repair.edit_data(engine, case_id, {"teiler": 2}, actor="po", comment="Zu spät geändert")


def test_an_edit_reaches_the_next_step(engine: Engine) -> None:
    """The changed value is what the rest of the process sees (not only the case view)."""
    deploy(engine, read_paths([str(REPAIR)]), actor="test")
    case_id = cases.start_case(engine, "reparatur", {"antragsteller": "Aylin", "teiler": 5}, actor="aylin")
    case_repair.edit_data(engine, case_id, {"antragsteller": "Aylin Yılmaz"}, actor="po", comment="Nachname ergänzt")
    [task] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, task["id"], {}, actor="sb1", internal=True)
    case = queries.get_case(engine, case_id)
    assert case["status"] == "completed" and case["data"]["antragsteller"] == "Aylin Yılmaz"
