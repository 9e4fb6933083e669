"""external tasks: the topic an outside worker fetches a job by; deployment name and source

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02

Jobs of kind ``external`` are Camunda external tasks that outside workers fetch and lock over
/engine-rest (``POST /external-task/fetchAndLock``); ``jobs.topic`` holds their topic name,
indexed with the due time for the fetch. The job executor never takes them. Deployments
keep the name and source a client gave them (Camunda Modeler's deploy dialog).
"""
from alembic import op
import sqlalchemy as sa

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("topic", sa.String(length=200), nullable=True))
        batch.create_index(batch.f("ix_jobs_topic"), ["topic", "due_at"], unique=False)
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("source", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.drop_column("source")
        batch.drop_column("name")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index(batch.f("ix_jobs_topic"))
        batch.drop_column("topic")
