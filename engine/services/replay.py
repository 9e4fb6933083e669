"""A replay guard for signed callbacks, shared by every web process through the database.

It has the shape of ``connectors.signing.ReplayGuard`` (``first_seen(key, expires_at)``) without
importing connectors: the web layer hands it to ``verify_callback``. The in-process
``ReplayCache`` of the connectors only protects one process; behind a load balancer a replayed
callback may reach another one, so the remembered keys live in ``callback_replays``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from engine.bootstrap import Engine
from engine.persistence.callback_tables import callback_replays as r
from engine.persistence.db import unit_of_work


class DatabaseReplayGuard:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def first_seen(self, key: str, expires_at: float) -> bool:
        """Remember ``key`` until ``expires_at`` (Unix seconds); False if it is remembered already."""
        now = self.engine.clock.now()
        until = datetime.fromtimestamp(expires_at, timezone.utc)
        try:
            with unit_of_work(self.engine.db) as uow:
                uow.conn.execute(delete(r).where(r.c.expires_at < now))      # forget what can no longer pass
                seen = uow.conn.execute(select(r.c.key).where(r.c.key == key)).first() is not None
                if not seen:
                    uow.conn.execute(insert(r).values(key=key, expires_at=max(until, now)))
                uow.commit()
        except IntegrityError:        # the same callback accepted by another process at this moment
            return False
        return not seen

    def forget_expired(self) -> int:
        with unit_of_work(self.engine.db) as uow:
            done = uow.conn.execute(delete(r).where(r.c.expires_at < self.engine.clock.now()))
            uow.commit()
        return done.rowcount or 0
