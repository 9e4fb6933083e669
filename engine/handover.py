"""Jobs handed to this process's worker right after the commit that created them, and the
re-check of jobs that waited before they run.

A command that creates a service job while this process runs a worker writes the job already
locked to that worker and, once committed, offers it here (as Camunda and Flowable hint their
local job executor): the worker runs it without waiting for its next poll. The job is in the
database all along; if this process dies, the lock expires and any worker takes it over.
A job this process deletes before its worker took it (the case was cancelled, a boundary event
ended the task) is discarded from the queue.

Any job, handed over or acquired, that waited longer than a moment (``RECHECK_AFTER``) between
being locked and being run - behind a slow connector call, say - is re-read first
(:func:`still_runnable`): a job whose row is gone or that another worker took over after the lock
expired is not run; one with little lock time left is locked anew for a full period; one whose
case was suspended is unlocked, so that it runs after the resume. A job run at once needs no
such read, which keeps the hand-over free of database round trips.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select, update

from engine.bell import Doorbell
from engine.bootstrap import Engine
from engine.persistence import tables as t
from engine.tenancy import EVERY_TENANT, TenantSelection, all_tenants, current_tenant, tenant_or_none
from engine.persistence.db import unit_of_work
from engine.persistence.fast import FastStatement

log = logging.getLogger("amtsflow.jobs")

_j = t.jobs
_STILL_MINE = FastStatement(select(_j.c.id).where(
    _j.c.id == bindparam("id"), _j.c.lock_owner == bindparam("owner"), _j.c.suspended.is_(False),
    _j.c.retries > 0, _j.c.lock_expires_at >= bindparam("keep_until")))
_RELOCK = (update(_j)
           .where(_j.c.id.in_(bindparam("ids", expanding=True)), _j.c.lock_owner == bindparam("owner"),
                  _j.c.suspended.is_(False), _j.c.retries > 0)
           .values(lock_expires_at=bindparam("expires")).returning(*_j.c))
_UNLOCK = (update(_j).where(_j.c.id.in_(bindparam("ids", expanding=True)), _j.c.lock_owner == bindparam("owner"))
           .values(lock_owner=None, lock_expires_at=None))


RECHECK_AFTER = 0.25  # seconds between lock and run after which a job is re-read first


class Handover:
    def __init__(self, engine: Engine, owner: str, tenants: TenantSelection = EVERY_TENANT) -> None:
        self.engine = engine
        self.owner = owner
        self.tenants = tenants   # whose jobs the worker runs: a command of another tenant writes its jobs free
        self.wakeup = Doorbell()     # set on every hand-over (a threading.Event a worker can poll() for)
        self._queue: deque[tuple[Any, float]] = deque()   # (job, monotonic time of the hand-over)
        self._lock = threading.Lock()
        self._accepting = True

    def __len__(self) -> int:
        return len(self._queue)

    def takes_current_tenant(self) -> bool:
        """Whether jobs the current tenant's commands write may be locked to this worker."""
        return self.tenants.everyone or self.tenants.admits(tenant_or_none())

    def offer(self, job: Any) -> None:
        """A committed job locked to this worker (called after the commit that created it, in
        the scope of the tenant whose command created it: the job runs in that tenant's)."""
        if getattr(job, "tenant_id", None) is None:
            job.tenant_id = current_tenant()
        with self._lock:
            if self._accepting:
                self._queue.append((job, time.monotonic()))
                self.wakeup.set()
                return
        self._unlock_quietly([job.id])  # the worker stopped meanwhile: let any worker take it

    def discard(self, job_id: str) -> None:
        """This process deleted the job (after that commit): it must not run."""
        with self._lock:
            self._queue = deque(entry for entry in self._queue if entry[0].id != job_id)

    def take(self, limit: int) -> list[tuple[Any, float]]:
        """Up to ``limit`` handed jobs with the time they were handed over."""
        with self._lock:
            return [self._queue.popleft() for _ in range(min(limit, len(self._queue)))]

    def put_back(self, entries: list[tuple[Any, float]]) -> None:
        """Jobs taken but not run (the round failed): first in line again."""
        with self._lock:
            self._queue.extendleft(reversed(entries))

    def release(self) -> None:
        """Take no more jobs; unlock those handed over but not run (other workers may take them)."""
        with self._lock:
            self._accepting = False
            ids = [job.id for job, _since in self._queue]
            self._queue.clear()
        if ids:
            with all_tenants("releasing the jobs handed to a stopping worker"):
                unlock(self.engine, self.owner, ids)

    def _unlock_quietly(self, ids: list[str]) -> None:
        try:
            with all_tenants("unlocking jobs handed to a stopped worker"):
                unlock(self.engine, self.owner, ids)
        except Exception:  # noqa: BLE001 - the lock expires on its own
            log.exception("could not unlock handed-over job(s) %s", ids)


def still_runnable(engine: Engine, owner: str, job: Any) -> Any | None:
    """The job if it may run now (re-locked when its lock ran low), else None (see above)."""
    now = engine.clock.now()
    lock = timedelta(seconds=engine.settings.job_lock_seconds)
    with engine.db.begin() as conn:  # a read: on SQLite it takes no write lock
        if _STILL_MINE.first_column(conn, {"id": job.id, "owner": owner, "keep_until": now + lock / 2}):
            return job
    with unit_of_work(engine.db) as uow:
        row = uow.conn.execute(_RELOCK, {"ids": [job.id], "owner": owner, "expires": now + lock}).first()
        if row is None:  # gone, taken over, or its case suspended: in the last case let it go
            uow.conn.execute(_UNLOCK, {"ids": [job.id], "owner": owner})
        uow.commit()
    return row


def unlock(engine: Engine, owner: str, ids: list[str]) -> None:
    """Release jobs this owner holds (any worker may take them when they are due)."""
    with unit_of_work(engine.db) as uow:
        uow.conn.execute(_UNLOCK, {"ids": ids, "owner": owner})
        uow.commit()


__all__ = ["Handover", "RECHECK_AFTER", "still_runnable", "unlock"]
