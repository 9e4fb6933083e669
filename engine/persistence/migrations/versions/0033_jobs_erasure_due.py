"""index of the erasures a worker may take, by tenant and due time: a deactivated municipality's erasures still run

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06

A deactivated municipality's timers and service calls wait until it is active again, but the
erasure of personal data whose retention period ran out does not: that is a legal duty (DSGVO
Art. 5(1)(e)) which pausing a municipality on this installation does not suspend, and it calls
no back-office system. On PostgreSQL the job acquisition (engine/jobs.py, ``_fair_candidates``)
reads each deactivated tenant's first due erasures as one range of ``ix_jobs_tenant_erasure_due``
(tenant_id, due_at, over the takeable jobs of kind ``retention``), without walking past the
tenant's waiting timers and service calls. SQLite gets it too (one schema).

``jobs`` holds open jobs only, so the index is built quickly; the table is locked for writes
while it is built.
"""
from alembic import op
import sqlalchemy as sa

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


# as engine/persistence/tables.py TAKEABLE_ERASURES
ERASURES = "kind = 'retention' AND topic IS NULL AND retries > 0 AND suspended = false"


def upgrade() -> None:
    op.create_index("ix_jobs_tenant_erasure_due", "jobs", ["tenant_id", "due_at"], unique=False,
                    postgresql_where=sa.text(ERASURES), sqlite_where=sa.text(ERASURES))


def downgrade() -> None:
    op.drop_index("ix_jobs_tenant_erasure_due", table_name="jobs")
