"""cheaper case-row writes: state, data and waits compressed with LZ4 (PostgreSQL); two indexes fewer

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04

Every case command rewrites its case row, and the serialised workflow state makes that row
larger than PostgreSQL's TOAST threshold (about 2 kB) from the first step on (1.7 kB of state
in bench/engine.py's five-step case): PostgreSQL then compresses the state, with pglz unless the
column says otherwise. pglz was about 2 % of the backends' CPU in the web + worker set-up
(perf), and the INSERT and both UPDATEs of a case cost about 60 us less each with LZ4
(bench/pg_statement_costs.py and a replay of a case's statements, 2026-12-04): LZ4 compresses
several times faster and reads back faster too, for a few per cent more bytes (950 instead of
906 on average there). ``data`` and ``waits`` are rewritten with the state and grow with a case.

Only values written from now on are compressed with LZ4; values stored before keep pglz and
are read as before (PostgreSQL records the method per value). Needs PostgreSQL 14 or later built
with LZ4 (the Debian/Ubuntu and official packages are); elsewhere, and on SQLite, it changes
nothing.

Each write of a case row also updates every index of ``cases`` (a case's status changes with
each command, so PostgreSQL cannot update it in place, HOT). ``ix_cases_process_key`` (process_key)
and ``ix_cases_status`` (status) of the first schema go: every statement on ``cases`` names the
tenant since migration 0020 (engine/persistence/scoping.py; no statement on cases runs across all
tenants), and the tenant-first indexes of the case search (0014, 0020) begin with (tenant_id,
process_key) and (tenant_id, status). ``ix_cases_business_key`` stays: a business-key search
without a process has no tenant-first index to use.
"""
from alembic import op
import sqlalchemy as sa

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

COLUMNS = ("state", "data", "waits")


def _lz4_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    methods = bind.execute(sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")).scalar()
    return "lz4" in (methods or [])   # no such setting before PostgreSQL 14


def _set(method: str) -> None:
    op.execute("ALTER TABLE cases " + ", ".join(f"ALTER COLUMN {c} SET COMPRESSION {method}" for c in COLUMNS))


REDUNDANT = {"ix_cases_process_key": ["process_key"], "ix_cases_status": ["status"]}


def upgrade() -> None:
    if _lz4_available():
        _set("lz4")
    for name in REDUNDANT:
        op.drop_index(name, table_name="cases")


def downgrade() -> None:
    for name, columns in REDUNDANT.items():
        op.create_index(name, "cases", columns, unique=False)
    if _lz4_available():
        _set("DEFAULT")   # the server's default_toast_compression (pglz unless configured)
