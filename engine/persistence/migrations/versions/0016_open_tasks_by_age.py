"""open tasks by age: the task list's "oldest first" order reads an index range

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

The inbox and GET /api/v1/tasks can sort by age (engine/services/inbox_orders.py). A partial
index over the open work items in (created_at, id) order lets a page read the first rows in
that order instead of sorting every open task.
"""
from alembic import op
import sqlalchemy as sa

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_OPEN = "state = 'open'"


def upgrade() -> None:
    op.create_index("ix_work_items_open_age", "work_items", ["created_at", "id"], unique=False,
                    postgresql_where=sa.text(_OPEN), sqlite_where=sa.text(_OPEN))


def downgrade() -> None:
    op.drop_index("ix_work_items_open_age", table_name="work_items")
