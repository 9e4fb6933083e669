"""Every table of the product on one MetaData (for Alembic and schema checks)."""

from __future__ import annotations

from engine.persistence import (  # noqa: F401  (register tables)
    callback_tables, document_tables, identity_tables, ops_tables, override_tables, tables, tenant_tables,
)
from engine.persistence.tables import metadata

__all__ = ["metadata"]
