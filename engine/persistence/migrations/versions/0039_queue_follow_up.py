"""the follow-up (Wiedervorlage) on the queue rows: "without deferred" stays a range at any share

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07

The inbox's "without deferred" filter (and "Nächste Aufgabe", which always uses it) read a
group's queue range and probed work_items by primary key for every queue row (migration 0038's
partial index). The page reads about 50 rows, but its total reads up to 10,001: at 1,000,000
open tasks, a tenth of them on follow-up, the page took 90 ms against 4 without the filter
(bench/inbox.py). The queue rows now carry the follow-up, kept with the work item's, and the
count index holds it as its last column, so a total stays an index-only range; the probe and its
index are gone.
"""
from alembic import op
import sqlalchemy as sa

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

OPEN_FOLLOW_UP = "state = 'open' AND follow_up IS NOT NULL"   # migration 0038's predicate


def upgrade() -> None:
    op.add_column("work_item_queue", sa.Column("follow_up", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE work_item_queue SET follow_up = (SELECT w.follow_up FROM work_items w "
               "WHERE w.id = work_item_queue.work_item_id) "
               f"WHERE work_item_id IN (SELECT id FROM work_items WHERE {OPEN_FOLLOW_UP})")
    op.drop_index("ix_work_item_queue_count", table_name="work_item_queue")
    op.create_index("ix_work_item_queue_count", "work_item_queue", ["tenant_id", "group_name", "process_key",
                                                                    "follow_up"], unique=False)
    op.drop_index("ix_work_items_open_follow_up", table_name="work_items")


def downgrade() -> None:
    op.create_index("ix_work_items_open_follow_up", "work_items", ["tenant_id", "follow_up"], unique=False,
                    postgresql_where=sa.text(OPEN_FOLLOW_UP), sqlite_where=sa.text(OPEN_FOLLOW_UP))
    op.drop_index("ix_work_item_queue_count", table_name="work_item_queue")
    op.create_index("ix_work_item_queue_count", "work_item_queue", ["tenant_id", "group_name", "process_key"],
                    unique=False)
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy would reflect work_items, whose
    # expression indexes SQLAlchemy cannot reflect
    op.drop_column("work_item_queue", "follow_up")
