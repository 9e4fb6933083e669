"""callback replays: shared replay guard for signed callbacks (payment, FIT-Connect)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_replays",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_callback_replays")),
    )
    op.create_index("ix_callback_replays_expires_at", "callback_replays", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_callback_replays_expires_at", table_name="callback_replays")
    op.drop_table("callback_replays")
