"""Signed callbacks already accepted (payment platform, FIT-Connect): the shared replay guard.

A row lives as long as the callback's timestamp would still pass the freshness check; the
primary key makes "seen before?" atomic across every web process on the same database.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table

from engine.persistence.tables import TS, metadata, tenant_column

callback_replays = Table(
    "callback_replays", metadata,
    Column("key", String(64), primary_key=True),      # SHA-256 hex of timestamp + signature (a replay anywhere)
    tenant_column(),
    Column("expires_at", TS, nullable=False),
    Index("ix_callback_replays_expires_at", "expires_at"),
)
