"""open tasks by priority: the task list's priority order reads an index range

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02

The inbox and GET /api/v1/tasks can sort by priority, highest first, tasks without one at
Camunda's default 50, then by due date (engine/services/inbox_orders.py). A partial index over
the open work items on exactly that key, (-COALESCE(priority, 50), sort_due, created_at, id),
lets a page read its first rows in order and the next page continue from the cursor, instead of
sorting every open task (about 0.8 s a page at 100,000 open tasks on SQLite). The expression is
the query's own, with the literal 50: both PostgreSQL and SQLite use an expression index only
for the same expression. Unlike the inbox-key indexes since 0020 it does not lead with
tenant_id: the priority order's query has no tenant condition yet, and an index led by the tenant
could not give the order without one (PostgreSQL 15 has no skip scan).
"""
from alembic import op
import sqlalchemy as sa

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_OPEN = "state = 'open'"
RANK = "(-COALESCE(priority, 50))"   # engine.services.inbox_orders.DEFAULT_PRIORITY


def upgrade() -> None:
    op.create_index("ix_work_items_open_priority", "work_items", [sa.text(RANK), "sort_due", "created_at", "id"],
                    unique=False, postgresql_where=sa.text(_OPEN), sqlite_where=sa.text(_OPEN))


def downgrade() -> None:
    op.drop_index("ix_work_items_open_priority", table_name="work_items")
