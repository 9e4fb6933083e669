"""indexes of the jobs a worker may take, by tenant, priority and due time: workers serve the municipalities in turn

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06

On PostgreSQL the job acquisition (engine/jobs.py, ``_fair_candidates``) lets the tenants take
turns and reads only what a batch needs: per tenant the priorities its jobs have (a loose index
scan) and per tenant and priority the first due jobs (one index range). ``ix_jobs_tenant_priority_due``
(tenant_id, priority, due_at) over the jobs workers may take (no external-task topic, retries left,
not suspended: a tenant's incidents are not walked past) serves both;
without it the acquisition read and sorted every due job of a backlog (160 ms at 100,000).
SQLite gets it too (one schema).

``ix_jobs_takeable_due`` (due_at, over the same jobs) replaces ``ix_jobs_due`` (suspended,
due_at): the idle worker's next-due read (sent with every acquisition) walks it in due order and
stops at the first free job, where the old index made it walk past every incident first (a failed
job keeps the due time of its last attempt). Its predicate also says ``kind IS NOT NULL`` (always
true), which only the next-due read states: the acquisition's per-tenant ranges cannot use it, so
the planner never walks all takeable jobs in due order filtering by tenant (a whole backlog) when
a tenant's jobs look rare. The /metrics counts of due jobs read the table.

``jobs`` holds open jobs only (a job's row is deleted when it ran), so the index is small and
built quickly; the table is locked for writes while it is built.
"""
from alembic import op
import sqlalchemy as sa

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


TAKEABLE = "topic IS NULL AND retries > 0 AND suspended = false"   # as engine/persistence/tables.py


def upgrade() -> None:
    op.create_index("ix_jobs_tenant_priority_due", "jobs", ["tenant_id", "priority", "due_at"], unique=False,
                    postgresql_where=sa.text(TAKEABLE), sqlite_where=sa.text(TAKEABLE))
    next_due = TAKEABLE + " AND kind IS NOT NULL"   # the next-due read's mark (engine/jobs.py NEXT_DUE_MARK)
    op.create_index("ix_jobs_takeable_due", "jobs", ["due_at"], unique=False,
                    postgresql_where=sa.text(next_due), sqlite_where=sa.text(next_due))
    op.drop_index("ix_jobs_due", table_name="jobs")


def downgrade() -> None:
    op.create_index("ix_jobs_due", "jobs", ["suspended", "due_at"], unique=False)
    op.drop_index("ix_jobs_takeable_due", table_name="jobs")
    op.drop_index("ix_jobs_tenant_priority_due", table_name="jobs")
