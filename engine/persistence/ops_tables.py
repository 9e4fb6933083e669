"""Tables for operations: the heartbeats of running job workers (health and /metrics)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, String, Table

from engine.persistence.tables import TS, metadata

# One row per job worker (a separate `amtsflow worker` or the thread inside a web process). The
# worker updates it every few seconds; /health/ready reads the freshest, /metrics the counters.
workers = Table(
    "workers",
    metadata,
    Column("owner", String(200), primary_key=True),     # host:pid:random, as on the jobs it locks
    Column("kind", String(20), nullable=False),         # process (amtsflow worker) or thread (embedded)
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", TS, nullable=False),
    Column("last_seen", TS, nullable=False, index=True),
    Column("stats", JSON, nullable=False),              # counters and the job latency histogram
)
