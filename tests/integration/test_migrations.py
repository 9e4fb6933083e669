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


def _case_indexes(conn) -> set[str]:
    from sqlalchemy import text

    return set(conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'cases'")).scalars())


def _compression(conn) -> dict[str, str]:
    from sqlalchemy import text

    rows = conn.execute(text("SELECT attname, attcompression FROM pg_attribute WHERE attrelid = 'cases'::regclass "
                             "AND attname IN ('state', 'data', 'waits')"))
    return {name: str(method) for name, method in rows}


@pytest.mark.postgres
def test_migration_0027_case_state_lz4_two_case_indexes_fewer_and_its_downgrade(pg_url):
    """Migration 0027: the case row's large columns (rewritten by every command) use LZ4, not
    pglz, and the single-column indexes on process_key and status (the tenant-first ones serve
    every statement) are gone; its downgrade gives both back."""
    from alembic import command
    from sqlalchemy import text

    from engine.persistence.migrate import alembic_config, upgrade

    db = make_engine(pg_url)
    try:
        with db.connect() as conn:
            methods = conn.execute(text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"))
            if "lz4" not in (methods.scalar() or []):
                pytest.skip("this PostgreSQL has no LZ4")
            assert _compression(conn) == {"state": "l", "data": "l", "waits": "l"}
            assert not {"ix_cases_process_key", "ix_cases_status"} & _case_indexes(conn)
        config = alembic_config(db)
        with db.connect() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0026")
            conn.commit()
        try:
            with db.connect() as conn:
                assert _compression(conn) == {"state": "", "data": "", "waits": ""}
                assert {"ix_cases_process_key", "ix_cases_status"} <= _case_indexes(conn)
        finally:
            upgrade(db)
        with db.connect() as conn:
            assert _compression(conn) == {"state": "l", "data": "l", "waits": "l"}
            assert not {"ix_cases_process_key", "ix_cases_status"} & _case_indexes(conn)
    finally:
        db.dispose()
