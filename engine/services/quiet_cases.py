"""Quiet marks: a case this process's command leaves without an open task and not ended, so
that a client waiting for its next task needs no first read (engine.services.task_wait). Kept
apart from task_wait so that the case commands (engine.services.commands) can mark a case
without importing the read side."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.bootstrap import Engine
    from engine.persistence.db import UnitOfWork


def listening(engine: Engine) -> bool:
    """This process hears every NOTIFY amtsflow_tasks now (its listener has LISTEN in place)."""
    listener = engine.task_listener
    return bool(listener) and bool(listener.listening.is_set())


def mark_quiet(engine: Engine, uow: UnitOfWork, case_id: str, tenant: str | None) -> None:
    """In a command whose commit leaves the case without an open task and not ended: mark it
    quiet now, confirmed once the commit succeeded (:meth:`engine.bell.CaseBells.expect_quiet`;
    a ring in between, even of a commit of another process that came first, spoils the mark)."""
    if not listening(engine):
        return
    bells = engine.task_bells
    mark = bells.expect_quiet(case_id, tenant)
    uow.after_commit(lambda: bells.confirm_quiet(case_id, mark))


__all__ = ["listening", "mark_quiet"]
