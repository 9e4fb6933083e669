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


def _pending_jobs(engine: Engine, case_id: str) -> list[str]:
    from sqlalchemy import select

    from engine.persistence import tables as t
    with engine.db.connect() as conn:
        return sorted(conn.execute(select(t.jobs.c.kind).where(t.jobs.c.case_id == case_id)).scalars())


def test_startable_elements_are_the_running_levels_steps_but_no_start_or_boundary_events(
        engine: Engine, case_id: str) -> None:
    startable = [c[0] for c in case_modification.choices(engine, case_id).startable]
    assert startable == ["antrag_pruefen", "ende", "freigeben", "verfristet"]


def test_move_to_a_step_the_case_has_not_reached(engine: Engine, case_id: str) -> None:
    """Camunda's cancel + startBeforeActivity: the open task and its timer go, the case waits
    at the unreached step with the data it had, and runs on from there."""
    assert _pending_jobs(engine, case_id) == ["timer"]
    move = Instruction("move", "freigeben")
    preview = case_modification.modify(engine, case_id, move, actor="po", preview=True)
    assert preview.before == ["antrag_pruefen", "frist"] and preview.after == ["freigeben"] and not preview.ends
    assert _open(engine, case_id) == ["antrag_pruefen"]
    case_modification.modify(engine, case_id, move, actor="po", comment="Prüfung im Altverfahren erledigt")
    engine.case_cache.discard(case_id)                        # from the database, as another process sees it
    assert _open(engine, case_id) == ["freigeben"] and _pending_jobs(engine, case_id) == []
    event = queries.get_case(engine, case_id)["history"][-1]
    assert event["details"]["modification"] == {"action": "move", "element": "freigeben"}
    [task] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, task["id"], {}, actor="sb1", internal=True)
    case = queries.get_case(engine, case_id)
    assert case["status"] == "completed" and case["data"]["n"] == 1


def test_start_before_adds_a_token_and_keeps_the_open_steps(engine: Engine, case_id: str) -> None:
    case_modification.modify(engine, case_id, Instruction("start_before", "freigeben"), actor="po",
                             comment="Freigabe parallel vorziehen")
    engine.case_cache.discard(case_id)
    assert _open(engine, case_id) == ["antrag_pruefen", "freigeben"] and _pending_jobs(engine, case_id) == ["timer"]
    release = next(t for t in queries.list_tasks(engine, case_id=case_id) if t["element_id"] == "freigeben")
    cases.complete_task(engine, release["id"], {}, actor="sb1", internal=True)
    assert queries.get_case(engine, case_id)["status"] == "waiting"     # the other token still runs
    [check] = queries.list_tasks(engine, case_id=case_id)
    assert check["element_id"] == "antrag_pruefen"
    cases.complete_task(engine, check["id"], {}, actor="sb1", internal=True)
    [again] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, again["id"], {}, actor="sb1", internal=True)
    assert queries.get_case(engine, case_id)["status"] == "completed"


@pytest.mark.parametrize("element", ["start", "frist", "gibt_es_nicht"])
def test_start_before_a_start_or_boundary_event_is_refused(engine: Engine, case_id: str, element: str) -> None:
    with pytest.raises(InvalidState) as refused:
        case_modification.modify(engine, case_id, Instruction("move", element), actor="po", comment="Versuch")
    assert "lässt sich nicht beginnen" in refused.value.user_message
    assert _open(engine, case_id) == ["antrag_pruefen"]


_NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="verschachtelt" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="vorpruefen"/>
    <bpmn:subProcess id="pruefung">
      <bpmn:startEvent id="innen_start"/>
      <bpmn:userTask id="a"/>
      <bpmn:userTask id="b"/>
      <bpmn:endEvent id="innen_ende"/>
      <bpmn:sequenceFlow id="i1" sourceRef="innen_start" targetRef="a"/>
      <bpmn:sequenceFlow id="i2" sourceRef="a" targetRef="b"/>
      <bpmn:sequenceFlow id="i3" sourceRef="b" targetRef="innen_ende"/>
    </bpmn:subProcess>
    <bpmn:endEvent id="ende"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="vorpruefen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="vorpruefen" targetRef="pruefung"/>
    <bpmn:sequenceFlow id="f3" sourceRef="pruefung" targetRef="ende"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_start_before_inside_a_sub_process_only_while_it_runs(engine: Engine) -> None:
    deploy(engine, [SourceFile("n.bpmn", _NESTED)], actor="po")
    case_id = cases.start_case(engine, "verschachtelt", {"x": 1}, actor="t", internal=True)
    assert [c[0] for c in case_modification.choices(engine, case_id).startable] == ["ende", "pruefung", "vorpruefen"]
    with pytest.raises(InvalidState) as refused:     # Camunda would create the sub-process's scope
        case_modification.modify(engine, case_id, Instruction("move", "b"), actor="po", comment="Versuch")
    assert "nicht laufenden Teilprozessen" in refused.value.user_message
    case_modification.modify(engine, case_id, Instruction("move", "pruefung"), actor="po", comment="Vorprüfung entfällt")
    engine.case_cache.discard(case_id)
    assert _open(engine, case_id) == ["a"]
    assert "b" in [c[0] for c in case_modification.choices(engine, case_id).startable]
    case_modification.modify(engine, case_id, Instruction("move", "b"), actor="po", comment="a schon erledigt")
    engine.case_cache.discard(case_id)
    assert _open(engine, case_id) == ["b"]
    [task] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, task["id"], {}, actor="sb1", internal=True)
    case = queries.get_case(engine, case_id)
    assert case["status"] == "completed" and case["data"]["x"] == 1


LISTENED = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             id="d" targetNamespace="t">
  <process id="gehoert" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="pruefen"/>
    <userTask id="pruefen">
      <extensionElements>
        <camunda:taskListener event="create" expression="${execution.setVariable('angelegt', true)}"/>
      </extensionElements>
    </userTask>
    <sequenceFlow id="f2" sourceRef="pruefen" targetRef="freigeben"/>
    <userTask id="freigeben"/>
    <sequenceFlow id="f3" sourceRef="freigeben" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
"""


def test_a_user_task_with_a_listener_can_be_skipped(engine: Engine) -> None:
    """Behaviours the engine adds to an element (here a task listener) keep its kind: it is still
    a user task that may be skipped."""
    deploy(engine, [SourceFile("gehoert.bpmn", LISTENED)], actor="po")
    case_id = cases.start_case(engine, "gehoert", {}, actor="t", internal=True)
    assert [c[2] for c in case_modification.choices(engine, case_id).open] == ["UserTask"]
    case_modification.modify(engine, case_id, Instruction("skip", "pruefen"), actor="po", comment="erledigt")
    engine.case_cache.discard(case_id)
    assert _open(engine, case_id) == ["freigeben"]
