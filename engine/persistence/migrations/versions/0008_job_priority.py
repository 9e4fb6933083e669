"""job priorities and a wake-up notification for workers on PostgreSQL

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Every job gets a priority (higher runs first among due jobs; existing rows: their kind's
default). On PostgreSQL a trigger on jobs sends NOTIFY amtsflow_jobs, delivered when
the writing transaction commits, so idle workers (LISTEN) take a new job at once instead of
at their next poll.
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_DEFAULTS = {"timer": 100, "start_timer": 100, "throw": 100, "message": 100, "signal": 100,
             "message_ttl": 10, "retention": 10}


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="50"))
    for kind, priority in _DEFAULTS.items():
        op.execute(sa.text("UPDATE jobs SET priority = :p WHERE kind = :k").bindparams(p=priority, k=kind))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE OR REPLACE FUNCTION amtsflow_jobs_notify() RETURNS trigger AS $$
            BEGIN
                PERFORM pg_notify('amtsflow_jobs', '');
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
        """)
        # Only jobs any worker may take: a job written locked (handed to its own process's
        # worker) or locked by an acquisition wakes nobody; one unlocked, retried or put back
        # does. Notifications with the same payload in one transaction are sent once.
        op.execute("""
            CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE ON jobs
            FOR EACH ROW WHEN (NEW.lock_owner IS NULL) EXECUTE FUNCTION amtsflow_jobs_notify()
        """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS jobs_notify ON jobs")
        op.execute("DROP FUNCTION IF EXISTS amtsflow_jobs_notify()")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("priority")
