"""a citizen's unfinished application ("Als Entwurf speichern")

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07

``application_drafts`` holds a signed-in citizen's start form as typed and not yet sent: one row
per tenant, person and process, with when it was saved and when it expires (30 days after the
last save). A job of kind ``draft_expiry``, due then, removes it; sending the application removes
it at once. Nothing of it is case data.
"""
from alembic import op
import sqlalchemy as sa

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "application_drafts",
        sa.Column("tenant_id", sa.String(63), nullable=False, server_default="default"),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("process_key", sa.String(length=200), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_application_drafts_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "owner", "process_key", name=op.f("pk_application_drafts")),
    )


def downgrade() -> None:
    op.execute("DELETE FROM jobs WHERE kind = 'draft_expiry'")
    op.drop_table("application_drafts")
