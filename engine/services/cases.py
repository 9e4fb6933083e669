"""Case use cases: start, complete, claim/unclaim/delegate, cancel, suspend/resume."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import nullcontext
from types import SimpleNamespace
from typing import Any, Callable

from sqlalchemy import bindparam, select, update

from engine.bootstrap import Engine
from engine.domain.errors import Conflict, InvalidState, NotFound, PermissionDenied
from engine.persistence import tables as t
from engine.persistence.db import UnitOfWork, unit_of_work
from engine.persistence.fast import FastStatement
from engine.runtime import budget
from engine.services import business_keys, documents, forms, inbound, notifications, submissions, task_access
from engine.services.case_start import (  # noqa: F401 - business_key_variables is this module's API too
    BUSINESS_KEY_PROPERTY, OPTIMISTIC_STARTS, business_key_variables, definition_to_start, start_unlocked,
    store_start, take_business_key, workflow_to_start)
from engine.services.case_events import append_case_event
from engine.services.commands import CASE_COLUMNS, Command, run_case_command

MAX_BUSINESS_KEY = business_keys.MAX_BUSINESS_KEY


def start_case(engine: Engine, key: str, data: dict[str, Any] | None = None, *, business_key: str | None = None,
               actor: str = "system", version: int | None = None,
               message: tuple[str, dict[str, Any]] | None = None, message_record: dict[str, Any] | None = None,
               signal: tuple[str, dict[str, Any]] | None = None,
               timer_start: bool = False, definition_id: str | None = None, uow: UnitOfWork | None = None,
               uploads: Sequence[documents.Upload] = (), internal: bool = False,
               condition_start: str | None = None) -> str:
    """Start a case; with ``message`` (``signal``) the case is started by that message (signal)
    at its message (signal) start event,
    with ``timer_start`` by the scheduler when its start timer is due. Given ``uow``, the start
    joins that transaction and the caller commits. Without ``business_key`` the engine assigns
    one in the process's format; a key the process has already is refused (Conflict).

    ``data`` is a submission from outside (see :mod:`engine.services.submissions`): only the
    start form's fields, document references only to ``uploads``, which are stored in the
    start's own transaction. ``internal=True``: the data come from the embedding program itself
    (the operator's CLI without a user, tests): any variables, validated by the form's schema.
    ``condition_start``: the id of the conditional start event whose condition held (see
    :mod:`engine.services.condition_starts`); the case begins there."""
    data = dict(data or {})
    submission = submissions.Submission(actor, internal, tuple(uploads))
    inbound.check_start(key, business_key, data)
    if business_key is not None and (not business_key.strip() or len(business_key) > MAX_BUSINESS_KEY):
        raise InvalidState(f"business key must be 1..{MAX_BUSINESS_KEY} characters",
                           user_message="Das Aktenzeichen ist ungültig.")
    case_id = str(uuid.uuid4())
    if uow is None:
        for _attempt in range(OPTIMISTIC_STARTS):  # each attempt steps anew, with a budget of its own
            with budget.command(engine.runner.limits):
                if start_unlocked(engine, case_id, key, data, business_key, actor, version, message, signal,
                                  timer_start, definition_id, message_record, submission,
                                  condition_start=condition_start):
                    return case_id
    with budget.command(engine.runner.limits):
        # In the caller's transaction (which holds its locks already), or after repeated races
        # for the same process's next number: everything in one write transaction.
        with (nullcontext(uow) if uow is not None else unit_of_work(engine.db)) as tx:
            definition, parsed, variant = definition_to_start(engine, tx.conn, key, data, version, definition_id,
                                                              submission)
            business_key = take_business_key(engine, tx.conn, key, definition, business_key)
            prepared = workflow_to_start(engine, case_id, key, definition, parsed, data, business_key, actor,
                                         message, signal, timer_start, variant, condition_start=condition_start)
            store_start(engine, tx, case_id, prepared, business_key, actor, message_record, submission.uploads)
            if uow is None and not tx.committed:
                tx.commit()
    return case_id


_w = t.work_items
_SELECT_WORK_ITEM = FastStatement(
    select(_w.c.id, _w.c.case_id, _w.c.process_key, _w.c.element_id, _w.c.state, _w.c.assignee,
           t.cases.c.definition_id, t.cases.c.revision, t.cases.c.variant_id, t.cases.c.bound_definitions)
    .join(t.cases, t.cases.c.id == t.work_items.c.case_id)
    .where(t.work_items.c.id == bindparam("id")))


# The work item to complete with its whole case row: the command needs no second read when the
# case cache has no current entry (always, when another process - a worker - saved the case last).
# With all the columns of the task's view: who may complete it is decided on this read (the API).
_SELECT_WORK_ITEM_WITH_CASE = FastStatement(
    select(_w.c.id.label("task_id"), _w.c.process_key.label("task_process_key"), _w.c.element_id,
           _w.c.state.label("task_state"), _w.c.assignee, _w.c.name.label("task_name"), _w.c.candidate_groups,
           _w.c.candidate_users, _w.c.due.label("task_due"), _w.c.follow_up.label("task_follow_up"),
           _w.c.priority.label("task_priority"), _w.c.created_at.label("task_created_at"),
           _w.c.business_key.label("task_business_key"), *CASE_COLUMNS)
    .join(t.cases, t.cases.c.id == t.work_items.c.case_id)
    .where(t.work_items.c.id == bindparam("id")))
# Who may complete a task, asked with the work item as read (the columns of the task's view,
# engine.services.queries.task_view) and who started its case.
MayComplete = Callable[[Any, "str | None"], bool]


def work_item(engine: Engine, task_id: str, conn: Any = None) -> Any:
    """The work item joined with its case's definition id."""
    if conn is None:
        with engine.db.begin() as own:
            return work_item(engine, task_id, own)
    rows = _SELECT_WORK_ITEM.all(conn, {"id": task_id})   # with result processing: bound_definitions is JSON
    row = rows[0] if rows else None
    if row is None:
        raise NotFound(f"task {task_id} not found", user_message="Die Aufgabe wurde nicht gefunden.")
    return row


def task_form(engine: Engine, task_id: str, item: Any = None) -> Any:
    item = item or work_item(engine, task_id)
    parsed = engine.definitions.for_case(item.definition_id, None, item.variant_id, item.bound_definitions)
    return parsed.models.get(item.process_key, parsed.model).element(item.element_id).form


def complete_task(engine: Engine, task_id: str, data: dict[str, Any] | None = None, *, actor: str = "system",
                  uploads: Sequence[documents.Upload] = (), internal: bool = False,
                  may_complete: MayComplete | None = None) -> Any:
    """Complete a user task with the submitted form data: only the task form's fields, document
    references only to ``uploads`` (stored in the same transaction) or to attachments of this
    case that ``actor`` uploaded (see :mod:`engine.services.submissions`). ``internal=True``: the
    data come from the embedding program itself: any variables, validated by the form's schema.
    ``may_complete``: asked first, on the command's own read of the work item (the columns of
    its view) and who started its case; False is NotFound, as for a task that does not exist.
    Returns the work item as read, completed (``queries.task_view`` makes its view)."""
    data = dict(data or {})
    inbound.check_name(task_id, "task_id", where="complete task")
    inbound.check_data(data, where=f"task {task_id}")
    item: Any = None
    completed: Any = None

    def locate(conn: Any) -> tuple[str, int, Any]:  # in the command's transaction: one read, no second connection
        nonlocal item, completed
        rows = _SELECT_WORK_ITEM_WITH_CASE.all(conn, {"id": task_id})
        if not rows:
            raise NotFound(f"task {task_id} not found", user_message="Die Aufgabe wurde nicht gefunden.")
        case_row = rows[0]
        item = SimpleNamespace(id=case_row.task_id, case_id=case_row.id, process_key=case_row.task_process_key,
                               element_id=case_row.element_id, state=case_row.task_state, assignee=case_row.assignee,
                               definition_id=case_row.definition_id, revision=case_row.revision,
                               variant_id=case_row.variant_id, bound_definitions=case_row.bound_definitions)
        task = SimpleNamespace(
            id=item.id, case_id=item.case_id, process_key=item.process_key, name=case_row.task_name,
            element_id=item.element_id, state=item.state, candidate_groups=case_row.candidate_groups,
            candidate_users=case_row.candidate_users, assignee=item.assignee, due=case_row.task_due,
            follow_up=case_row.task_follow_up, priority=case_row.task_priority, created_at=case_row.task_created_at,
            business_key=case_row.task_business_key)
        if may_complete is not None and not may_complete(task, case_row.started_by):
            raise NotFound(f"task {task_id} is not {actor}'s to complete",
                           user_message="Die Aufgabe wurde nicht gefunden.")
        completed = SimpleNamespace(**{**vars(task), "state": "completed"})   # completing changes only that
        if item.state != "open":
            raise Conflict(f"task {task_id} is already {item.state}",
                           user_message="Die Aufgabe wurde bereits von jemand anderem erledigt.")
        if item.assignee and item.assignee != actor and actor != "system":
            raise PermissionDenied(f"task {task_id} is claimed by {item.assignee}",
                                   user_message=f"Die Aufgabe ist {item.assignee} zugewiesen.")
        where = f"task {task_id} ({item.element_id})"
        parsed = engine.definitions.for_case(item.definition_id, conn, item.variant_id, item.bound_definitions)
        info = parsed.models.get(item.process_key, parsed.model).element(item.element_id)
        form = info.form
        if internal:
            forms.validate(form.schema if form else None, data, where=where)
        else:
            submissions.check(conn, form, data, where=where, actor=actor,
                              case_id=str(item.case_id), uploaded=[u.id for u in uploads],
                              declared_without_form=submissions.declared_without_form(info.properties))
        return str(item.case_id), int(item.revision), case_row

    def mutate(cmd: Command) -> None:
        info = cmd.parsed.models.get(item.process_key, cmd.parsed.model).element(item.element_id)
        _check_four_eyes(cmd, info, task_id)
        if not cmd.engine.runner.is_open(cmd.wf, task_id):
            raise Conflict(f"task {task_id} was completed by someone else",
                           user_message="Die Aufgabe wurde bereits von jemand anderem erledigt.")
        cmd.engine.runner.complete_user_task(cmd.wf, task_id, data)
        documents.insert_uploads(cmd.uow.conn, uploads, case_id=cmd.case.id, uploaded_by=actor,
                                 now=cmd.engine.clock.now())
        cmd.completed[task_id] = actor
        cmd.audit_details.update({"task": task_id, "element": item.element_id, "fields": sorted(data)})

    try:
        run_case_command(engine, locate, actor, "task_completed", mutate)
    except InvalidState:
        if work_item(engine, task_id).state != "open":  # lost the race against another clerk
            raise Conflict(f"task {task_id} was completed by someone else",
                           user_message="Die Aufgabe wurde bereits von jemand anderem erledigt.") from None
        raise
    assert completed is not None
    return completed


def _check_four_eyes(cmd: Command, info: Any, task_id: str) -> None:
    """Element property ``fourEyesOf=<element id>``: whoever completed that task may not complete
    this one (the exclusions written with the work item, and for tasks created before they were
    written, the latest performer of the named task)."""
    elements = task_access.excluded_elements(info.properties)
    if not elements:
        return
    if cmd.actor in task_access.excluded(cmd.uow.conn, task_id) | task_access.performers(
            cmd.uow.conn, cmd.case.id, elements):
        raise PermissionDenied(f"task {task_id}: four-eyes principle, {cmd.actor} completed "
                               f"{', '.join(elements)} already", user_message=task_access.FOUR_EYES_MESSAGE)


def _refuse_excluded(conn: Any, task_id: str, assignee: str | None, actor: str) -> None:
    """Claiming a task for, or delegating it to, a person the four-eyes principle excludes."""
    if assignee is None or assignee not in task_access.excluded(conn, task_id):
        return
    message = (task_access.FOUR_EYES_MESSAGE if assignee == actor else
               f"Vier-Augen-Prinzip: {assignee} hat in diesem Vorgang bereits entschieden und kann "
               "diese Aufgabe nicht übernehmen.")
    raise PermissionDenied(f"task {task_id}: four-eyes principle excludes {assignee}", user_message=message)


def claim(engine: Engine, task_id: str, user: str) -> None:
    _assign(engine, task_id, user, user, expect_free=True, action="task_claimed")


def unclaim(engine: Engine, task_id: str, user: str, *, force: bool = False) -> None:
    item = work_item(engine, task_id)
    if item.assignee != user and not force:
        raise PermissionDenied(f"task {task_id} is not claimed by {user}",
                               user_message="Sie können nur eigene Aufgaben zurückgeben.")
    _assign(engine, task_id, None, user, expect_free=False, action="task_unclaimed")


def delegate(engine: Engine, task_id: str, to_user: str, actor: str, *, link: str | None = None) -> None:
    """Hand the task to ``to_user``; they get a mail (engine/services/notifications.py) with
    ``link`` to the task when the web knows its address."""
    _assign(engine, task_id, to_user, actor, expect_free=False, action="task_delegated", link=link)


def _assign(engine: Engine, task_id: str, assignee: str | None, actor: str, *, expect_free: bool, action: str,
            link: str | None = None) -> None:
    item = work_item(engine, task_id)
    parsed = engine.definitions.for_case(item.definition_id, None, item.variant_id, item.bound_definitions)
    if engine.runner.listens(parsed, item.process_key, item.element_id, "assignment"):
        _assign_with_listeners(engine, task_id, assignee, actor, expect_free=expect_free, action=action, link=link)
        return
    with unit_of_work(engine.db) as uow:
        _refuse_excluded(uow.conn, task_id, assignee, actor)
        cond = [t.work_items.c.id == task_id, t.work_items.c.state == "open"]
        if expect_free:
            cond.append((t.work_items.c.assignee.is_(None)) | (t.work_items.c.assignee == assignee))
        result = uow.conn.execute(update(t.work_items).where(*cond).values(assignee=assignee))
        if result.rowcount != 1:
            item = work_item(engine, task_id)
            if item.state != "open":
                raise Conflict(f"task {task_id} is {item.state}", user_message="Die Aufgabe ist nicht mehr offen.")
            raise Conflict(f"task {task_id} is claimed by {item.assignee}",
                           user_message=f"Die Aufgabe wurde bereits von {item.assignee} übernommen.")
        case_row = uow.conn.execute(select(t.work_items.c.case_id).where(t.work_items.c.id == task_id)).scalar_one()
        append_case_event(uow.conn, case_row, engine.clock.now(), actor, action, {"task": task_id, "assignee": assignee})
        if action == "task_delegated" and assignee is not None:
            notifications.hand_over(engine, uow.conn, item, assignee, actor, link)
        uow.commit()


def _assign_with_listeners(engine: Engine, task_id: str, assignee: str | None, actor: str, *, expect_free: bool,
                           action: str, link: str | None = None) -> None:
    """The task has assignment listeners (Camunda task listener event "assignment"): the new
    assignee and the listeners' effects are one case command."""
    def locate(conn: Any) -> str:
        return str(work_item(engine, task_id, conn).case_id)

    def mutate(cmd: Command) -> None:
        _refuse_excluded(cmd.uow.conn, task_id, assignee, actor)
        cond = [t.work_items.c.id == task_id, t.work_items.c.state == "open"]
        if expect_free:
            cond.append((t.work_items.c.assignee.is_(None)) | (t.work_items.c.assignee == assignee))
        if cmd.uow.conn.execute(update(t.work_items).where(*cond).values(assignee=assignee)).rowcount != 1:
            current = work_item(engine, task_id, cmd.uow.conn)
            raise Conflict(f"task {task_id} is {current.state}, assigned to {current.assignee}",
                           user_message="Die Aufgabe wurde bereits von jemand anderem übernommen.")
        cmd.engine.runner.assigned(cmd.wf, task_id, assignee)
        cmd.audit_details.update({"task": task_id, "assignee": assignee})
        if action == "task_delegated" and assignee is not None:
            notifications.hand_over(cmd.engine, cmd.uow.conn, SimpleNamespace(id=task_id), assignee, actor, link)

    run_case_command(engine, locate, actor, action, mutate)


def cancel_case(engine: Engine, case_id: str, actor: str = "system", reason: str = "") -> None:
    def mutate(cmd: Command) -> None:
        cmd.engine.runner.cancel(cmd.wf)
        cmd.status_override = "cancelled"
        cmd.audit_details["reason"] = reason

    run_case_command(engine, case_id, actor, "cancelled", mutate, allow_suspended=True)


def set_suspended(engine: Engine, case_id: str, suspended: bool, actor: str = "system", comment: str = "") -> None:
    with unit_of_work(engine.db) as uow:
        row = uow.conn.execute(select(t.cases).where(t.cases.c.id == case_id)).first()
        if row is None:
            raise NotFound(f"case {case_id} not found", user_message="Der Vorgang wurde nicht gefunden.")
        if row.status in ("completed", "cancelled"):
            raise InvalidState(f"case {case_id} is {row.status}", user_message="Der Vorgang ist bereits abgeschlossen.")
        if bool(row.suspended) == suspended:
            raise InvalidState(f"case {case_id} is already {'suspended' if suspended else 'active'}",
                               user_message="Der Vorgang ist bereits " + ("angehalten." if suspended else "aktiv."))
        uow.conn.execute(update(t.jobs).where(t.jobs.c.case_id == case_id).values(suspended=suspended))
        uow.conn.execute(update(t.cases).where(t.cases.c.id == case_id).values(suspended=suspended))
        append_case_event(uow.conn, case_id, engine.clock.now(), actor, "suspended" if suspended else "resumed",
                          {"comment": comment} if comment else {})
        uow.commit()
