"""Wake idle workers when a job is written (PostgreSQL LISTEN/NOTIFY).

Migration 0008 makes PostgreSQL send ``NOTIFY amtsflow_jobs`` when a transaction commits that
wrote a job any worker may take. A :class:`JobListener` holds one connection of its own with
``LISTEN amtsflow_jobs`` and sets an event on every notification; the worker loop waits on that
event instead of sleeping until its next poll. Polling stays as the fallback (a lost
connection is re-opened after a pause; notifications sent meanwhile are covered by the poll).
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


def start_listener(db: Database, wakeup: Wakeup, *, channel: str = CHANNEL,
                   on_payload: Callable[[str], None] | None = None) -> Any:
    """A running :class:`JobListener` on PostgreSQL (psycopg 3), else None."""
    if not supported(db):
        return None
    listener = JobListener(db, wakeup, channel=channel, on_payload=on_payload)
    listener.start()
    return listener
