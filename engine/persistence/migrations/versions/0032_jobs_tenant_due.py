"""an index of each tenant's jobs by priority and due time: workers serve the municipalities in turn

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06

On PostgreSQL the job acquisition (engine/jobs.py, ``_fair_candidates``) lets the tenants take
turns and reads only what a batch needs: per tenant the priorities its jobs have (a loose index
scan) and per tenant and priority the first due jobs (one index range). ``ix_jobs_tenant_priority_due``
(tenant_id, priority, due_at) over the jobs workers take (no external-task topic) serves both;
without it the acquisition read and sorted every due job of a backlog (160 ms at 100,000).
SQLite gets it too (one schema).

``jobs`` holds open jobs only (a job's row is deleted when it ran), so the index is small and
built quickly; the table is locked for writes while it is built.
"""
from alembic import op
import sqlalchemy as sa

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_jobs_tenant_priority_due", "jobs", ["tenant_id", "priority", "due_at"], unique=False,
                    postgresql_where=sa.text("topic IS NULL"), sqlite_where=sa.text("topic IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_jobs_tenant_priority_due", table_name="jobs")
