"""cases.bound_definitions: the definitions a case's call activities bound when they started

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04

Camunda 7 resolves a call activity's called process (binding ``latest``) when a case reaches
it. The definition ids bound so are kept on the case (a JSON list, NULL: none), so that
every place that loads the case, or shows one of its tasks, finds their specs and forms.
"""
from alembic import op
import sqlalchemy as sa

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("bound_definitions", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("bound_definitions")
