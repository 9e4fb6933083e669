"""Tables for operations: the heartbeats of running job workers (health and /metrics)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text

from engine.persistence.tables import TS, metadata, tenant_column

# Installation-level, no tenant: a worker serves every tenant (it acquires jobs across tenants
# and runs each in its tenant's scope). One row per job worker (a separate `amtsflow worker` or the thread inside a web process). The
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
    Column("tenants", JSON),                            # {"only": [...]} / {"skip": [...]}; NULL: every tenant (0030)
)

# A migration of running cases from one version of a process to another, run as a job in slices.
migration_batches = Table(
    "migration_batches",
    metadata,
    Column("id", String(36), primary_key=True),
    tenant_column(),
    Column("process_key", String(200), nullable=False),
    Column("source_version", Integer, nullable=False),
    Column("target_version", Integer, nullable=False),
    Column("mapping", JSON, nullable=False),            # {source element id: target element id}
    Column("comment", String(2000), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("status", String(20), nullable=False),       # running, done
    Column("total", Integer, nullable=False),
    Column("migrated", Integer, nullable=False),
    Column("refused", Integer, nullable=False),
    Column("finished_at", TS),
)

# One row per case of a batch: pending, migrated or refused (with the reasons, German).
migration_batch_cases = Table(
    "migration_batch_cases",
    metadata,
    Column("batch_id", String(36), ForeignKey("migration_batches.id", ondelete="CASCADE"), primary_key=True),
    Column("case_id", String(36), primary_key=True),
    tenant_column(),
    Column("position", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("message", Text),
    Index("ix_migration_batch_cases_pending", "batch_id", "status", "position"),
)
