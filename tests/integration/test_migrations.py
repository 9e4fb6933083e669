"""The migrated schema equals the declared tables (no drift between Alembic and tables.py)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.persistence.db import make_engine
from engine.persistence.schema import metadata

# Made by a migration only where the database offers them (pg_trgm on PostgreSQL, migration 0014).
OPTIONAL_INDEXES = {"ix_case_fields_value_trgm"}


# SQLite's reflection skips expression indexes (with a warning): they are compared on PostgreSQL.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_match_declared_schema(database_url):
    db = make_engine(database_url)
    try:
        with db.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    finally:
        db.dispose()
    ours = [d for d in diff if not (isinstance(d, tuple) and d[0] == "remove_table")
            and not (isinstance(d, tuple) and d[0] == "remove_index" and d[1].name in OPTIONAL_INDEXES)]
    assert ours == []
