"""a wake-up notification for clients waiting for a case's next task (PostgreSQL)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03

On PostgreSQL, triggers send ``NOTIFY amtsflow_tasks`` with the case id as payload, delivered
when the writing transaction commits: when an open work item is written (a user task the case
now waits at) and when a case ends or fails (no task will come). A process whose clients wait
for a case's next task (``GET /api/v1/cases/{id}/tasks?wait=N``, engine/services/task_wait.py)
listens on that channel and re-checks only the cases named. Notifications with the same payload
in one transaction are sent once. SQLite has no such channel: there the process that commits
rings its own waiters (a waiter in another process re-checks on its slow fallback).
"""
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE OR REPLACE FUNCTION amtsflow_task_notify() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('amtsflow_tasks', NEW.case_id);
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
    """)
    op.execute("""
        CREATE OR REPLACE FUNCTION amtsflow_case_end_notify() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('amtsflow_tasks', NEW.id);
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
    """)
    op.execute("""
        CREATE TRIGGER work_items_notify AFTER INSERT ON work_items
        FOR EACH ROW WHEN (NEW.state = 'open') EXECUTE FUNCTION amtsflow_task_notify()
    """)
    op.execute("""
        CREATE TRIGGER cases_end_notify AFTER UPDATE OF status ON cases
        FOR EACH ROW WHEN (NEW.status IN ('completed', 'cancelled', 'failed')
                           AND OLD.status IS DISTINCT FROM NEW.status)
        EXECUTE FUNCTION amtsflow_case_end_notify()
    """)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS cases_end_notify ON cases")
    op.execute("DROP TRIGGER IF EXISTS work_items_notify ON work_items")
    op.execute("DROP FUNCTION IF EXISTS amtsflow_case_end_notify()")
    op.execute("DROP FUNCTION IF EXISTS amtsflow_task_notify()")
