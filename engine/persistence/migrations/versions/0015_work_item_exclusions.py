"""work item exclusions: who may not take a task (four-eyes principle)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

A row per work item and person the model excludes from it (``fourEyesOf``: whoever completed the
named earlier task), written with the work item. The inbox and the task API leave such tasks out
for that person; claiming, delegating to them and completing are refused. Tasks created before
this revision have no rows: for them the check on completion still applies.
"""
from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_item_exclusions",
        sa.Column("work_item_id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["work_item_id"], ["work_items.id"],
                                name=op.f("fk_work_item_exclusions_work_item_id_work_items"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("work_item_id", "username", name=op.f("pk_work_item_exclusions")),
    )


def downgrade() -> None:
    op.drop_table("work_item_exclusions")
