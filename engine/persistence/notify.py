"""Wake idle workers when a job is written (PostgreSQL LISTEN/NOTIFY).

Migration 0008 makes PostgreSQL send ``NOTIFY amtsflow_jobs`` when a transaction commits that
wrote a job any worker may take. The worker (engine.jobs.WorkerThread) holds one connection of
its own with ``LISTEN amtsflow_jobs`` and waits in poll() for its socket and its hand-over
doorbell at once (:class:`InlineListener`): a notification wakes the thread that acquires the
jobs, without a listener thread in between. Polling stays as the fallback (a lost connection is
re-opened after a pause; notifications sent meanwhile are covered by the poll). A
:class:`JobListener` thread does the same for waiters that are not one thread in poll() (the
fetchAndLock long polls of engine/services/external_wait.py): it sets an event on every
notification.
SQLite has no such channel: there the embedded worker shares the process with the writers and
the job hand-over wakes it.

The same listener serves ``amtsflow_tasks`` (migration 0024: a case got an open task or ended;
the payload is the case id) for clients waiting for a case's next task
(engine/services/task_wait.py): it passes each payload to ``on_payload``.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from typing import Any, Callable, Protocol

from sqlalchemy.engine import Engine as Database

CHANNEL = "amtsflow_jobs"
TASK_CHANNEL = "amtsflow_tasks"
log = logging.getLogger(__name__)


class Wakeup(Protocol):
    """What a listener sets on every notification (a threading.Event, an engine.bell.Bell)."""

    def set(self) -> None: ...


def supported(db: Database) -> bool:
    return db.dialect.name == "postgresql" and db.dialect.driver == "psycopg"


class JobListener(threading.Thread):
    """Sets ``wakeup`` whenever another process commits a job that is free to take (or, with
    ``channel`` and ``on_payload``, passes each notification's payload on; ``wakeup`` is set
    once LISTEN is in place, for whatever was written before)."""

    def __init__(self, db: Database, wakeup: Wakeup, *, reconnect_seconds: float = 2.0, channel: str = CHANNEL,
                 on_payload: Callable[[str], None] | None = None) -> None:
        super().__init__(name=f"amtsflow-listener-{channel}", daemon=True)
        self.url = db.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.wakeup = wakeup
        self.channel = channel
        self.on_payload = on_payload
        self.reconnect_seconds = reconnect_seconds
        self.stopping = threading.Event()
        self.listening = threading.Event()   # set once LISTEN is in place (tests wait for it)

    def run(self) -> None:
        import psycopg

        while not self.stopping.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {self.channel}")
                    self.listening.set()
                    self.wakeup.set()  # anything written before LISTEN: look once
                    self._receive(conn)
            except Exception as exc:  # noqa: BLE001 - polling covers the gap; try again
                self.listening.clear()
                log.warning("job listener: %s; polling only for %.0f s", exc, self.reconnect_seconds)
                self.stopping.wait(self.reconnect_seconds)

    def _receive(self, conn: Any) -> None:
        """Until stopped: wait in poll() (without the GIL) for the socket, then read what came
        with libpq's own calls. (psycopg's Connection.notifies() sets up a generator, a wait and
        a lock per call: per notification, several times the Python of this loop; the web
        process receives two per case.) A broken connection raises in consume_input()."""
        pgconn = conn.pgconn
        encoding = conn.info.encoding
        poller = select.poll()
        poller.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
        on_payload = self.on_payload
        while not self.stopping.is_set():
            if not poller.poll(500):
                continue
            pgconn.consume_input()
            while (notify := pgconn.notifies()) is not None:
                if on_payload is None:
                    self.wakeup.set()
                else:
                    on_payload(notify.extra.decode(encoding))

    def stop(self) -> None:
        self.stopping.set()


class InlineListener:
    """``LISTEN amtsflow_jobs`` on a connection of its own, without a thread of its own: the
    thread that waits for work (the worker's acquisition loop) waits in poll() for its socket and
    for a :class:`engine.bell.Doorbell` at once (:meth:`wait`), so a notification wakes that thread
    itself instead of a listener thread that would then wake it (a thread switch and a wake-up
    less per job). As :class:`JobListener`: once LISTEN is in place :meth:`wait` returns at once,
    for whatever was written before; a lost connection is opened again after
    ``reconnect_seconds``, and meanwhile the doorbell and the timeout (polling) cover the gap."""

    def __init__(self, db: Database, *, reconnect_seconds: float = 2.0, channel: str = CHANNEL) -> None:
        self.url = db.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.channel = channel
        self.reconnect_seconds = reconnect_seconds
        self.listening = threading.Event()   # set while LISTEN is in place (tests wait for it)
        self._conn: Any = None
        self._poller: Any = None
        self._retry_at = 0.0
        self._ok: Any = None

    def wait(self, doorbell: Any, timeout: float) -> None:
        """Until ``doorbell`` is set, a notification came, LISTEN was (re)established or
        ``timeout`` seconds passed. Notifications that came are read and dropped: the caller
        looks for work after every return."""
        if doorbell.is_set():
            return
        if self._conn is None:
            if time.monotonic() >= self._retry_at and self._connect(doorbell):
                return
            doorbell.wait(timeout)
            return
        try:
            ready = self._poller.poll(max(0, int(timeout * 1000 + 0.999)))
            if any(fd != doorbell.fileno() for fd, _events in ready):
                pgconn = self._conn.pgconn
                pgconn.consume_input()   # a broken connection raises here
                while pgconn.notifies() is not None:
                    pass
                if pgconn.status != self._ok:
                    raise ConnectionError(f"the LISTEN connection broke: {pgconn.error_message!r}")
        except Exception as exc:  # noqa: BLE001 - polling covers the gap; connect again later
            log.warning("job listener: %s; polling only for %.0f s", exc, self.reconnect_seconds)
            self.close()
            self._retry_at = time.monotonic() + self.reconnect_seconds

    def _connect(self, doorbell: Any) -> bool:
        import psycopg

        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            try:
                conn.execute(f"LISTEN {self.channel}")
            except BaseException:
                conn.close()
                raise
        except Exception as exc:  # noqa: BLE001 - polling covers the gap; try again later
            log.warning("job listener: %s; polling only for %.0f s", exc, self.reconnect_seconds)
            self._retry_at = time.monotonic() + self.reconnect_seconds
            return False
        self._ok = psycopg.pq.ConnStatus.OK
        self._conn = conn
        self._poller = select.poll()
        self._poller.register(doorbell.fileno(), select.POLLIN)
        self._poller.register(conn.pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
        self.listening.set()
        return True

    def close(self) -> None:
        self.listening.clear()
        conn, self._conn, self._poller = self._conn, None, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - a broken connection
                pass


def inline_listener(db: Database) -> InlineListener | None:
    """An :class:`InlineListener` on PostgreSQL (psycopg 3), else None (it connects on its first wait)."""
    return InlineListener(db) if supported(db) else None


def start_listener(db: Database, wakeup: Wakeup, *, channel: str = CHANNEL,
                   on_payload: Callable[[str], None] | None = None) -> Any:
    """A running :class:`JobListener` on PostgreSQL (psycopg 3), else None."""
    if not supported(db):
        return None
    listener = JobListener(db, wakeup, channel=channel, on_payload=on_payload)
    listener.start()
    return listener
