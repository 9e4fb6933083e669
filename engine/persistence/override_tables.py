"""Tenant overrides of shared process definitions (issue 17, item 3).

A tenant adapts a shared process without copying it: it replaces single files of the process
(a DMN table, a form, the service.toml) by its own. Each change is a new row of
``tenant_overrides`` (a version per tenant, process and file; ``sha256`` NULL: the override was
withdrawn and the shared file applies again). A case of the tenant starts on a *variant*: the
definition's files with the tenant's overrides in place; ``definition_variants`` keeps each
variant once (its id is a hash of what it is made of) and ``cases.variant_id`` says which one
a case runs on, so that a later override change leaves running cases as they are.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from engine.persistence.tables import ID, TS, metadata, tenant_column

tenant_overrides = Table(
    "tenant_overrides", metadata,
    Column("id", ID, primary_key=True),
    tenant_column(),
    Column("process_key", String(200), nullable=False),
    Column("file_name", String(200), nullable=False),      # base name of the shared file: gebuehr.dmn
    Column("version", Integer, nullable=False),             # 1, 2, ... per tenant, process and file
    Column("sha256", String(64), ForeignKey("resources.sha256")),  # None: withdrawn, the shared file applies
    Column("min_version", Integer),                          # definition versions it applies to (None: open)
    Column("max_version", Integer),
    Column("comment", Text),
    Column("created_at", TS, nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("tenant_id", "process_key", "file_name", "version",
                     name="uq_tenant_overrides_tenant_id_process_key_file_name_version"),
    Index("ix_tenant_overrides_lookup", "tenant_id", "process_key"),
)

definition_variants = Table(
    "definition_variants", metadata,
    Column("id", String(64), primary_key=True),              # sha256 of definition id + override ids
    Column("definition_id", ID, ForeignKey("process_definitions.id"), nullable=False, index=True),
    tenant_column(),
    Column("overrides", JSON, nullable=False),   # [{"file", "override_id", "version", "sha256"}]
    Column("files", JSON, nullable=False),       # the definition's files with the overrides in place
    Column("created_at", TS, nullable=False),
)

__all__ = ["definition_variants", "tenant_overrides"]
