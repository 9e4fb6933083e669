"""Jobs handed to this process's worker right after the commit that created them.

A command that creates a service job while this process runs a worker writes the job already
locked to that worker and, once committed, offers it here (as Camunda and Flowable hint their
local job executor): the worker runs it without waiting for its next poll. The job is in the
database all along; if this process dies, the lock expires and any worker takes it over.

Before a handed job runs, :meth:`Handover.take` re-locks it for a full lock period and re-reads
it in one statement, guarded by "still locked by me": a job whose case was cancelled meanwhile
(row deleted), that another worker took over after the lock expired, or whose case was
suspended is not run; suspended ones are unlocked so that they run after the resume.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, update

from engine.bootstrap import Engine
from engine.persistence import tables as t
from engine.persistence.db import unit_of_work

log = logging.getLogger("amtsflow.jobs")

_j = t.jobs
_RELOCK = (update(_j)
           .where(_j.c.id.in_(bindparam("ids", expanding=True)), _j.c.lock_owner == bindparam("owner"),
                  _j.c.suspended.is_(False), _j.c.retries > 0)
           .values(lock_expires_at=bindparam("expires")).returning(*_j.c))
_UNLOCK = (update(_j).where(_j.c.id.in_(bindparam("ids", expanding=True)), _j.c.lock_owner == bindparam("owner"))
           .values(lock_owner=None, lock_expires_at=None))


class Handover:
    def __init__(self, engine: Engine, owner: str) -> None:
        self.engine = engine
        self.owner = owner
        self.wakeup = threading.Event()     # set on every hand-over
        self._queue: deque[Any] = deque()
        self._lock = threading.Lock()
        self._accepting = True

    def __len__(self) -> int:
        return len(self._queue)

    def offer(self, job: Any) -> None:
        """A committed job locked to this worker (called after the commit that created it)."""
        with self._lock:
            if self._accepting:
                self._queue.append(job)
                self.wakeup.set()
                return
        self._unlock_quietly([job.id])  # the worker stopped meanwhile: let any worker take it

    def take(self, limit: int) -> list[Any]:
        """Up to ``limit`` handed jobs that may run now, re-locked and re-read (see above)."""
        with self._lock:
            taken = [self._queue.popleft() for _ in range(min(limit, len(self._queue)))]
        if not taken:
            return []
        ids = [job.id for job in taken]
        expires = self.engine.clock.now() + timedelta(seconds=self.engine.settings.job_lock_seconds)
        try:
            with unit_of_work(self.engine.db) as uow:
                rows = {r.id: r for r in uow.conn.execute(_RELOCK, {"ids": ids, "owner": self.owner,
                                                                    "expires": expires})}
                if len(rows) < len(ids):  # suspended meanwhile: unlock, so they run after the resume
                    uow.conn.execute(_UNLOCK, {"ids": [i for i in ids if i not in rows], "owner": self.owner})
                uow.commit()
        except BaseException:
            self.put_back(taken)
            raise
        return [rows[i] for i in ids if i in rows]

    def put_back(self, jobs: list[Any]) -> None:
        """Jobs taken but not run (the round failed): first in line again."""
        with self._lock:
            self._queue.extendleft(reversed(jobs))

    def release(self) -> None:
        """Take no more jobs; unlock those handed over but not run (other workers may take them)."""
        with self._lock:
            self._accepting = False
            ids = [job.id for job in self._queue]
            self._queue.clear()
        if ids:
            self._unlock(ids)

    def _unlock(self, ids: list[str]) -> None:
        with unit_of_work(self.engine.db) as uow:
            uow.conn.execute(_UNLOCK, {"ids": ids, "owner": self.owner})
            uow.commit()

    def _unlock_quietly(self, ids: list[str]) -> None:
        try:
            self._unlock(ids)
        except Exception:  # noqa: BLE001 - the lock expires on its own
            log.exception("could not unlock handed-over job(s) %s", ids)


__all__ = ["Handover"]
