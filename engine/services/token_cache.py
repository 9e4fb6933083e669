"""API tokens a web process has identified, kept until anything about them changes.

Every API request names its token; reading the token, its account and groups took about a
tenth of the web process's CPU per request (a pooled connection of its own, a statement, the
account's JSON). On PostgreSQL a web process keeps what it read, keyed by the token's digest,
and forgets all of it as soon as any process commits a change to a token, an account or an
account's groups: migration 0028's triggers send ``NOTIFY amtsflow_accounts`` with that commit,
and a listener thread of this process (a connection of its own) clears the cache on arrival.
What keeps a revoked token from working beyond that moment:

* the cache is used only while the listener listens on a database that has the triggers (a
  lost connection, or a database without migration 0028: every request reads the token);
* a request looks at the listener's socket before it trusts the cache: a notification that has
  arrived but is not yet handled sends the request to the database;
* an entry that was read before a notification arrived is not stored after it (a generation
  count); unknown, revoked or inactive tokens are never kept;
* an entry lives at most :data:`KEEP_SECONDS` (by the engine's clock) in any case: then the
  token is read again and its last use recorded (at most once a minute, as before, and at
  most :data:`KEEP_SECONDS` later than without the cache).

What remains: a request that starts after a change's COMMIT but before its notification reaches
this process's socket (on one machine, well under a millisecond) is answered as before the
change, as a request is that read the token just before the COMMIT (with or without a cache).

SQLite, and PostgreSQL through another driver than psycopg 3, keep nothing: there every request
reads its token (on SQLite another process, a CLI command, may change accounts unnoticed).
"""

from __future__ import annotations

import logging
import select
import threading
import weakref
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from engine.persistence.notify import supported
from engine.services import identity

if TYPE_CHECKING:
    from engine.bootstrap import Engine

CHANNEL = "amtsflow_accounts"
TRIGGERS = ("api_tokens_account_notify", "users_account_notify", "user_groups_account_notify")
KEEP_SECONDS = 30.0                # an entry is read again after this long, whatever happened
MAX_ENTRIES = 10_000               # more tokens than this in one process: start afresh
RECONNECT_SECONDS = 2.0
log = logging.getLogger(__name__)


class TokenCache:
    """``identify(token)`` as :func:`engine.services.identity.identify_token` answers it, from
    memory while nothing about the token can have changed (see the module's text)."""

    def __init__(self, engine: Engine, *, keep_seconds: float = KEEP_SECONDS) -> None:
        self.engine = engine
        self.keep = timedelta(seconds=keep_seconds)
        self.enabled = supported(engine.db)
        self._entries: dict[str, tuple[identity.TokenIdentity, datetime]] = {}
        self._generation = 0
        self._lock = threading.Lock()
        self._listener: _Listener | None = None

    def identify(self, token: str) -> identity.TokenIdentity | None:
        if not self.enabled:
            return identity.identify_token(self.engine, token)
        listener = self._listener or self.start()
        digest = identity.token_digest(token)
        entry = self._entries.get(digest)
        now = self.engine.clock.now()
        if entry is not None and now < entry[1] and listener.quiet():
            return entry[0]
        generation = self._generation
        found = identity.identify_token(self.engine, token)
        if found is not None and listener.quiet():
            with self._lock:
                if generation == self._generation:   # no notification since the read began
                    if len(self._entries) >= MAX_ENTRIES:
                        self._entries.clear()
                    self._entries[digest] = (found, now + self.keep)
        return found

    def forget_all(self) -> None:
        """Called by the listener when a notification arrives (before it is read), when it
        starts listening and when it loses its connection."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def start(self) -> _Listener:
        """The listener, started by the first request with a token (or earlier, by a test)."""
        with self._lock:
            if self._listener is None:
                self._listener = _Listener(self)
                self._listener.start()
            return self._listener


class _Listener(threading.Thread):
    """``LISTEN amtsflow_accounts`` on a connection of its own; clears the cache on every
    notification. Ends when its cache is no longer used (an application that was let go)."""

    def __init__(self, cache: TokenCache) -> None:
        super().__init__(name="amtsflow-token-cache", daemon=True)
        self.cache = weakref.ref(cache)
        self.url = cache.engine.db.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.stopping = threading.Event()
        self.listening = threading.Event()
        self._fd = -1

    def quiet(self) -> bool:
        """Listening, with no notification waiting on the socket: the cache may be trusted."""
        if not self.listening.is_set():
            return False
        probe = select.poll()
        probe.register(self._fd, select.POLLIN | select.POLLERR | select.POLLHUP)
        return not probe.poll(0) and self.listening.is_set()

    def run(self) -> None:
        import psycopg

        while not self.stopping.is_set() and self.cache() is not None:
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    try:
                        if not self._has_triggers(conn):
                            log.warning("API tokens are read on every request: the database lacks "
                                        "migration 0028's triggers")
                            return
                        conn.execute(f"LISTEN {CHANNEL}")
                        self._fd = conn.pgconn.socket
                        if not self._forget():    # what changed before LISTEN: read afresh
                            return
                        self.listening.set()
                        self._receive(conn)
                    finally:
                        self.listening.clear()
                        self._forget()
            except Exception as exc:  # noqa: BLE001 - reads every token meanwhile; try again
                log.warning("token cache listener: %s; reading every token for %.0f s", exc, RECONNECT_SECONDS)
                self.stopping.wait(RECONNECT_SECONDS)

    @staticmethod
    def _has_triggers(conn: Any) -> bool:
        found = conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname = ANY(%s) AND NOT tgisinternal",
                             [list(TRIGGERS)]).fetchone()
        return bool(found and found[0] == len(TRIGGERS))

    def _forget(self) -> bool:
        cache = self.cache()
        if cache is None:
            self.stopping.set()
            return False
        cache.forget_all()
        return True

    def _receive(self, conn: Any) -> None:
        pgconn = conn.pgconn
        poller = select.poll()
        poller.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
        while not self.stopping.is_set():
            if not poller.poll(500):
                if self.cache() is None:
                    return
                continue
            if not self._forget():    # first forget, then read: quiet() saw the data until now
                return
            pgconn.consume_input()
            while pgconn.notifies() is not None:
                pass

