"""Uploaded and generated documents (attachments, decisions), stored in the database."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, LargeBinary, String, Table

from engine.persistence.tables import ID, TS, metadata, tenant_column

documents = Table(
    "documents", metadata,
    Column("id", ID, primary_key=True),
    tenant_column(),
    Column("case_id", ID, ForeignKey("cases.id", ondelete="CASCADE"), index=True),  # None: not yet attached
    Column("kind", String(30), nullable=False),       # attachment, decision
    Column("filename", String(255), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_by", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
)
