"""Changing where a case stands (issue 16): skip, restart before a completed step, cancel an
activity; each previewed first and audited with a reason, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from engine.bootstrap import Engine
from engine.domain.errors import FormValidationError, InvalidState
from engine.runtime.parsing import SourceFile
from engine.services import case_modification, cases, queries
from engine.services.case_modification import Instruction
from engine.services.deploy import deploy
from tests.conftest import model


@pytest.fixture
def case_id(engine: Engine) -> str:
    deploy(engine, [SourceFile("m.bpmn", (model("migration") / "v2.bpmn").read_bytes())], actor="po")
    return cases.start_case(engine, "migration_test", {"n": 1}, actor="t", internal=True)


def _open(engine: Engine, case_id: str) -> list[str]:
    return sorted(t["element_id"] for t in queries.list_tasks(engine, case_id=case_id))


def test_skip_previews_then_moves_past_the_task(engine: Engine, case_id: str) -> None:
    choices = case_modification.choices(engine, case_id)
    assert [c[0] for c in choices.open] == ["antrag_pruefen", "frist"] and choices.completed == []
    skip = Instruction("skip", "antrag_pruefen")
    preview = case_modification.modify(engine, case_id, skip, actor="po", preview=True)
    assert preview.before == ["antrag_pruefen", "frist"] and preview.after == ["freigeben"] and not preview.ends
    assert _open(engine, case_id) == ["antrag_pruefen"]                 # a preview changes nothing
    case_modification.modify(engine, case_id, skip, actor="po", comment="Prüfung telefonisch erledigt")
    engine.case_cache.discard(case_id)
    assert _open(engine, case_id) == ["freigeben"]
    event = queries.get_case(engine, case_id)["history"][-1]
    assert event["action"] == "modified" and event["actor"] == "po"
    assert event["details"]["modification"] == {"action": "skip", "element": "antrag_pruefen"}
    assert event["details"]["after"] == ["freigeben"] and event["details"]["comment"] == "Prüfung telefonisch erledigt"


def test_restart_before_a_completed_task(engine: Engine, case_id: str) -> None:
    [task] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, task["id"], {}, actor="sb1", internal=True)
    assert _open(engine, case_id) == ["freigeben"]
    assert [c[0] for c in case_modification.choices(engine, case_id).completed] == ["antrag_pruefen"]
    back = Instruction("restart", "antrag_pruefen")
    assert case_modification.modify(engine, case_id, back, actor="po", preview=True).after == ["antrag_pruefen", "frist"]
    case_modification.modify(engine, case_id, back, actor="po", comment="Unterlagen nachgereicht, neu prüfen")
    engine.case_cache.discard(case_id)
    assert _open(engine, case_id) == ["antrag_pruefen"]
    [again] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, again["id"], {}, actor="sb1", internal=True)
    assert _open(engine, case_id) == ["freigeben"]


def test_cancelling_the_only_activity_ends_the_case(engine: Engine, case_id: str) -> None:
    [task] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, task["id"], {}, actor="sb1", internal=True)
    stop = Instruction("cancel", "freigeben")
    assert case_modification.modify(engine, case_id, stop, actor="po", preview=True).ends
    case_modification.modify(engine, case_id, stop, actor="admin", comment="Antrag zurückgenommen")
    case = queries.get_case(engine, case_id)
    assert case["status"] == "cancelled" and _open(engine, case_id) == []


@pytest.mark.parametrize("instruction,text", [(Instruction("restart", "freigeben"), "noch nicht durchlaufen"),
                                              (Instruction("skip", "frist"), "Ereignisse"),
                                              (Instruction("cancel", "freigeben"), "nicht offen"),
                                              (Instruction("teleport", "freigeben"), "gibt es nicht")])
def test_impossible_changes_are_refused_in_german(engine: Engine, case_id: str, instruction: Instruction,
                                                  text: str) -> None:
    with pytest.raises(InvalidState) as refused:
        case_modification.modify(engine, case_id, instruction, actor="po", comment="Versuch")
    assert text in refused.value.user_message
    assert _open(engine, case_id) == ["antrag_pruefen"]


def test_a_change_needs_a_reason(engine: Engine, case_id: str) -> None:
    with pytest.raises(FormValidationError):
        case_modification.modify(engine, case_id, Instruction("skip", "antrag_pruefen"), actor="po", comment="")
    assert _open(engine, case_id) == ["antrag_pruefen"]
