"""PostgreSQL: a case's state, data and waits compressed with LZ4 instead of pglz

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


def upgrade() -> None:
    if _lz4_available():
        _set("lz4")


def downgrade() -> None:
    if _lz4_available():
        _set("DEFAULT")   # the server's default_toast_compression (pglz unless configured)
