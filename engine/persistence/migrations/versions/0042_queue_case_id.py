"""the case on the queue rows: a text many cases contain is searched within a group's range

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-07

The inbox's search box first finds the cases a text may mean (engine/services/inbox_search.py).
When they are many (a name one case in a hundred has: 11,000 at 1,000,000 open tasks), the page
walks the group's range of the queue checking each task's case against that set. With the case on
the queue row, and on PostgreSQL in the range's index (INCLUDE), the walk reads the index alone;
through the work item, PostgreSQL planned the candidates' tasks instead (25 us each, 180 ms).
Filled here from the work items (1,100,000 queue rows of 1,000,000 open tasks: 90 s on PostgreSQL,
the index rebuilt included); the engine writes it with every queue row.
"""
from alembic import op
import sqlalchemy as sa

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

ORDER = ["tenant_id", "group_name", "sort_due", "created_at", "work_item_id"]


def upgrade() -> None:
    op.add_column("work_item_queue", sa.Column("case_id", sa.String(36), nullable=True))
    op.execute("UPDATE work_item_queue SET case_id = (SELECT w.case_id FROM work_items w "
               "WHERE w.id = work_item_queue.work_item_id)")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_work_item_queue_order", table_name="work_item_queue")
        op.create_index("ix_work_item_queue_order", "work_item_queue", ORDER, unique=False,
                        postgresql_include=["case_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_work_item_queue_order", table_name="work_item_queue")
        op.create_index("ix_work_item_queue_order", "work_item_queue", ORDER, unique=False)
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), as migration 0039's downgrade
    op.drop_column("work_item_queue", "case_id")
