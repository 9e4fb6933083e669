"""PostgreSQL LISTEN/NOTIFY: the one listener connection of a process, and the worker's own.

Migration 0008 makes PostgreSQL send ``NOTIFY amtsflow_jobs`` when a transaction commits that
wrote a job any worker may take; migration 0024 ``NOTIFY amtsflow_tasks`` with the case id when
a case got an open task or ended; migration 0028 ``NOTIFY amtsflow_accounts`` when a token, an
account or its groups changed. Polling stays the fallback everywhere: a lost connection is
opened again after a pause, and what was sent meanwhile is covered by the poll.

The worker (engine.jobs.WorkerThread) holds one connection of its own with ``LISTEN
amtsflow_jobs`` and waits in poll() for its socket and its hand-over doorbell at once
(:class:`InlineListener`): a notification wakes the thread that acquires the jobs, without a
listener thread in between.

Everything else in a process (the fetchAndLock long polls, engine/services/external_wait.py;
the waits for a case's next task, engine/services/task_wait.py; the API-token cache,
engine/services/token_cache.py) subscribes to channels of the engine's one :class:`Listener`
(:func:`subscribe`): one connection and one thread that LISTENs on every channel somebody
subscribed to and hands each notification to the subscribers of its channel. PostgreSQL wakes
every listening backend of the database on every NOTIFY, whatever its channel: one listener
connection per process instead of one per channel is a wake-up per notifying commit and a
connection of ``max_connections`` less for each channel more.

A :class:`Subscription` is told (``on_listen``) once LISTEN on its channel is in place, on the
running connection or after a reconnect (look once for what was written before), and
(``on_lost``) when the connection broke (fall back to polling until it is told again); its
``listening`` event is set in between. A subscription that must trust that nothing has come
(the token cache) asks :meth:`Subscription.quiet`: see there.
SQLite has no such channel: there the embedded worker shares the process with the writers and
the job hand-over wakes it.
"""

from __future__ import annotations

import logging
import re
import select
import threading
import time
from typing import Any, Callable, Protocol

from sqlalchemy.engine import Engine as Database

from engine.bell import Doorbell
from engine.outage import Outage

CHANNEL = "amtsflow_jobs"
TASK_CHANNEL = "amtsflow_tasks"
log = logging.getLogger(__name__)
_CHANNEL_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def supported(db: Database) -> bool:
    return db.dialect.name == "postgresql" and db.dialect.driver == "psycopg"


def _nothing() -> None:
    pass


def _no_payload(_payload: str) -> None:
    pass


class Subscription:
    """One subscriber's interest in one channel of a :class:`Listener` (made by
    :func:`subscribe`). ``on_payload(payload)`` for every notification of the channel,
    ``on_listen()`` once LISTEN on the channel is in place (the first time and after every
    reconnect: look once for what was written before), ``on_lost()`` when the connection broke
    (until the next ``on_listen``, nothing is heard). ``listening`` is set from just after
    ``on_listen`` until just before ``on_lost`` (or :meth:`cancel`). ``check(connection)``, if
    given, runs on the listener's connection before each LISTEN for this subscription: False
    ends the subscription (it never listens). ``alive()``, if given, is asked now and then:
    False ends it too (a subscriber that was let go). The callbacks run on the listener's
    thread or on a thread in :meth:`quiet`; they must be quick and must not subscribe."""

    def __init__(self, listener: Listener, channel: str, on_payload: Callable[[str], None] | None,
                 on_listen: Callable[[], None] | None, on_lost: Callable[[], None] | None,
                 check: Callable[[Any], bool] | None, alive: Callable[[], bool] | None) -> None:
        if not _CHANNEL_NAME.fullmatch(channel):
            raise ValueError(f"not a channel name: {channel!r}")
        self.listener = listener
        self.channel = channel
        self.on_payload = on_payload or _no_payload
        self.on_listen = on_listen or _nothing
        self.on_lost = on_lost or _nothing
        self.check = check
        self.alive = alive
        self.listening = threading.Event()

    def quiet(self) -> bool:
        """Listening, and every notification that reached the listener's socket before this
        call has been handed to its subscribers (:meth:`Listener.settled`)."""
        return self.listening.is_set() and self.listener.settled() and self.listening.is_set()

    def cancel(self, wait: float = 0.0) -> None:
        """No more notifications; the channel is UNLISTENed when nobody else subscribed to it,
        and the listener ends (closing its connection) when nobody subscribed to anything:
        ``wait`` seconds at most for that."""
        self.listener.unsubscribe(self, wait)


