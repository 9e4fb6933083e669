"""API tokens a web process has identified, kept until anything about them changes.

Every API request names its token; reading the token, its account and groups took about a
tenth of the web process's CPU per request (a pooled connection of its own, a statement, the
account's JSON). On PostgreSQL a web process keeps what it read, keyed by the token's digest,
and forgets all of it as soon as any process commits a change to a token, an account or an
account's groups: migration 0028's triggers send ``NOTIFY amtsflow_accounts`` with that commit,
and the process's listener (engine.persistence.notify: one connection, shared with the task and
job channels) hands it to this cache, which forgets everything. Only notifications of
``amtsflow_accounts`` do: those of the other channels on the same socket leave the cache as it is.
What keeps a revoked token from working beyond that moment:

* the cache is used only while the subscription listens on a database that has the triggers
  (checked on the listener's connection before each LISTEN; a lost connection, or a database
  without migration 0028: every request reads the token);
* a request trusts an entry only if its subscription is quiet after the entry was looked up
  (:meth:`engine.persistence.notify.Subscription.quiet`) and no notification was handed over
  since the request began (a generation count, read before the lookup). Quiet: nothing waits
  unread on the listener's socket, and nobody is between reading the socket and handing the
  last notification read over; the listener holds a lock from before its read until after
  the hand-over, and quiet() looks at the socket first and at the lock second, so an accounts
  notification that reached the socket before the request began is, at the request's check,
  still on the socket (not quiet), or read under the lock and not handed over yet (not quiet),
  or handed over (the count moved: the entry is not trusted). Data waiting on the socket (a
  task notification, two per case under load) is read and handed over by the asking request
  itself when the lock is free, so the shared socket does not keep the cache unused;
* an entry that was read before a notification arrived is not stored after it (the same
  count); unknown, revoked or inactive tokens are never kept;
* forgetting empties the cache before it moves the count: a request that saw the new count
  looks the entry up in the emptied cache;
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
import threading
import weakref
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from engine.persistence.notify import Subscription, subscribe, supported
from engine.services import identity

if TYPE_CHECKING:
    from engine.bootstrap import Engine

CHANNEL = "amtsflow_accounts"
TRIGGERS = ("api_tokens_account_notify", "users_account_notify", "user_groups_account_notify")
KEEP_SECONDS = 30.0                # an entry is read again after this long, whatever happened
MAX_ENTRIES = 10_000               # more tokens than this in one process: start afresh
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
        self._subscription: Subscription | None = None

    def identify(self, token: str) -> identity.TokenIdentity | None:
        if not self.enabled:
            return identity.identify_token(self.engine, token)
        subscription = self._subscription or self.start()
        digest = identity.token_digest(token)
        generation = self._generation          # before the lookup (see the module's text)
        entry = self._entries.get(digest)
        now = self.engine.clock.now()
        if entry is not None and now < entry[1] and subscription.quiet() and generation == self._generation:
            return entry[0]
        found = identity.identify_token(self.engine, token)
        if found is not None and subscription.quiet():
            with self._lock:
                if generation == self._generation:   # no notification since the read began
                    if len(self._entries) >= MAX_ENTRIES:
                        self._entries.clear()
                    self._entries[digest] = (found, now + self.keep)
        return found

    def forget_all(self) -> None:
        """Called with every ``amtsflow_accounts`` notification (while it is handed over, the
        subscription is not quiet), when the subscription starts listening and when the
        listener loses its connection. Empties the cache first, then moves the count."""
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def start(self) -> Subscription:
        """The subscription, made by the first request with a token (or earlier, by a test). It
        ends when the cache is no longer used (an application that was let go)."""
        with self._lock:
            if self._subscription is None:
                subscription = subscribe(self.engine, CHANNEL, **_callbacks(weakref.ref(self)))
                assert subscription is not None       # enabled: PostgreSQL through psycopg 3
                self._subscription = subscription
            return self._subscription


def _callbacks(cache: weakref.ref[TokenCache]) -> dict[str, Any]:
    """The subscription's callbacks: they hold the cache weakly (the engine's listener outlives it)."""

    def forget() -> None:
        found = cache()
        if found is not None:
            found.forget_all()

    def forget_on(_payload: str) -> None:
        forget()

    return {"on_payload": forget_on, "on_listen": forget, "on_lost": forget, "check": _has_triggers,
            "alive": lambda: cache() is not None}


def _has_triggers(conn: Any) -> bool:
    found = conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname = ANY(%s) AND NOT tgisinternal",
                         [list(TRIGGERS)]).fetchone()
    if found and found[0] == len(TRIGGERS):
        return True
    log.warning("API tokens are read on every request: the database lacks migration 0028's triggers")
    return False
