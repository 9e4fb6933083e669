"""buffered messages expire through a job, as the architecture has message TTLs

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07

A message that no case waited for is buffered until its time to live ends
(``AMTSFLOW_MESSAGE_TTL_SECONDS``, 7 days). Until now it was only no longer delivered after that,
and stayed in ``messages`` with its payload for good. Buffering now writes a job of kind
``message_ttl`` due when the message expires; it removes the message unless a case took it
(engine/services/messages.py ``expire``), and a delivery removes the job. This revision writes
that job for every message buffered before it and not delivered (due at its ``expires_at``; one
that expired already is removed on the workers' next round, also for a deactivated municipality:
see migration 0037). Each job's id is the one
``messages.ttl_job_id`` computes, so a delivery finds it. The downgrade removes these jobs.
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

_RETRIES = 3
_HOUSEKEEPING = 10   # engine/domain/priorities.py: message TTLs and erasures


def _job_id(message_row: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"amtsflow:message:{message_row}:ttl"))


def upgrade() -> None:
    conn = op.get_bind()
    waiting = conn.execute(sa.text("SELECT id, tenant_id, received_at, expires_at FROM messages "
                                   "WHERE delivered_at IS NULL AND expires_at IS NOT NULL")).all()
    # the times go over as read (untyped): on SQLite in the text form the engine wrote them in
    jobs = sa.table("jobs", sa.column("id"), sa.column("tenant_id"), sa.column("case_id"), sa.column("kind"),
                    sa.column("due_at"), sa.column("retries"), sa.column("attempts"), sa.column("payload", sa.JSON()),
                    sa.column("suspended"), sa.column("created_at"), sa.column("priority"))
    rows = [{"id": _job_id(m.id), "tenant_id": m.tenant_id, "case_id": None, "kind": "message_ttl",
             "due_at": m.expires_at, "retries": _RETRIES, "attempts": 0, "payload": {"message": m.id},
             "suspended": False, "created_at": m.received_at, "priority": _HOUSEKEEPING} for m in waiting]
    if rows:
        op.bulk_insert(jobs, rows)     # not paused for a deactivated municipality: an erasure (migration 0037)


def downgrade() -> None:
    op.execute("DELETE FROM jobs WHERE kind = 'message_ttl'")