class Listener(threading.Thread):
    """The one LISTEN connection of a process (of an engine) and its thread: LISTENs on every
    channel subscribed to, hands every notification to the subscriptions of its channel.
    Subscribing on the running listener issues LISTEN on its connection (the listener's thread
    does, woken by a doorbell); a lost connection is opened again after ``reconnect_seconds``
    and LISTENs on every channel again. Ends when its last subscription ended.

    Every libpq call on the connection, and the hand-over of what it read, happens under
    ``_io``: the listener's thread holds it from before it reads the socket until the last
    notification read is handed over, and so does a thread that finds data waiting in
    :meth:`settled` and reads it itself."""

    def __init__(self, db: Database, *, reconnect_seconds: float = 2.0) -> None:
        super().__init__(name="amtsflow-listener", daemon=True)
        self.url = db.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.reconnect_seconds = reconnect_seconds
        self.stopping = threading.Event()
        self.connected = threading.Event()    # the connection is open (tests)
        self._lock = threading.Lock()          # the subscriptions
        self._subs: list[Subscription] = []
        self._by_channel: dict[str, tuple[Subscription, ...]] = {}
        self._ended = False
        self._changed = Doorbell()             # a subscription came or went, or stop
        self._io = threading.Lock()
        self._pgconn: Any = None               # while connected; set and cleared under _io
        self._outage = Outage(log, "listener")   # a database away: one line, not one per attempt
        self._fd = -1
        self._encoding = "utf-8"
        self._ok: Any = None
        self._active: list[Subscription] = []   # told on_listen on this connection (this thread only)
        self._listened: set[str] = set()        # LISTEN in place on this connection (this thread only)

    # -- subscriptions (any thread) --

    def subscribe(self, channel: str, *, on_payload: Callable[[str], None] | None = None,
                  on_listen: Callable[[], None] | None = None, on_lost: Callable[[], None] | None = None,
                  check: Callable[[Any], bool] | None = None,
                  alive: Callable[[], bool] | None = None) -> Subscription | None:
        """A new subscription (LISTEN follows on the listener's thread), or None when this
        listener has ended (nobody was subscribed any more): start another."""
        sub = Subscription(self, channel, on_payload, on_listen, on_lost, check, alive)
        with self._lock:
            if self._ended:
                return None
            self._subs.append(sub)
            self._index()
        self._changed.set()
        return sub

    def unsubscribe(self, sub: Subscription, wait: float = 0.0) -> None:
        sub.listening.clear()
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)
                self._index()
        self._changed.set()
        if wait > 0 and self.is_alive() and threading.current_thread() is not self:
            deadline = time.monotonic() + wait
            while self.is_alive() and time.monotonic() < deadline:
                with self._lock:
                    if self._subs and not self._ended:
                        return               # somebody else still listens: it goes on
                self.join(0.05)

    def stop(self) -> None:
        self.stopping.set()
        self._changed.set()

    def _index(self) -> None:
        by_channel: dict[str, list[Subscription]] = {}
        for sub in self._subs:
            by_channel.setdefault(sub.channel, []).append(sub)
        self._by_channel = {channel: tuple(subs) for channel, subs in by_channel.items()}

    # -- whether anything came (any thread) --

    def settled(self) -> bool:
        """Connected, and every notification that reached the socket before this call has been
        handed to its subscribers. First the socket: nothing waiting on it, and nobody (under
        ``_io``) between reading it and handing the last notification over: settled. (A
        notification read after the socket was looked at was read under ``_io``, taken before
        the read; if ``_io`` is free when it is looked at second, the hand-over is done.)
        Otherwise, if ``_io`` is free, this thread reads and hands over what came itself
        (notifications of other channels wait no longer on a busy listener's thread); if it is
        taken: not settled."""
        fd = self._fd
        if fd < 0:
            return False
        probe = select.poll()
        probe.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
        if not probe.poll(0) and not self._io.locked():
            return True
        if not self._io.acquire(blocking=False):
            return False
        try:
            pgconn = self._pgconn
            if pgconn is None:
                return False
            self._read(pgconn)
            return True
        except Exception:  # noqa: BLE001 - a broken connection: the listener's thread sees it too
            return False
        finally:
            self._io.release()

    def _read(self, pgconn: Any) -> None:
        """Under ``_io``: read what came and hand every notification over (libpq's own calls:
        psycopg's Connection.notifies() sets up a generator, a wait and a lock per call). A
        broken connection raises in consume_input()."""
        pgconn.consume_input()
        encoding = self._encoding
        while (notify := pgconn.notifies()) is not None:
            self._dispatch(notify.relname.decode(encoding), notify.extra.decode(encoding))
        if pgconn.status != self._ok:
            raise ConnectionError(f"the LISTEN connection broke: {pgconn.error_message!r}")

    def _dispatch(self, channel: str, payload: str) -> None:
        for sub in self._by_channel.get(channel, ()):
            try:
                sub.on_payload(payload)
            except Exception:  # noqa: BLE001 - one subscriber's fault must not cost the others
                log.exception("listener: subscriber of %s failed", channel)

    def _handled(self, notify: Any) -> None:
        """psycopg's notify handler: notifications that came while a command (LISTEN) ran."""
        self._dispatch(notify.channel, notify.payload)

    # -- the listener's thread --

    def run(self) -> None:
        import psycopg

        self._ok = psycopg.pq.ConnStatus.OK
        try:
            while not self.stopping.is_set() and not self._end_if_idle():
                try:
                    with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
                        conn.add_notify_handler(self._handled)
                        try:
                            with self._io:
                                self._encoding = conn.info.encoding
                                self._pgconn, self._fd = conn.pgconn, conn.pgconn.socket
                            self.connected.set()
                            self._outage.answered()
                            if not self._serve(conn):
                                return
                        finally:
                            self._lost()
                except Exception as exc:  # noqa: BLE001 - polling covers the gap; try again
                    if not self._outage.failed(f"LISTEN connection, polling every {self.reconnect_seconds:.0f} s", exc):
                        log.warning("listener: %s; polling only for %.0f s", exc, self.reconnect_seconds)
                    self.stopping.wait(self.reconnect_seconds)
        finally:
            with self._lock:
                self._ended = True      # a later subscription starts another listener

    def _end_if_idle(self) -> bool:
        with self._lock:
            if not self._subs:
                self._ended = True
            return self._ended

    def _serve(self, conn: Any) -> bool:
        """Until stopped (True) or nobody is subscribed any more (False)."""
        pgconn = conn.pgconn
        socket = pgconn.socket
        poller = select.poll()
        poller.register(self._changed.fileno(), select.POLLIN)
        poller.register(socket, select.POLLIN | select.POLLERR | select.POLLHUP)
        if not self._apply(conn):
            return False
        while not self.stopping.is_set():
            ready = poller.poll(500)
            if self._changed.is_set():
                if not self._apply(conn):
                    return False
            elif not ready and not self._prune(conn):
                return False
            if any(fd == socket for fd, _events in ready):
                with self._io:
                    self._read(pgconn)
        return True

    def _prune(self, conn: Any) -> bool:
        """End the subscriptions whose subscriber is gone; False when none is left."""
        with self._lock:
            gone = [sub for sub in self._subs if sub.alive is not None and not sub.alive()]
        for sub in gone:
            self.unsubscribe(sub)
        return self._apply(conn) if gone else True

    def _apply(self, conn: Any) -> bool:
        """LISTEN on the channels subscribed to and UNLISTEN on those nobody wants any more;
        tell the new subscriptions. False when nobody is subscribed."""
        self._changed.clear()
        with self._lock:
            subs = list(self._subs)
            if not subs:
                self._ended = True
                return False
        new = [sub for sub in subs if sub not in self._active]
        with self._io:
            refused = [sub for sub in new if sub.check is not None and not sub.check(conn)]
            self._read(conn.pgconn)     # what came while the checks ran and was left behind
        for sub in refused:
            self.unsubscribe(sub)
            new.remove(sub)
        if refused:
            with self._lock:
                subs = list(self._subs)
                if not subs:
                    self._ended = True
                    return False
        wanted = {sub.channel for sub in subs}
        with self._io:
            for channel in sorted(self._listened - wanted):
                conn.execute(f"UNLISTEN {channel}")
            for channel in sorted(wanted - self._listened):
                conn.execute(f"LISTEN {channel}")
            self._listened = wanted
            self._read(conn.pgconn)     # what came while the commands ran and was left behind
        self._active = [sub for sub in self._active if sub in subs]
        for sub in new:
            try:
                sub.on_listen()
            except Exception:  # noqa: BLE001 - one subscriber's fault must not cost the others
                log.exception("listener: subscriber of %s failed", sub.channel)
            sub.listening.set()
            self._active.append(sub)
            with self._lock:
                if sub not in self._subs:       # cancelled meanwhile
                    sub.listening.clear()
        return True

    def _lost(self) -> None:
        """The connection is closing (broken, stopped or idle): nobody listens now."""
        with self._io:
            self._pgconn, self._fd = None, -1
        self.connected.clear()
        active, self._active, self._listened = self._active, [], set()
        for sub in active:
            sub.listening.clear()
        for sub in active:
            try:
                sub.on_lost()
            except Exception:  # noqa: BLE001 - one subscriber's fault must not cost the others
                log.exception("listener: subscriber of %s failed", sub.channel)


