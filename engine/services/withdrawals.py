"""A citizen withdraws their application ("Antrag zurücknehmen", engine/runtime/withdrawal.py).

The process names the message that withdraws an application (service.toml ``[ruecknahme]
nachricht``) and catches it where a withdrawal is still possible, before the decision. Here the
portal asks whether the case waits for it now, and sends it to that case alone, as the citizen:
the model decides what follows (which tasks end, the confirmation, the status the citizen sees).
Whether the person may withdraw this case (they started it) is the caller's check.

A clerk who held a task the withdrawal ended gets a mail (engine/services/notifications.py):
the task left their list without a word otherwise, and their saved draft of it with it. The
mails are written in the transaction that ends the tasks (commands.joining_save): there is
never a withdrawal without them, nor mails about one that did not happen. Who holds a task is
read there too, after the tasks were ended: a clerk who claimed one while the withdrawal was
under way (their claim committed before the withdrawal ended the task, or the withdrawal's
end waited for it) is told as well.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

from sqlalchemy import select

from engine.bootstrap import Engine
from engine.domain.errors import InvalidInput, InvalidState, NoCorrelation, NotFound
from engine.persistence import tables as t
from engine.runtime.withdrawal import REASON, REASON_MAX
from engine.services import commands, messages, notifications

NOT_WITHDRAWABLE = ("Der Antrag kann nicht mehr zurückgenommen werden: Über ihn ist bereits entschieden, oder er "
                    "wird gerade abgeschlossen. Bitte wenden Sie sich an die zuständige Stelle.")


def withdrawal_message(engine: Engine, case_id: str) -> str | None:
    """The message that would withdraw this case's application now: the one its process
    declares, if the case waits for it at this moment; else None."""
    c, s = t.cases, t.subscriptions
    with engine.db.connect() as conn:
        row = conn.execute(select(c.c.process_key, c.c.status, c.c.definition_id, c.c.variant_id,
                                  c.c.bound_definitions).where(c.c.id == case_id)).first()
        if row is None or row.status in ("completed", "cancelled"):
            return None
        parsed = engine.definitions.for_case(row.definition_id, conn, row.variant_id, row.bound_definitions)
        model = parsed.models.get(row.process_key, parsed.model)
        name = model.withdrawal
        if name is None:
            return None
        waiting = conn.execute(select(s.c.id).where(s.c.case_id == case_id, s.c.kind == "message",
                                                    s.c.name == name).limit(1)).first()
    return name if waiting is not None else None


def clean_reason(text: str) -> str:
    """The citizen's reason as plain text: at most :data:`REASON_MAX` characters, no control
    characters but line breaks."""
    text = text.strip()
    if len(text) > REASON_MAX:
        raise InvalidInput(f"withdrawal reason of {len(text)} characters",
                           user_message=f"Bitte geben Sie höchstens {REASON_MAX} Zeichen ein.")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def withdraw(engine: Engine, case_id: str, actor: str, reason: str = "", *, case_link: str | None = None) -> None:
    """Send the withdrawal to the case; InvalidState when it does not wait for one (any more).
    ``case_link``: the case's page for its clerks, for the mail to those whose task it ended."""
    cleaned = clean_reason(reason)
    name = withdrawal_message(engine, case_id)
    if name is None:
        raise InvalidState(f"case {case_id} does not wait for a withdrawal", user_message=NOT_WITHDRAWABLE)
    drafts = _drafts(engine, case_id)
    try:
        with commands.joining_save(case_id, functools.partial(_tell_holders, engine, drafts, case_link)):
            outcome = messages.correlate_message(engine, name, None, {REASON: cleaned}, actor=actor,
                                                 to_case=case_id, any_key=True, buffer=False,
                                                 message_id=f"ruecknahme:{case_id}")
    except (NotFound, NoCorrelation):     # the wait ended between the look and the send
        raise InvalidState(f"case {case_id} is gone", user_message=NOT_WITHDRAWABLE) from None
    if outcome.status not in ("delivered", "duplicate"):
        raise InvalidState(f"withdrawal of case {case_id}: {outcome.status}", user_message=NOT_WITHDRAWABLE)


def _drafts(engine: Engine, case_id: str) -> dict[str, str]:
    """The case's open tasks with a saved draft: task id -> the clerk it belongs to (the drafts
    end with the tasks, in the withdrawal's transaction: read before it)."""
    w, d = t.work_items, t.task_drafts
    with engine.db.connect() as conn:
        rows = conn.execute(select(w.c.id, w.c.assignee).join(d, d.c.work_item_id == w.c.id)
                            .where(w.c.case_id == case_id, w.c.state == "open", w.c.assignee.is_not(None))).all()
    return {r.id: r.assignee for r in rows}


def _tell_holders(engine: Engine, drafts: dict[str, str], case_link: str | None, conn: Any,
                  cancelled: list[str]) -> None:
    """In the withdrawal's transaction, after the case's step: mail the clerks holding the tasks
    it cancelled, as the tasks' rows say now (a claim that committed before the step ended the
    task is in them)."""
    if not cancelled:
        return
    w = t.work_items
    held = conn.execute(select(w.c.id, w.c.assignee).where(w.c.id.in_(cancelled), w.c.assignee.is_not(None))
                        .order_by(w.c.id)).all()
    for task_id, assignee in held:
        notifications.withdrawn(engine, conn, task_id, assignee, draft=drafts.get(task_id) == assignee,
                                link=case_link)


__all__ = ["NOT_WITHDRAWABLE", "REASON", "REASON_MAX", "clean_reason", "withdraw", "withdrawal_message"]
