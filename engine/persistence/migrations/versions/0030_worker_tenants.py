"""the tenants each job worker serves, in its heartbeat row

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06

A regional provider can start a worker for some municipalities only (`amtsflow worker
--only-tenant T`) or for all but some (`--skip-tenant T`), to keep a large city's load away
from the others. The worker's heartbeat row records its selection (``{"only": [...]}`` or
``{"skip": [...]}``; NULL: every tenant, as every worker before this migration), so that
``/health/ready`` can name a municipality whose jobs no live worker runs. A column added
without a default: no table rewrite.
"""
import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("workers", sa.Column("tenants", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.drop_column("tenants")
