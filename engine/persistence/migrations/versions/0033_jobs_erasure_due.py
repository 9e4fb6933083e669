"""a deactivated municipality's erasures still run, and its waiting jobs leave the next-due index

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06

A deactivated municipality's timers and service calls wait until it is active again, but the
erasure of personal data whose retention period ran out does not: that is a legal duty (DSGVO
Art. 5(1)(e)) which pausing a municipality on this installation does not suspend, and it calls
no back-office system. On PostgreSQL the job acquisition (engine/jobs.py, ``_fair_candidates``)
reads each deactivated tenant's first due erasures as one range of ``ix_jobs_tenant_erasure_due``
(tenant_id, due_at, over the takeable jobs of kind ``retention``), without walking past the
tenant's waiting timers and service calls.

``jobs.paused`` marks the jobs a deactivation holds (set when a tenant is deactivated, cleared
when it is active again: engine/services/tenants.py). ``ix_jobs_takeable_due``, which the idle
worker's next-due read walks in due order with every acquisition, leaves them out: a paused
city's due backlog stood at its head and was walked past every time (30 ms per acquisition at
100,000 jobs). The jobs of tenants deactivated before this migration are marked here.

SQLite gets the same schema. ``jobs`` holds open jobs only, so the indexes are built quickly;
the table is locked for writes while they are built.
"""
from alembic import op
import sqlalchemy as sa

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


TAKEABLE = "topic IS NULL AND retries > 0 AND suspended = false"   # as engine/persistence/tables.py
ERASURES = "kind = 'retention' AND " + TAKEABLE                      # TAKEABLE_ERASURES there
NEXT_DUE_BEFORE = TAKEABLE + " AND kind IS NOT NULL"                  # migration 0032's predicate
NEXT_DUE = NEXT_DUE_BEFORE + " AND paused = false"                    # NEXT_DUE_JOBS there


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.text("false")))
    op.execute("UPDATE jobs SET paused = true WHERE kind <> 'retention' "
               "AND tenant_id IN (SELECT id FROM tenants WHERE active = false)")
    op.drop_index("ix_jobs_takeable_due", table_name="jobs")
    op.create_index("ix_jobs_takeable_due", "jobs", ["due_at"], unique=False,
                    postgresql_where=sa.text(NEXT_DUE), sqlite_where=sa.text(NEXT_DUE))
    op.create_index("ix_jobs_tenant_erasure_due", "jobs", ["tenant_id", "due_at"], unique=False,
                    postgresql_where=sa.text(ERASURES), sqlite_where=sa.text(ERASURES))


def downgrade() -> None:
    op.drop_index("ix_jobs_tenant_erasure_due", table_name="jobs")
    op.drop_index("ix_jobs_takeable_due", table_name="jobs")
    op.create_index("ix_jobs_takeable_due", "jobs", ["due_at"], unique=False,
                    postgresql_where=sa.text(NEXT_DUE_BEFORE), sqlite_where=sa.text(NEXT_DUE_BEFORE))
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("paused")
