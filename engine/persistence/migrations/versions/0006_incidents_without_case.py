"""incidents: case_id may be empty (a failing timer-start schedule belongs to no case yet)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.alter_column("case_id", existing_type=sa.String(length=36), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.alter_column("case_id", existing_type=sa.String(length=36), nullable=False)
