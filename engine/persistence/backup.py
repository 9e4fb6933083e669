"""Backups of the embedded SQLite database, taken and restored while it may be in use.

A small municipality runs amtsflow on one SQLite file in WAL mode: the last commits live in
``amtsflow.sqlite-wal`` until a checkpoint moves them into the main file, so copying the main
file alone (what a file backup of the server does) can lose the latest decisions, and copying it
while a write is under way can give a damaged copy. :func:`backup` uses SQLite's online backup
(one step, inside a read transaction: a consistent snapshot, writers go on meanwhile), checks the
copy (``PRAGMA quick_check``, an amtsflow schema) and only then gives it its name, so a file
under that name is always a whole backup. :func:`restore` checks the backup the same way, keeps
the current database beside it (nothing is lost by restoring the wrong file) and copies the
backup in through the same mechanism, which also empties the WAL file.

PostgreSQL has its own tools (pg_dump, base backups with WAL archiving): :func:`backup` refuses
it with the command to use.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

from engine.persistence.db import sqlite_file


class BackupRefused(Exception):
    """A backup or restore that was not done; the message says why and what to do."""


@dataclass(frozen=True)
class Snapshot:
    path: Path
    size: int           # bytes
    revision: str       # the schema's migration revision
    cases: int
    seconds: float


def _database(database_url: str) -> Path:
    path = sqlite_file(database_url)
    if path is None:
        url = make_url(database_url)
        safe = url.render_as_string(hide_password=True).replace("+psycopg", "")
        raise BackupRefused(
            "amtsflow db backup and restore handle the embedded SQLite database; for PostgreSQL use its "
            f"own tools, e.g. pg_dump --format=custom --file=amtsflow.dump '{safe}' and pg_restore")
    return path


def _check(path: Path) -> tuple[str, int]:
    """The revision and the number of cases of an intact amtsflow database; BackupRefused
    otherwise."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupRefused(f"{path} cannot be opened as a SQLite database: {exc}") from None
    try:
        try:
            verdict = [str(row[0]) for row in conn.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc):
                raise BackupRefused(f"{path} is not an amtsflow database ({exc})") from None
            verdict = [str(exc)]
        if verdict != ["ok"]:
            raise BackupRefused(f"{path} is damaged (PRAGMA quick_check: {'; '.join(verdict[:3])})")
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        cases = conn.execute("SELECT count(*) FROM cases").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(f"{path} is not an amtsflow database ({exc})") from None
    finally:
        conn.close()
    if revision is None:
        raise BackupRefused(f"{path} is not an amtsflow database (no schema revision)")
    return str(revision[0]), int(cases[0])


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(source: sqlite3.Connection, target: Path, busy_seconds: float) -> None:
    try:
        destination = sqlite3.connect(target, timeout=busy_seconds)
        try:
            source.backup(destination, pages=-1)   # one step: a consistent snapshot of the source
        finally:
            destination.close()
    except sqlite3.Error as exc:   # disk full, no permission, the database locked for busy_seconds
        raise BackupRefused(f"copying to {target} failed: {exc}") from None


def backup(database_url: str, target: Path, *, busy_seconds: float = 30.0) -> Snapshot:
    """Copy the database to ``target`` (a file that must not exist yet), checked, synced."""
    source_path = _database(database_url)
    if not source_path.exists():
        raise BackupRefused(f"there is no database at {source_path} (AMTSFLOW_DATABASE_URL)")
    target = target.resolve()
    if target.exists():
        raise BackupRefused(f"{target} exists already; a backup never overwrites a file: choose a new name")
    if not target.parent.is_dir():
        raise BackupRefused(f"the folder {target.parent} does not exist")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    started = time.monotonic()
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=busy_seconds)
    try:
        _copy(source, partial, busy_seconds)
        single = sqlite3.connect(partial)
        try:   # one self-contained file (the copy took the source's WAL mode)
            single.execute("PRAGMA journal_mode=DELETE")
        finally:
            single.close()
        revision, cases = _check(partial)
        _fsync(partial)
        partial.rename(target)
        _fsync(target.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    return Snapshot(target, target.stat().st_size, revision, cases, time.monotonic() - started)


def running_workers(database_url: str, within_seconds: float = 30.0) -> list[str]:
    """The workers (``amtsflow worker``, the embedded one of ``serve``) whose heartbeat is
    newer than ``within_seconds``, as host:pid; none when the database or its table is missing."""
    path = sqlite_file(database_url)
    if path is None or not path.exists():
        return []
    from sqlalchemy import select

    from engine.persistence.db import make_engine
    from engine.persistence.ops_tables import workers

    since = datetime.now(timezone.utc) - timedelta(seconds=within_seconds)
    db = make_engine(database_url)
    try:
        with db.connect() as conn:
            rows = conn.execute(select(workers.c.host, workers.c.pid).where(workers.c.last_seen >= since)).all()
    except Exception:  # noqa: BLE001 - an older schema or another file: nothing to ask
        return []
    finally:
        db.dispose()
    return [f"{row.host}:{row.pid}" for row in rows]


def restore(database_url: str, source: Path, *, busy_seconds: float = 30.0) -> tuple[Snapshot, Snapshot | None]:
    """Replace the database by the backup ``source``; the current database is first saved
    beside it (``<name>.before-restore-<UTC time>``, returned second; None if there was none).
    Call it with serve and the workers stopped (the caller checks their heartbeats)."""
    target = _database(database_url)
    source = source.resolve()
    if not source.is_file():
        raise BackupRefused(f"there is no backup at {source}")
    if source == target.resolve():
        raise BackupRefused(f"{source} is the database itself")
    revision, cases = _check(source)
    target.parent.mkdir(parents=True, exist_ok=True)   # a new machine's first start: no instance/ yet
    kept = None
    if target.exists():
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        kept = backup(database_url, target.with_name(f"{target.name}.before-restore-{stamp}"), busy_seconds=busy_seconds)
    started = time.monotonic()
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        _copy(reader, target, busy_seconds)
    finally:
        reader.close()
    _fsync(target)
    restored = Snapshot(target, target.stat().st_size, revision, cases, time.monotonic() - started)
    return restored, kept


__all__ = ["BackupRefused", "Snapshot", "backup", "restore", "running_workers"]
