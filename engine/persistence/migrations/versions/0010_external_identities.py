"""single sign-on accounts keyed by (issuer, subject) exactly

Accounts that the old sign-in made (user name ``oidc:`` + the lowercased subject) keep working:
the first sign-in of a subject whose lowercase form is that name links the account (see
engine/services/citizen_accounts.py); subjects that differ only in case get accounts of their own.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "external_identities",
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_external_identities_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("issuer", "subject", name=op.f("pk_external_identities")),
    )
    with op.batch_alter_table("external_identities") as batch:
        batch.create_index(batch.f("ix_external_identities_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("external_identities") as batch:
        batch.drop_index(batch.f("ix_external_identities_user_id"))
    op.drop_table("external_identities")
