"""inbox at scale: order key and business key on work items, partial indexes, group queue

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

Work items get ``sort_due`` (their due date, or 9999-12-31 when they have none, so undated
items sort last) and a copy of their case's ``business_key``; open items are covered by
partial indexes in inbox order. ``work_item_queue`` holds one row per open work item and
candidate group (with its process), so that a group's page is one index range. Existing rows are back-filled.
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_OPEN = "state = 'open'"


def upgrade() -> None:
    with op.batch_alter_table("work_items") as batch:
        batch.add_column(sa.Column("business_key", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("sort_due", _TS, nullable=True))
    op.execute("UPDATE work_items SET business_key = (SELECT business_key FROM cases WHERE cases.id = work_items.case_id)")
    # 9999-12-31 UTC as each dialect stores it (SQLite: SQLAlchemy's naive UTC text)
    undated = ("'9999-12-31 00:00:00.000000'" if op.get_bind().dialect.name == "sqlite"
               else "TIMESTAMPTZ '9999-12-31 00:00:00+00'")
    op.execute(f"UPDATE work_items SET sort_due = COALESCE(due, {undated})")
    with op.batch_alter_table("work_items") as batch:
        batch.alter_column("sort_due", existing_type=_TS, nullable=False)
    for name, columns in (("ix_work_items_open_order", ["sort_due", "created_at", "id"]),
                          ("ix_work_items_open_assignee", ["assignee", "sort_due", "created_at", "id"]),
                          ("ix_work_items_open_process", ["process_key", "sort_due", "created_at", "id"]),
                          ("ix_work_items_open_business_key", ["business_key"])):
        op.create_index(name, "work_items", columns, unique=False,
                        postgresql_where=sa.text(_OPEN), sqlite_where=sa.text(_OPEN))
    op.create_table(
        "work_item_queue",
        sa.Column("work_item_id", sa.String(length=36), nullable=False),
        sa.Column("group_name", sa.String(length=200), nullable=False),
        sa.Column("process_key", sa.String(length=200), nullable=False),
        sa.Column("sort_due", _TS, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["work_item_id"], ["work_items.id"], name=op.f("fk_work_item_queue_work_item_id_work_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("work_item_id", "group_name", name=op.f("pk_work_item_queue")),
    )
    op.create_index("ix_work_item_queue_order", "work_item_queue",
                    ["group_name", "sort_due", "created_at", "work_item_id"], unique=False)
    op.create_index("ix_work_item_queue_process", "work_item_queue",
                    ["group_name", "process_key", "sort_due", "created_at", "work_item_id"], unique=False)
    op.execute("INSERT INTO work_item_queue (work_item_id, group_name, process_key, sort_due, created_at) "
               "SELECT w.id, g.group_name, w.process_key, w.sort_due, w.created_at FROM work_items w "
               "JOIN work_item_groups g ON g.work_item_id = w.id WHERE w.state = 'open'")


def downgrade() -> None:
    op.drop_index("ix_work_item_queue_process", table_name="work_item_queue")
    op.drop_index("ix_work_item_queue_order", table_name="work_item_queue")
    op.drop_table("work_item_queue")
    for name in ("ix_work_items_open_order", "ix_work_items_open_assignee", "ix_work_items_open_process",
                 "ix_work_items_open_business_key"):
        op.drop_index(name, table_name="work_items")
    with op.batch_alter_table("work_items") as batch:
        batch.drop_column("sort_due")
        batch.drop_column("business_key")
