"""Background WAL checkpoints for SQLite.

In WAL mode a commit appends pages to the write-ahead log; every so often the log is copied back
into the database file (a checkpoint, with an fsync). SQLite does that inside whichever commit
crosses the threshold (1,000 pages by default), so one commit in a few hundred takes tens of
milliseconds and the mean commit costs about four times the median. SQLite's documentation
suggests the alternative used here: connections checkpoint only as a safety bound (a much
larger threshold) and one daemon thread per process checkpoints each database that saw commits
since its last round, off the path of any request. A page written by many commits in between is
copied once.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger("amtsflow.db")

INTERVAL_SECONDS = 0.5
SAFETY_BOUND_PAGES = 10_000     # connections still checkpoint if the thread falls this far behind


class WalCheckpointer(threading.Thread):
    def __init__(self, interval: float = INTERVAL_SECONDS) -> None:
        super().__init__(name="amtsflow-wal-checkpoint", daemon=True)
        self.interval = interval
        self._dirty: set[str] = set()
        self._epoch: dict[str, int] = {}    # raised by forget(): a round taken before must skip the path
        self._lock = threading.Lock()       # guards _dirty and _epoch
        self._busy = threading.Lock()       # held while a checkpoint runs
        self._wake = threading.Event()

    def committed(self, path: str) -> None:
        """Called after each commit to ``path`` (cheap: a set insert)."""
        if path not in self._dirty:
            with self._lock:
                self._dirty.add(path)

    def forget(self, path: str) -> None:
        """The database's engine was disposed (its files may be removed next): no checkpoint of
        ``path`` runs after this returns, until it sees commits again. Opening a connection to a
        database whose files are being deleted would create its -wal and -shm files anew."""
        with self._lock:
            self._dirty.discard(path)
            self._epoch[path] = self._epoch.get(path, 0) + 1
        with self._busy:  # wait for a checkpoint of it that may be running right now
            pass

    def run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            self.checkpoint_dirty()

    def checkpoint_dirty(self) -> None:
        with self._lock:
            taken = [(path, self._epoch.get(path, 0)) for path in self._dirty]
            self._dirty = set()
        for path, epoch in taken:
            with self._busy:
                with self._lock:
                    if self._epoch.get(path, 0) != epoch:
                        continue  # forgotten meanwhile
                checkpoint(path)


def watch(engine: Engine, path: str) -> None:
    """Have this process's checkpoint thread look after the SQLite database ``path`` of ``engine``."""
    background = checkpointer()

    @event.listens_for(engine, "commit")
    def _committed(_conn: Any) -> None:
        background.committed(path)

    @event.listens_for(engine, "engine_disposed")
    def _disposed(_engine: Any) -> None:
        background.forget(path)


def checkpoint(path: str) -> None:
    """A PASSIVE checkpoint: copies what it can without waiting for readers or writers. The
    database is opened read-write only, so a file deleted meanwhile is not created anew."""
    try:
        conn = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=rw", uri=True, timeout=1.0)
    except sqlite3.Error:
        return  # the database is gone (a removed test directory, say): nothing to checkpoint
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error as exc:
        log.debug("WAL checkpoint of %s skipped: %s", path, exc)
    finally:
        conn.close()


_checkpointer: WalCheckpointer | None = None
_checkpointer_pid = 0
_start_lock = threading.Lock()


def checkpointer() -> WalCheckpointer:
    """This process's checkpoint thread, started on first use (and again after a fork)."""
    global _checkpointer, _checkpointer_pid
    with _start_lock:
        if _checkpointer is None or _checkpointer_pid != os.getpid():
            _checkpointer = WalCheckpointer()
            _checkpointer_pid = os.getpid()
            _checkpointer.start()
        return _checkpointer


__all__ = ["WalCheckpointer", "checkpoint", "checkpointer", "watch", "SAFETY_BOUND_PAGES"]
