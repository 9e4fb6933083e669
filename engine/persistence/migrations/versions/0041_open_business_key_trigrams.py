"""contained text in the business keys of open tasks, for the inbox's free-text search

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-07

The inbox's search box finds tasks whose case field or business key contains the text
(engine/services/inbox_search.py). It first finds the cases the text may mean: case fields
through the trigram index of migration 0014, business keys through this one, on the open tasks'
lower(business_key) (a task leaves it when it is completed or cancelled). PostgreSQL with pg_trgm
only, as 0014; without it the search reads the open tasks' keys by a scan.
"""
from alembic import op
import sqlalchemy as sa

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and bind.execute(
            sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX IF NOT EXISTS ix_work_items_open_business_key_trgm ON work_items "
                   "USING gin (lower(business_key) gin_trgm_ops) WHERE state = 'open'")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_work_items_open_business_key_trgm")
