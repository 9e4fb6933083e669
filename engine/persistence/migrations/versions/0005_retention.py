"""process definitions: retention period of personal data (service.toml [aufbewahrung] frist)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_definitions") as batch:
        batch.add_column(sa.Column("retention", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("process_definitions") as batch:
        batch.drop_column("retention")
