"""the head of each tenant's chain of deployments, overrides and tenant changes

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06

A case's chain of audit events ends at the hash its case row records (``cases.audit_hash``),
so removing a case's last events shows. The chain of events without a case (deployments,
overrides, tenant changes; one per tenant) recorded no head: removing its last events left
intact links, and two deployments at the same time could both append to the same event (each
read the last one first). ``audit_heads`` holds each tenant's head; every append locks the row,
checks the chain from it and moves it in the same transaction (engine/services/audit.py).
Existing chains get their present last event as head.
"""
import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_heads",
        sa.Column("tenant_id", sa.String(63), sa.ForeignKey("tenants.id"), primary_key=True,
                  server_default="default"),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.execute("INSERT INTO audit_heads (tenant_id, hash) "
               "SELECT e.tenant_id, e.hash FROM audit_events e WHERE e.case_id IS NULL AND e.id = "
               "(SELECT max(l.id) FROM audit_events l WHERE l.case_id IS NULL AND l.tenant_id = e.tenant_id)")


def downgrade() -> None:
    op.drop_table("audit_heads")
