"""citizen status: the latest milestone the model declared (amtsflow:status, process.setStatus)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

``cases.citizen_status`` holds the German text the citizen sees ("Bescheid erteilt"); NULL
for cases whose model declares no milestone (the portal then shows the engine status).
"""
from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("citizen_status", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("citizen_status")
