"""the open tasks on Wiedervorlage, for the inbox's "without deferred" filter

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07

The inbox can leave out the tasks whose follow-up day (Wiedervorlage) has not begun. The queue's
ranges carry no follow-up, so each range probes work_items; without an index PostgreSQL answered
the probe with a sequential scan of all work items (32 ms at 100,000 open tasks). This partial
index holds only the open tasks with a follow-up, a small part of them.
"""
from alembic import op
import sqlalchemy as sa

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

OPEN_FOLLOW_UP = "state = 'open' AND follow_up IS NOT NULL"   # as engine/persistence/tables.py


def upgrade() -> None:
    op.create_index("ix_work_items_open_follow_up", "work_items", ["tenant_id", "follow_up"], unique=False,
                    postgresql_where=sa.text(OPEN_FOLLOW_UP), sqlite_where=sa.text(OPEN_FOLLOW_UP))


def downgrade() -> None:
    op.drop_index("ix_work_items_open_follow_up", table_name="work_items")