class ListenerHolder(Protocol):
    """What keeps a process's listener (engine.bootstrap.Engine)."""

    db: Database
    listener: Any


_start_lock = threading.Lock()


def subscribe(holder: ListenerHolder, channel: str, *, on_payload: Callable[[str], None] | None = None,
              on_listen: Callable[[], None] | None = None, on_lost: Callable[[], None] | None = None,
              check: Callable[[Any], bool] | None = None,
              alive: Callable[[], bool] | None = None) -> Subscription | None:
    """On PostgreSQL (psycopg 3): a :class:`Subscription` to ``channel`` on ``holder``'s one
    :class:`Listener` (started by the first subscription, again after it ended), else None."""
    if not supported(holder.db):
        return None
    with _start_lock:
        listener = holder.listener
        sub = None
        if listener is not None:
            sub = listener.subscribe(channel, on_payload=on_payload, on_listen=on_listen, on_lost=on_lost,
                                     check=check, alive=alive)
        if sub is None:
            listener = Listener(holder.db)
            sub = listener.subscribe(channel, on_payload=on_payload, on_listen=on_listen, on_lost=on_lost,
                                     check=check, alive=alive)
            assert sub is not None
            holder.listener = listener
            listener.start()
    return sub


class InlineListener:
    """``LISTEN amtsflow_jobs`` on a connection of its own, without a thread of its own: the
    thread that waits for work (the worker's acquisition loop) waits in poll() for its socket and
    for a :class:`engine.bell.Doorbell` at once (:meth:`wait`), so a notification wakes that thread
    itself instead of a listener thread that would then wake it (a thread switch and a wake-up
    less per job). As a :class:`Subscription`: once LISTEN is in place :meth:`wait` returns at once,
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
        self._outage = Outage(log, "job listener")   # a database away: one line, not one per attempt

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
            if not self._outage.failed(f"LISTEN connection, polling every {self.reconnect_seconds:.0f} s", exc):
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
            if not self._outage.failed(f"LISTEN connection, polling every {self.reconnect_seconds:.0f} s", exc):
                log.warning("job listener: %s; polling only for %.0f s", exc, self.reconnect_seconds)
            self._retry_at = time.monotonic() + self.reconnect_seconds
            return False
        self._outage.answered()
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
