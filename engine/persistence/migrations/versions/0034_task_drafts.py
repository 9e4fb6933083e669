"""a clerk's unfinished task form ("Zwischenspeichern")

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07

``task_drafts`` holds what a clerk typed into an open task's form and saved without completing
it: the field paths with their texts as typed (also values that would not pass validation yet),
who saved them and when. One row per work item. The engine removes it in the transaction that
ends the work item (completed or cancelled), so a draft never outlives its task; the foreign
key removes it with the work item.
"""
from alembic import op
import sqlalchemy as sa

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_drafts",
        sa.Column("work_item_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(63), nullable=False, server_default="default"),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("saved_by", sa.String(length=200), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_item_id"], ["work_items.id"],
                                name=op.f("fk_task_drafts_work_item_id_work_items"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_task_drafts_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("work_item_id", name=op.f("pk_task_drafts")),
    )


def downgrade() -> None:
    op.drop_table("task_drafts")
