"""the completed cases of a process by the time they ended, for the owners' figures

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07

The owners' figures (engine/services/process_figures.py) count and measure the cases completed
in a period: completions per week, lead-time percentiles, the share decided without a clerk,
the SLA per week. No index led to the end time, so each read every completed case of the
process (60,000 rows at 100,000 cases a process, 128-148 ms each, bench/process_figures.py) to
keep the few thousand of the period. This partial index holds a completed case once, from the
update that completes it, by process and end.
"""
from alembic import op
import sqlalchemy as sa

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

COMPLETED = "status = 'completed'"   # as engine/persistence/tables.py


def upgrade() -> None:
    op.create_index("ix_cases_process_completed", "cases", ["tenant_id", "process_key", "ended_at"], unique=False,
                    postgresql_where=sa.text(COMPLETED), sqlite_where=sa.text(COMPLETED))


def downgrade() -> None:
    op.drop_index("ix_cases_process_completed", table_name="cases")
