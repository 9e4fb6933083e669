"""case search: indexes for the cockpit's case list at a million cases

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

Newest first within a process and version, within a status, or overall; the free-text search
over case fields uses a trigram index on PostgreSQL when the pg_trgm extension is available
(it is a trusted extension: a database owner may create it). Without it the search still
works, by a scan.
"""
from alembic import op
import sqlalchemy as sa

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_process_started", "cases", ["process_key", "started_at", "id"])
    op.create_index("ix_cases_process_version_started", "cases", ["process_key", "version", "started_at", "id"])
    op.create_index("ix_cases_status_started", "cases", ["status", "started_at", "id"])
    op.create_index("ix_cases_process_status_started", "cases", ["process_key", "status", "started_at", "id"])
    op.create_index("ix_cases_started", "cases", ["started_at", "id"])
    op.create_index("ix_cases_suspended_started", "cases", ["started_at", "id"],
                    postgresql_where=sa.text("suspended"), sqlite_where=sa.text("suspended"))
    op.create_index("ix_incidents_open_case", "incidents", ["case_id"],
                    postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and bind.execute(
            sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX IF NOT EXISTS ix_case_fields_value_trgm ON case_fields "
                   "USING gin (lower(value) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_case_fields_value_trgm")
    op.drop_index("ix_incidents_open_case", table_name="incidents")
    op.drop_index("ix_cases_suspended_started", table_name="cases")
    op.drop_index("ix_cases_process_version_started", table_name="cases")
    op.drop_index("ix_cases_started", table_name="cases")
    op.drop_index("ix_cases_process_status_started", table_name="cases")
    op.drop_index("ix_cases_status_started", table_name="cases")
    op.drop_index("ix_cases_process_started", table_name="cases")
