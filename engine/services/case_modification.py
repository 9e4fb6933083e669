"""Changing where a case stands (engine/runtime/modification.py), with a preview and an audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from sqlalchemy import delete, select

from engine.bootstrap import Engine
from engine.domain.errors import NotFound
from engine.persistence import tables as t
from engine.runtime import modification
from engine.runtime.modification import Instruction   # re-exported for the web layer
from engine.services import case_repair
from engine.services.commands import Command, run_case_command


@dataclass(frozen=True)
class Preview:
    before: list[str]        # open element ids now
    after: list[str]         # open element ids after the change (and stepping)
    ends: bool               # the change cancels the case (nothing would be open)


@dataclass(frozen=True)
class Choices:
    open: list[tuple[str, str, str]]        # (element id, name, kind)
    completed: list[tuple[str, str, str]]
    startable: list[tuple[str, str, str]]   # a new token may start before these (start_before, move)

    @property
    def skippable(self) -> list[str]:
        """Open elements that may be skipped (tasks for people)."""
        return [element for element, _name, kind in self.open if kind in modification.SKIPPABLE]


class _Previewed(Exception):
    def __init__(self, preview: Preview) -> None:
        super().__init__("preview")
        self.preview = preview


def choices(engine: Engine, case_id: str) -> Choices:
    """What can be changed: the open elements and the completed ones (read only)."""
    with engine.db.connect() as conn:
        row = conn.execute(select(t.cases.c.state, t.cases.c.definition_id, t.cases.c.variant_id,
                                  t.cases.c.bound_definitions, t.cases.c.serializer_version)
                           .where(t.cases.c.id == case_id)).first()
        if row is None:
            raise NotFound(f"case {case_id} not found", user_message="Der Vorgang wurde nicht gefunden.")
        parsed = engine.definitions.for_case(row.definition_id, conn, row.variant_id, row.bound_definitions)
    wf = engine.serializer.loads(row.state, parsed, engine.script_engine, row.serializer_version)
    return Choices(modification.open_elements(wf), modification.completed_elements(wf),
                   modification.startable_elements(wf))


def _open_ids(cmd: Command) -> list[str]:
    return sorted({element for element, _name, _kind in modification.open_elements(cmd.wf)})


def _forget_reopened(cmd: Command) -> None:
    """A restart runs a completed task again under its own id: its finished work item gives way
    to the new one (the audit trail keeps who completed it and when)."""
    reopened = [w.task_id for w in cmd.engine.runner.waits(cmd.wf, cmd.parsed.models).user_tasks]
    if reopened:
        w = t.work_items
        for table in (t.work_item_queue, t.work_item_groups, t.work_item_exclusions):
            cmd.uow.conn.execute(delete(table).where(table.c.work_item_id.in_(
                select(w.c.id).where(w.c.id.in_(reopened), w.c.state != "open"))))
        cmd.uow.conn.execute(delete(w).where(w.c.id.in_(reopened), w.c.state != "open"))


def modify(engine: Engine, case_id: str, instruction: Instruction, *, actor: str, comment: str = "",
           preview: bool = False) -> Preview:
    """Apply the change (or only show its outcome: nothing is stored with ``preview``)."""
    reason = comment if preview else case_repair.require_comment(comment)

    def mutate(cmd: Command) -> Preview:
        before = _open_ids(cmd)
        ends = modification.apply(cmd.wf, instruction)
        if ends:
            cmd.engine.runner.cancel(cmd.wf)
            cmd.status_override = "cancelled"
        else:
            cmd.engine.runner.step(cmd.wf)      # save() steps again: a no-op that records the outcome
        result = Preview(before, [] if ends else _open_ids(cmd), ends)
        if preview:
            raise _Previewed(result)
        _forget_reopened(cmd)
        cmd.audit_details.update(comment=reason, modification={"action": instruction.action,
                                                               "element": instruction.element_id},
                                 before=result.before, after=result.after)
        return result

    try:
        return run_case_command(engine, case_id, actor, "modified", mutate, allow_suspended=True)
    except _Previewed as shown:
        return shown.preview


__all__ = ["Choices", "Instruction", "Preview", "choices", "modify"]
