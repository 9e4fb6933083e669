"""Background WAL checkpoints on SQLite (no PostgreSQL counterpart)."""

from __future__ import annotations

import os
import threading
import time

from sqlalchemy import text

from engine.persistence import wal
from engine.persistence.db import make_engine


def test_commits_are_checkpointed_by_the_background_thread_not_by_the_commit(tmp_path, monkeypatch):
    idle = wal.WalCheckpointer()                      # not started: the test runs its rounds
    monkeypatch.setattr(wal, "checkpointer", lambda: idle)
    path = tmp_path / "wal.sqlite"
    db = make_engine(f"sqlite:///{path}")
    try:
        with db.begin() as conn:
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == wal.SAFETY_BOUND_PAGES
            conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
        for _ in range(20):
            with db.begin() as conn:
                conn.execute(text("INSERT INTO notes (body) VALUES (:b)"), [{"b": "x" * 2000}] * 10)
        before = os.path.getsize(path)
        assert os.path.getsize(f"{path}-wal") > 400_000       # everything is still in the log
        assert idle._dirty == {str(path)}
        idle.checkpoint_dirty()
        assert os.path.getsize(path) > before + 300_000      # copied into the database file
        assert idle._dirty == set()
    finally:
        db.dispose()


def test_a_database_that_is_gone_is_not_created_again(tmp_path):
    path = tmp_path / "removed.sqlite"
    wal.checkpoint(str(path))
    assert not path.exists()


def test_no_checkpoint_touches_a_database_after_its_engine_was_disposed(tmp_path, monkeypatch):
    """Disposing and then removing the database's folder must not race with a checkpoint that
    would create the -wal and -shm files again (a TemporaryDirectory's cleanup failed so)."""
    idle = wal.WalCheckpointer()
    monkeypatch.setattr(wal, "checkpointer", lambda: idle)
    touched: list[str] = []
    monkeypatch.setattr(wal, "checkpoint", touched.append)
    path = tmp_path / "gone.sqlite"
    db = make_engine(f"sqlite:///{path}")
    with db.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    assert idle._dirty == {str(path)}
    db.dispose()
    idle.checkpoint_dirty()
    assert touched == []


def test_a_round_skips_a_database_forgotten_after_the_round_began(monkeypatch):
    idle = wal.WalCheckpointer()
    touched: list[str] = []

    def checkpoint_and_dispose_the_other(path: str) -> None:
        # while this checkpoint runs, another thread disposes the other database's engine
        touched.append(path)
        other = "/b.sqlite" if path == "/a.sqlite" else "/a.sqlite"
        threading.Thread(target=idle.forget, args=(other,), daemon=True).start()
        deadline = time.monotonic() + 60   # never reached when it works; a loaded machine may be slow to run it
        while not idle._epoch.get(other) and time.monotonic() < deadline:
            time.sleep(0.001)

    monkeypatch.setattr(wal, "checkpoint", checkpoint_and_dispose_the_other)
    idle.committed("/a.sqlite")
    idle.committed("/b.sqlite")
    idle.checkpoint_dirty()
    assert len(touched) == 1


def test_a_database_path_with_uri_characters_is_checkpointed_in_place(tmp_path):
    folder = tmp_path / "amt#2 100%"
    folder.mkdir()
    path = folder / "db.sqlite"
    db = make_engine(f"sqlite:///{path}")
    try:
        with db.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        wal.checkpoint(str(path))
        assert sorted(p.name for p in tmp_path.iterdir()) == ["amt#2 100%"]   # no stray database elsewhere
    finally:
        db.dispose()


def test_a_busy_database_at_begin_is_reported_as_busy(tmp_path):
    """BEGIN IMMEDIATE goes straight to the driver; a lock timeout there must still become
    DatabaseBusy, which commands retry, not a raw driver error."""
    import sqlite3

    import pytest

    from engine.domain.errors import DatabaseBusy
    from engine.persistence.db import unit_of_work

    path = tmp_path / "busy.sqlite"
    db = make_engine(f"sqlite:///{path}")
    with db.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    with db.connect() as conn:  # the pooled connection gives up after 100 ms instead of 30 s
        conn.connection.driver_connection.execute("PRAGMA busy_timeout=100")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseBusy), unit_of_work(db) as uow:
            uow.conn.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        holder.rollback()
        holder.close()
        db.dispose()


def test_sqlite_syncs_every_commit_unless_told_otherwise(tmp_path):
    """The embedded default keeps a committed decision through a power cut (synchronous=FULL);
    NORMAL is a documented setting; anything else is refused (issue 15)."""
    import pytest
    from sqlalchemy import text

    from engine.bootstrap import bootstrap
    from engine.settings import Settings

    def level(settings: Settings) -> int:
        engine = bootstrap(settings)
        try:
            with engine.db.connect() as conn:
                return int(conn.execute(text("PRAGMA synchronous")).scalar())
        finally:
            engine.db.dispose()

    url = f"sqlite:///{tmp_path / 'sync.sqlite'}"
    assert level(Settings(database_url=url)) == 2                                   # FULL
    assert level(Settings.from_env({"AMTSFLOW_DATABASE_URL": url, "AMTSFLOW_SQLITE_SYNCHRONOUS": "normal"})) == 1
    with pytest.raises(ValueError, match="AMTSFLOW_SQLITE_SYNCHRONOUS"):
        bootstrap(Settings(database_url=url, sqlite_synchronous="OFF"))
