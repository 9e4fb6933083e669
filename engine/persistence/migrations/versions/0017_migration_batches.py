"""migration batches: running cases moved to another process version, as a job with progress

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "migration_batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("process_key", sa.String(length=200), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=False),
        sa.Column("target_version", sa.Integer(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("comment", sa.String(length=2000), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("migrated", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_migration_batches"),
    )
    op.create_table(
        "migration_batch_cases",
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["migration_batches.id"], ondelete="CASCADE",
                                name="fk_migration_batch_cases_batch_id_migration_batches"),
        sa.PrimaryKeyConstraint("batch_id", "case_id", name="pk_migration_batch_cases"),
    )
    op.create_index("ix_migration_batch_cases_pending", "migration_batch_cases", ["batch_id", "status", "position"])


def downgrade() -> None:
    op.drop_index("ix_migration_batch_cases_pending", table_name="migration_batch_cases")
    op.drop_table("migration_batch_cases")
    op.drop_table("migration_batches")
