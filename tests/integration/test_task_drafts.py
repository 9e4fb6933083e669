"""A clerk's unfinished task form (engine/services/task_drafts.py): saved as typed, held by the
clerk, gone with the task."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.domain.errors import Conflict, InvalidInput, PermissionDenied
from engine.persistence import tables as t
from engine.services import cases, queries, task_drafts
from engine.services.deploy import deploy, read_paths
from tests.conftest import MODELS

TYPED = {"entscheidung": "abgelehnt", "begruendung": "Nachweis fehlt noch", "frist": "31.02.2027",
         "auflagen": ["befristet"]}


@pytest.fixture
def task(engine):
    deploy(engine, read_paths([str(MODELS / "entwurf")]), actor="po")
    case_id = cases.start_case(engine, "entwurf", {}, internal=True)
    [item] = queries.list_tasks(engine, case_id=case_id)
    return item


def _rows(engine) -> list:
    with engine.db.connect() as conn:
        return list(conn.execute(select(t.task_drafts)))


def test_a_draft_keeps_what_was_typed_and_takes_the_free_task(engine, task, clock):
    saved = task_drafts.save(engine, task["id"], TYPED, "sb1")
    assert saved.fields == TYPED and saved.saved_by == "sb1" and saved.saved_at == clock.now()
    assert task_drafts.get(engine, task["id"]) == saved          # an invalid date is kept as typed
    assert queries.get_task(engine, task["id"])["assignee"] == "sb1"
    assert [e["action"] for e in queries.get_case(engine, task["case_id"])["history"]][-1] == "task_claimed"
    again = task_drafts.save(engine, task["id"], {"begruendung": "Nachweis liegt vor"}, "sb1")
    assert task_drafts.get(engine, task["id"]) == again and len(_rows(engine)) == 1
    assert queries.get_case(engine, task["case_id"])["data"] == {}    # nothing reaches the case


def test_a_task_someone_else_holds_keeps_their_draft(engine, task):
    task_drafts.save(engine, task["id"], TYPED, "sb1")
    with pytest.raises(Conflict) as refused:
        task_drafts.save(engine, task["id"], {"begruendung": "anders"}, "sb2")
    assert "sb1" in refused.value.user_message and "nicht gespeichert" in refused.value.user_message
    with pytest.raises(Conflict):
        task_drafts.discard(engine, task["id"], "sb2")
    assert task_drafts.get(engine, task["id"]).fields == TYPED
    cases.delegate(engine, task["id"], "sb2", actor="sb1")          # handed on: the draft goes with it
    assert task_drafts.get(engine, task["id"]).saved_by == "sb1"
    assert task_drafts.discard(engine, task["id"], "sb2") is True
    assert task_drafts.get(engine, task["id"]) is None and task_drafts.discard(engine, task["id"], "sb2") is False


def test_the_draft_ends_with_the_completed_task(engine, task):
    task_drafts.save(engine, task["id"], TYPED, "sb1")
    cases.complete_task(engine, task["id"], {"entscheidung": "genehmigt", "begruendung": "ok", "frist": "2027-01-31"},
                        actor="sb1")
    assert _rows(engine) == []
    with pytest.raises(Conflict) as refused:
        task_drafts.save(engine, task["id"], TYPED, "sb1")
    assert "nicht mehr offen" in refused.value.user_message and _rows(engine) == []


def test_the_draft_ends_with_a_cancelled_case(engine, task):
    task_drafts.save(engine, task["id"], TYPED, "sb1")
    cases.cancel_case(engine, task["case_id"], actor="admin", reason="zurückgezogen")
    assert queries.get_task(engine, task["id"])["state"] == "cancelled" and _rows(engine) == []


@pytest.mark.parametrize("fields", [
    {"frist": 31}, {"auflagen": ["befristet", None]}, {"": "x"}, {"x" * 201: "x"}, ["begruendung"],
    {f"feld{n}": "x" for n in range(501)}, {"begruendung": "x" * (300 * 1024)},
])
def test_a_draft_that_is_not_a_forms_texts_is_refused(engine, task, fields):
    with pytest.raises(InvalidInput):
        task_drafts.save(engine, task["id"], fields, "sb1")
    assert _rows(engine) == [] and queries.get_task(engine, task["id"])["assignee"] is None


def test_the_four_eyes_principle_keeps_the_first_decider_out(engine):
    deploy(engine, read_paths([str(MODELS / "four_eyes.bpmn")]), actor="po")
    case_id = cases.start_case(engine, "vieraugen", {}, internal=True, business_key="VA-1")
    [first] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, first["id"], {}, actor="sb1")
    [second] = queries.list_tasks(engine, case_id=case_id)
    with pytest.raises(PermissionDenied):
        task_drafts.save(engine, second["id"], {"x": "y"}, "sb1")
    assert _rows(engine) == []
