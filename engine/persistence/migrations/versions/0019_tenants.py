"""tenants: the municipalities one installation serves, with the default tenant

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02

Every installation gets the tenant ``default``; an installation that never configures tenants
runs entirely in it.
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tenants = op.create_table(
        "tenants",
        sa.Column("id", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=True),
        sa.Column("path_prefix", sa.String(length=63), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("connectors", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("host", name=op.f("uq_tenants_host")),
        sa.UniqueConstraint("path_prefix", name=op.f("uq_tenants_path_prefix")),
    )
    now = datetime.now(timezone.utc)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)   # as engine.persistence.tables.UtcDateTime stores it
    op.bulk_insert(tenants, [{
        "id": "default", "name": "Standardmandant", "host": None, "path_prefix": None,
        "settings": {}, "connectors": {}, "active": True, "created_at": now,
    }])


def downgrade() -> None:
    op.drop_table("tenants")
