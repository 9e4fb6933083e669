"""What a worker logs while its database does not answer.

A PostgreSQL restart (an update, a fail-over) makes every round of a worker fail until the
server is back. Each failure is the same fact, not a new error: logged with its stack trace
per round, a short restart left pages of tracebacks at ERROR in the log of every worker, and a
log monitor raised an alarm for planned maintenance. Here the first failure is one warning
line, a longer outage one more line a minute, and the end of it one line; any other error of a
round is still logged with its stack.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from typing import Callable

REPORT_EVERY = 60.0   # seconds between the lines of one outage after its first

# SQLSTATEs of a server that is going away or not yet there: admin_shutdown, crash_shutdown,
# cannot_connect_now (starting up, shutting down), and the connection exceptions (class 08)
_GONE = ("57P01", "57P02", "57P03")


def unreachable(exc: BaseException) -> bool:
    """The database did not answer: the connection could not be made, was lost or the server is
    shutting down (an error of a statement, a lock wait, a constraint is not this)."""
    from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError

    if isinstance(exc, DisconnectionError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        if not isinstance(exc, OperationalError):
            return False
        driver_error: BaseException | None = exc.orig
    else:   # psycopg's own (the LISTEN connections use psycopg directly)
        import psycopg

        if not isinstance(exc, psycopg.OperationalError):
            return False
        driver_error = exc
    if isinstance(driver_error, sqlite3.Error):   # SQLite: only a file that cannot be opened (not a missing table)
        return getattr(driver_error, "sqlite_errorcode", None) == sqlite3.SQLITE_CANTOPEN
    state = getattr(driver_error, "sqlstate", None)   # psycopg: None for a connection that failed or broke
    return state is None or state.startswith("08") or state in _GONE


def database_errors() -> tuple[type[Exception], ...]:
    """What a database error is raised as, for error handlers of layers that do not import
    SQLAlchemy themselves (the web's: webui/errors.py); :func:`unreachable` tells which of
    them mean the database does not answer."""
    from sqlalchemy.exc import DBAPIError, DisconnectionError

    return (DBAPIError, DisconnectionError)


def reason(exc: BaseException) -> str:
    """The first line of what the driver said (SQLAlchemy's wrapper adds the statement and a link)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Outage:
    """One per worker: call :meth:`failed` with what failed, :meth:`answered` after a round
    that reached the database."""

    def __init__(self, log: logging.Logger, who: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.log, self.who, self.clock = log, who, clock
        self.since: float | None = None
        self._next_report = 0.0
        self._lock = threading.Lock()   # the acquisition loop and the heartbeat may both report

    def failed(self, what: str, exc: BaseException) -> bool:
        """True when ``exc`` means the database is unreachable (logged here, in one line at
        most a minute); False for any other error, which the caller logs with its stack."""
        if not unreachable(exc):
            return False
        said = reason(exc)
        with self._lock:
            now = self.clock()
            if self.since is None:
                self.since, self._next_report = now, now + REPORT_EVERY
                self.log.warning("%s: the database does not answer (%s: %s); trying again", self.who, what, said)
            elif now >= self._next_report:
                self._next_report = now + REPORT_EVERY
                self.log.warning("%s: the database has not answered for %.0f s (%s: %s)", self.who,
                                 now - self.since, what, said)
        return True

    def answered(self) -> None:
        if self.since is None:   # the common case: no lock taken
            return
        with self._lock:
            if self.since is not None:
                self.log.warning("%s: the database answers again, after %.0f s", self.who, self.clock() - self.since)
                self.since = None
