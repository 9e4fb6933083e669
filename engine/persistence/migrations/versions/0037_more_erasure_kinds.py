"""expired buffered messages and application drafts are erased while their municipality is paused

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07

Migration 0033 let a deactivated municipality's erasures of personal data run (DSGVO Art. 5(1)(e))
while its timers and service calls wait. Two more kinds of job erase personal data whose time ran
out: ``message_ttl`` (a buffered message nobody took, migration 0035) and ``draft_expiry`` (a
citizen's application draft, migration 0036). They join ``retention`` (engine/persistence/tables.py
``ERASURE_KINDS``): ``ix_jobs_tenant_erasure_due`` now covers all three, and the jobs of these kinds
that a deactivation marked paused are unmarked, so the idle worker's next-due read sees them again.
"""
from alembic import op
import sqlalchemy as sa

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

TAKEABLE = "topic IS NULL AND retries > 0 AND suspended = false"                  # as engine/persistence/tables.py
BEFORE = "kind = 'retention' AND " + TAKEABLE                                       # migration 0033's predicate
AFTER = "kind IN ('retention', 'message_ttl', 'draft_expiry') AND " + TAKEABLE      # TAKEABLE_ERASURES there


def _erasure_index(predicate: str) -> None:
    op.drop_index("ix_jobs_tenant_erasure_due", table_name="jobs")
    op.create_index("ix_jobs_tenant_erasure_due", "jobs", ["tenant_id", "due_at"], unique=False,
                    postgresql_where=sa.text(predicate), sqlite_where=sa.text(predicate))


def upgrade() -> None:
    _erasure_index(AFTER)
    op.execute("UPDATE jobs SET paused = false WHERE kind IN ('message_ttl', 'draft_expiry') AND paused = true")


def downgrade() -> None:
    _erasure_index(BEFORE)
    op.execute("UPDATE jobs SET paused = true WHERE kind IN ('message_ttl', 'draft_expiry') "
               "AND tenant_id IN (SELECT id FROM tenants WHERE active = false)")
