"""A citizen's unfinished application ("Als Entwurf speichern").

A signed-in citizen who cannot finish an application at once (a document to look up, a date to
ask) saves the start form as typed, also values that would not pass validation yet. It is not an
application: no case exists, nobody at the office sees it, and nothing of it is checked until it
is sent. One draft per person and process; saving again replaces it.

A draft is kept :data:`KEEP` after its last save. Then a job of kind ``draft_expiry`` (due at
that moment, one per draft, moved by every save) removes it with its personal data; a draft past
its time is never shown even before the job ran. Sending the application removes the draft.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import delete, insert, select

from engine.bootstrap import Engine
from engine.domain.errors import InvalidInput
from engine.persistence import tables as t
from engine.services.job_rows import job_row
from engine.persistence.db import unit_of_work
from engine.services.task_drafts import checked
from engine.tenancy import current_tenant

KEEP = timedelta(days=30)
KIND = "draft_expiry"
MAX_DRAFTS = 50              # per person: one per process, and no process library is larger


@dataclass(frozen=True)
class ApplicationDraft:
    process_key: str
    fields: dict[str, str | list[str]]
    saved_at: datetime
    expires_at: datetime


def expiry_job_id(owner: str, process_key: str) -> str:
    """The id of a draft's expiry job (a tenant's person and process: one draft, one job)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"amtsflow:draft:{current_tenant()}:{owner}:{process_key}"))


def save(engine: Engine, owner: str, process_key: str, fields: Mapping[str, Any]) -> ApplicationDraft:
    """Store the start form's ``fields`` as typed (replacing an earlier draft of this process)."""
    kept = checked(fields)
    now = engine.clock.now()
    expires = now + KEEP
    d, j = t.application_drafts, t.jobs
    job_id = expiry_job_id(owner, process_key)
    with unit_of_work(engine.db) as uow:
        conn = uow.conn
        conn.execute(delete(d).where(d.c.owner == owner, d.c.process_key == process_key))
        others = conn.execute(select(d.c.process_key).where(d.c.owner == owner).limit(MAX_DRAFTS)).all()
        if len(others) >= MAX_DRAFTS:
            raise InvalidInput(f"{owner} has {MAX_DRAFTS} application drafts",
                               user_message="Sie haben zu viele Entwürfe gespeichert. Bitte senden oder verwerfen "
                                            "Sie zuerst einen anderen.")
        conn.execute(insert(d).values(owner=owner, process_key=process_key, fields=kept, saved_at=now,
                                      expires_at=expires))
        conn.execute(delete(j).where(j.c.id == job_id))
        conn.execute(insert(j).values(job_row(engine, KIND, expires, {"owner": owner, "process_key": process_key},
                                              job_id=job_id, created_at=now)))
        uow.commit()
    return ApplicationDraft(process_key, kept, now, expires)


def get(engine: Engine, owner: str, process_key: str) -> ApplicationDraft | None:
    """The person's draft of this process, unless it expired."""
    found = [a for a in list_for(engine, owner) if a.process_key == process_key]
    return found[0] if found else None


def list_for(engine: Engine, owner: str) -> list[ApplicationDraft]:
    """The person's drafts that have not expired, the latest saved first."""
    d = t.application_drafts
    with engine.db.connect() as conn:
        rows = conn.execute(select(d).where(d.c.owner == owner, d.c.expires_at > engine.clock.now())
                            .order_by(d.c.saved_at.desc()).limit(MAX_DRAFTS)).all()
    return [ApplicationDraft(r.process_key, dict(r.fields), r.saved_at, r.expires_at) for r in rows]


def discard(engine: Engine, owner: str, process_key: str) -> bool:
    """Remove the draft (sent, or discarded by its owner) and its expiry job; True if there was one."""
    d, j = t.application_drafts, t.jobs
    with unit_of_work(engine.db) as uow:
        removed = uow.conn.execute(delete(d).where(d.c.owner == owner, d.c.process_key == process_key)).rowcount
        uow.conn.execute(delete(j).where(j.c.id == expiry_job_id(owner, process_key)))
        uow.commit()
    return bool(removed)


def expire(engine: Engine, job: Any) -> bool:
    """Run a draft's expiry job: the draft is removed if its time ran out (a later save moved the
    job with it, so this finds the draft expired); True if it was removed."""
    d, j = t.application_drafts, t.jobs
    with unit_of_work(engine.db) as uow:
        removed = uow.conn.execute(delete(d).where(d.c.owner == job.payload["owner"],
                                                   d.c.process_key == job.payload["process_key"],
                                                   d.c.expires_at <= engine.clock.now())).rowcount
        uow.conn.execute(delete(j).where(j.c.id == job.id))
        uow.commit()
    return bool(removed)
