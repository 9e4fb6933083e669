"""What a NOTIFY inside a write transaction costs PostgreSQL's commits, side by side.

    python bench/notify_commits.py [--postgres URL] [--seconds 8] [--clients 1,2,8,16]

The engine's triggers (migrations 0008 and 0024) send NOTIFY from three of the four write
transactions of a case (a job written, a task opened, a case ended). PostgreSQL takes one
cluster-wide lock for a transaction that notifies at its commit and holds it until its commit
record is flushed, so such commits never overlap and get no group commit: their number per second
is bounded by the server's flush time, for every database and municipality on it together.
This runs pgbench (PostgreSQL's own client; it must be on PATH) against a scratch table of a
database of its own, twice per number of clients: a transaction that inserts a row, and the same
that also calls pg_notify, and prints the commits per second of both and their ratio.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

DATABASE = "amtsflow_bench_notify"
PLAIN = "BEGIN;\nINSERT INTO commits (v) VALUES ('x');\nCOMMIT;\n"
NOTIFYING = "BEGIN;\nINSERT INTO commits (v) VALUES ('x');\nSELECT pg_notify('amtsflow_bench', 'x');\nCOMMIT;\n"


def _prepare(base: str) -> str:
    """A fresh scratch database with the table; its libpq connection arguments for pgbench."""
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}"'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    url = make_url(base).set(database=DATABASE)
    scratch = create_engine(url)
    with scratch.begin() as conn:
        conn.execute(text("CREATE TABLE commits (id bigserial PRIMARY KEY, v text)"))
    scratch.dispose()
    return url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://")


def _tps(dsn: str, script: Path, clients: int, seconds: int) -> float:
    out = subprocess.run(["pgbench", "-n", "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1)),
                          "-T", str(seconds), "-f", str(script), dsn], capture_output=True, text=True, check=True)
    found = re.search(r"^tps = ([0-9.]+)", out.stdout, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"pgbench printed no tps:\n{out.stdout}\n{out.stderr}")
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("AMTSFLOW_TEST_POSTGRES_URL"))
    parser.add_argument("--seconds", type=int, default=8, help="seconds per run")
    parser.add_argument("--clients", default="1,2,8,16")
    args = parser.parse_args()
    if not args.postgres:
        sys.exit("pass --postgres URL or set AMTSFLOW_TEST_POSTGRES_URL")
    if shutil.which("pgbench") is None:
        sys.exit("pgbench is not on PATH (Debian: postgresql-client or the server package)")
    dsn = _prepare(args.postgres)
    print("commits per second, a transaction inserting one row, without and with pg_notify in it:")
    with tempfile.TemporaryDirectory() as tmp:
        plain, notifying = Path(tmp, "plain.sql"), Path(tmp, "notify.sql")
        plain.write_text(PLAIN)
        notifying.write_text(NOTIFYING)
        for clients in [int(c) for c in args.clients.split(",") if c]:
            without = _tps(dsn, plain, clients, args.seconds)
            with_notify = _tps(dsn, notifying, clients, args.seconds)
            print(f"  {clients:3d} clients   without {without:9.0f}   with NOTIFY {with_notify:9.0f}"
                  f"   ratio {with_notify / without:4.2f}")


if __name__ == "__main__":
    main()
