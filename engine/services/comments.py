"""Internal notes of the clerks on a case (never shown to citizens)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from engine.bootstrap import Engine
from engine.domain.errors import InvalidState
from engine.persistence import tables as t
from engine.persistence.db import unit_of_work
from engine.services.case_events import append_case_event

MAX_LENGTH = 4000


def add_comment(engine: Engine, case_id: str, author: str, text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidState("empty comment", user_message="Bitte geben Sie einen Kommentar ein.")
    if len(text) > MAX_LENGTH:
        raise InvalidState(f"comment longer than {MAX_LENGTH} characters",
                           user_message=f"Ein Kommentar darf höchstens {MAX_LENGTH} Zeichen lang sein.")
    comment_id = str(uuid.uuid4())
    now = engine.clock.now()
    with unit_of_work(engine.db) as uow:
        uow.conn.execute(t.case_comments.insert(), dict(id=comment_id, case_id=case_id, author=author, text=text,
                                                        created_at=now))
        # The audit log records that a note was written, not what it says (personal data).
        append_case_event(uow.conn, case_id, now, author, "comment_added", {"comment": comment_id})
        uow.commit()
    return comment_id


def list_comments(engine: Engine, case_id: str) -> list[dict[str, Any]]:
    c = t.case_comments
    with engine.db.connect() as conn:
        rows = conn.execute(select(c).where(c.c.case_id == case_id).order_by(c.c.created_at, c.c.id)).all()
    return [{"id": r.id, "author": r.author, "text": r.text, "created_at": r.created_at.isoformat()} for r in rows]
