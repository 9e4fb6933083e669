"""a narrow queue index for the inbox's counts: a group's total reads a few pages, not 170

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03

Every inbox page comes with its total (engine/services/inbox_query.py count_query), which reads
up to COUNT_CAP + 1 (10,001) entries of the group queue. It read them from a wide index (tenant,
group, process, sort_due, created_at, work_item_id: about 90 bytes an entry), 170-180 pages for
one count; at 1,000,000 open tasks the count was 16 ms of a 20 ms page warm, and when those pages
came from disk the p95 of "process filter within a group" was 149 ms (bench/inbox.py).

``ix_work_item_queue_count`` (tenant_id, group_name, process_key) holds only the columns a
group's or a group-and-process count compares: on PostgreSQL (B-tree deduplication, 13+) a
group's rows are one key with a posting list of 6-byte row pointers, 7.7 MB for 1,100,000 queue
rows against 152-179 MB for each of the ordered indexes; 10,001 entries are 12 pages. The page
itself keeps reading the ordered indexes (ix_work_item_queue_order, _process).
"""
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_work_item_queue_count", "work_item_queue", ["tenant_id", "group_name", "process_key"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_work_item_queue_count", table_name="work_item_queue")
