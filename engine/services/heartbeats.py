"""Worker heartbeats: every job worker writes a row every few seconds with its counters.

``/health/ready`` asks whether some worker was seen recently; ``/metrics`` reads each live
worker's counters and job latency histogram (the web process cannot see a separate worker's
memory, so the worker publishes them here, through the database every process shares).
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from engine.bootstrap import Engine
from engine.persistence.ops_tables import workers
from engine.tenancy import EVERY_TENANT, TenantSelection

HEARTBEAT_SECONDS = 10.0
# A worker is live when seen within this many seconds (three missed beats).
LIVE_SECONDS = 3 * HEARTBEAT_SECONDS
PRUNE_AFTER = timedelta(days=1)       # a row not written for so long is a crashed worker's
# Upper bounds (seconds) of the job latency histogram: how late a due job started.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


@dataclass
class JobStats:
    """Counters of one worker since it started (thread-safe; read by the heartbeat)."""

    executed: int = 0
    failed: int = 0
    latency_counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    latency_sum: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, latency_seconds: float, *, failed: bool) -> None:
        latency = max(0.0, latency_seconds)
        index = next((i for i, bound in enumerate(LATENCY_BUCKETS) if latency <= bound), len(LATENCY_BUCKETS))
        with self._lock:
            self.executed += 1
            self.failed += int(failed)
            self.latency_counts[index] += 1
            self.latency_sum += latency

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"executed": self.executed, "failed": self.failed,
                    "latency_buckets": list(LATENCY_BUCKETS), "latency_counts": list(self.latency_counts),
                    "latency_sum": self.latency_sum}


def beat(engine: Engine, owner: str, kind: str, started_at: datetime, stats: JobStats,
         tenants: TenantSelection = EVERY_TENANT) -> None:
    """Write this worker's row (insert on its first beat), with the tenants whose jobs it runs."""
    now = engine.clock.now()
    values = {"last_seen": now, "stats": stats.snapshot(), "tenants": tenants.to_json()}
    with engine.db.begin() as conn:
        changed = conn.execute(update(workers).where(workers.c.owner == owner).values(**values)).rowcount
        if not changed:
            conn.execute(insert(workers).values(owner=owner, kind=kind, host=socket.gethostname()[:200],
                                                pid=os.getpid(), started_at=started_at, **values))
            # a worker that crashed left its row: forgotten when a worker starts, a day later
            conn.execute(delete(workers).where(workers.c.last_seen < now - PRUNE_AFTER))


def gone(engine: Engine, owner: str) -> None:
    """The worker stops: remove its row (a crashed worker's row simply ages out)."""
    with engine.db.begin() as conn:
        conn.execute(delete(workers).where(workers.c.owner == owner))


def live_workers(engine: Engine, within_seconds: float = LIVE_SECONDS) -> list[dict[str, Any]]:
    since = engine.clock.now() - timedelta(seconds=within_seconds)
    query = select(workers).where(workers.c.last_seen >= since).order_by(workers.c.owner)
    with engine.db.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def serving(tenant_ids: list[str], seen: list[dict[str, Any]]) -> dict[str, int]:
    """For each of ``tenant_ids``, how many of the ``seen`` workers run its jobs (each worker's
    row as :func:`live_workers` returns it; 0: nobody does)."""
    selections = [TenantSelection.from_json(worker.get("tenants")) for worker in seen]
    return {tenant: sum(selection.admits(tenant) for selection in selections) for tenant in tenant_ids}


def unserved_tenants(tenant_ids: list[str], seen: list[dict[str, Any]]) -> list[str]:
    """The tenants, of ``tenant_ids``, whose jobs none of the ``seen`` workers runs."""
    return [tenant for tenant, count in serving(tenant_ids, seen).items() if count == 0]
