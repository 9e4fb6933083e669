"""business keys unique per process, their counters, process policies, token scopes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _refuse_duplicates() -> None:
    duplicates = op.get_bind().execute(sa.text(
        "SELECT process_key, business_key, COUNT(*) AS n FROM cases WHERE business_key IS NOT NULL "
        "GROUP BY process_key, business_key HAVING COUNT(*) > 1 ORDER BY process_key, business_key")).all()
    if duplicates:
        shown = "; ".join(f"{row.process_key} {row.business_key!r} ({row.n} cases)" for row in duplicates[:20])
        raise RuntimeError(
            "business keys must be unique per process, but these are used more than once: " + shown
            + ". Give the later cases a new business key (UPDATE cases SET business_key = ... WHERE id = ...), "
            "then run the upgrade again.")


def upgrade() -> None:
    _refuse_duplicates()
    with op.batch_alter_table("cases") as batch:
        batch.create_index("uq_cases_process_key_business_key", ["process_key", "business_key"], unique=True)
    op.create_table(
        "business_key_sequences",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "year", name=op.f("pk_business_key_sequences")),
    )
    with op.batch_alter_table("process_definitions") as batch:
        batch.add_column(sa.Column("business_key_format", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("system_messages", sa.JSON(), nullable=True))
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("scopes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("scopes")
    with op.batch_alter_table("process_definitions") as batch:
        batch.drop_column("system_messages")
        batch.drop_column("business_key_format")
    op.drop_table("business_key_sequences")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("uq_cases_process_key_business_key")
