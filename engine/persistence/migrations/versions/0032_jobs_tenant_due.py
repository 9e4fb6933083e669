"""an index of each tenant's due jobs: workers serve the municipalities in turn

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06

On PostgreSQL the job acquisition (engine/jobs.py, ``_fair_candidates``) now lets the tenants
take turns: it reads each tenant's first due jobs, one probe per tenant. ``ix_jobs_tenant_due``
(tenant_id, due_at) over the jobs workers take (no external-task topic) serves those probes;
without it each probe would read every tenant's due jobs. SQLite gets it too (one schema).

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
    op.create_index("ix_jobs_tenant_due", "jobs", ["tenant_id", "due_at"], unique=False,
                    postgresql_where=sa.text("topic IS NULL"), sqlite_where=sa.text("topic IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_jobs_tenant_due", table_name="jobs")
