"""tenant overrides: a tenant's own files for a shared process, and the variants cases run on

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02

``tenant_overrides`` keeps every version of a tenant's override file (DMN, form, service.toml)
of a shared process; ``definition_variants`` the definitions' file lists with a tenant's
overrides in place, and ``cases.variant_id`` the variant a case started on (NULL for every
existing case: they run on the shared files, as before).
"""
from alembic import op
import sqlalchemy as sa


TS = sa.DateTime(timezone=True)

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_overrides",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=63), server_default="default", nullable=False),
        sa.Column("process_key", sa.String(length=200), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("min_version", sa.Integer(), nullable=True),
        sa.Column("max_version", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_tenant_overrides_tenant_id_tenants")),
        sa.ForeignKeyConstraint(["sha256"], ["resources.sha256"],
                                name=op.f("fk_tenant_overrides_sha256_resources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_overrides")),
        sa.UniqueConstraint("tenant_id", "process_key", "file_name", "version",
                            name="uq_tenant_overrides_tenant_id_process_key_file_name_version"),
    )
    op.create_index("ix_tenant_overrides_lookup", "tenant_overrides", ["tenant_id", "process_key"])
    op.create_table(
        "definition_variants",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("definition_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=63), server_default="default", nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["definition_id"], ["process_definitions.id"],
                                name=op.f("fk_definition_variants_definition_id_process_definitions")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_definition_variants_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_definition_variants")),
    )
    op.create_index(op.f("ix_definition_variants_definition_id"), "definition_variants", ["definition_id"])
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("variant_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("variant_id")
    op.drop_index(op.f("ix_definition_variants_definition_id"), table_name="definition_variants")
    op.drop_table("definition_variants")
    op.drop_index("ix_tenant_overrides_lookup", table_name="tenant_overrides")
    op.drop_table("tenant_overrides")
