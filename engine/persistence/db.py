"""Database engine and unit of work."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, cast

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.pool import NullPool

from engine.domain.errors import ConfigurationError, DatabaseBusy
from engine.persistence import scoping, wal
from engine.persistence.fast import discard_deferred, flush_deferred, forget_prepared

log = logging.getLogger("amtsflow.db")


SQLITE_SYNCHRONOUS = ("FULL", "NORMAL")


def make_engine(url: str, *, busy_seconds: float = 30.0, synchronous: str = "FULL") -> Engine:
    """``busy_seconds``: on SQLite, how long a writer waits for the write lock before the
    command fails with DatabaseBusy (PostgreSQL waits for row locks; deadlocks end at once).
    ``synchronous``: SQLite's durability, FULL (default: every commit is synced to disk) or
    NORMAL (synced at checkpoints: a power cut may lose the last commits, never corrupt)."""
    url = database_url(url)
    if url.startswith("sqlite"):
        if synchronous not in SQLITE_SYNCHRONOUS:
            raise ConfigurationError(f"AMTSFLOW_SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS)}, "
                                     f"not {synchronous!r}")
        engine = _sqlite_engine(url, busy_seconds, synchronous)
    else:
        engine = _server_engine(url)
    scoping.install()   # every statement on tenant-owned tables runs for the scope's tenant
    return engine


SERVER_DRIVER = "psycopg"   # the PostgreSQL driver amtsflow installs (psycopg 3)


def database_url(url: str) -> str:
    """The URL as SQLAlchemy is to open it: a PostgreSQL URL without a driver, as PostgreSQL's
    own tools and most hosting panels write it (``postgresql://`` or ``postgres://``), gets the
    driver amtsflow installs (SQLAlchemy's default would be psycopg2, which is not installed).
    A URL of another database or another driver is refused with one line saying what to write
    (ConfigurationError), not with a stack trace from a missing module."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - SQLAlchemy's ArgumentError, or a ValueError of a bad port
        # (its text would repeat the URL, password included: not for a log)
        raise ConfigurationError("AMTSFLOW_DATABASE_URL is not a database URL; write "
                                 "sqlite:///path/amtsflow.sqlite or postgresql://user@host/database") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgres", "postgresql"):
        if driver not in ("", SERVER_DRIVER):
            raise ConfigurationError(f"AMTSFLOW_DATABASE_URL names the driver {driver!r}, which amtsflow does not "
                                     f"install; write postgresql://... or postgresql+{SERVER_DRIVER}://...")
        if parsed.drivername != f"postgresql+{SERVER_DRIVER}":
            return parsed.set(drivername=f"postgresql+{SERVER_DRIVER}").render_as_string(hide_password=False)
        return url
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise ConfigurationError(f"AMTSFLOW_DATABASE_URL names the SQLite driver {driver!r}; write sqlite:///path")
        return url
    raise ConfigurationError(f"AMTSFLOW_DATABASE_URL is a {backend} database; amtsflow runs on SQLite "
                             "(sqlite:///path) or PostgreSQL (postgresql://user@host/database)")


CONNECT_TIMEOUT = 10   # seconds a new PostgreSQL connection may take (the LISTEN connections' too)
PING_AFTER_IDLE = 1.0  # seconds a pooled connection may sit unused before its next checkout pings it


def _server_engine(url: str) -> Engine:
    """PostgreSQL: a pool whose connections are tested with a ping when they sat unused for more
    than PING_AFTER_IDLE seconds (SQLAlchemy's pool_pre_ping tests on every checkout: one round
    trip more per transaction, several per case command). A connection used a moment ago is
    alive; one that broke meanwhile (server restart) fails that one statement, and SQLAlchemy
    then replaces every connection of the pool, as after a failed ping."""
    # unless the URL says otherwise (?connect_timeout=N), a new connection gives up after
    # CONNECT_TIMEOUT: libpq itself waits as long as TCP does for a host that does not answer
    # (minutes), holding a request thread or a job all that while
    connect_args = {} if "connect_timeout" in make_url(url).query else {"connect_timeout": CONNECT_TIMEOUT}
    engine = create_engine(url, pool_size=10, max_overflow=10, future=True, connect_args=connect_args)
    if engine.dialect.driver == "psycopg":
        _skip_idle_ends(engine.dialect)
    # Writes deferred by FastStatement.defer go out before any other statement and before a
    # commit; a transaction that ends otherwise drops them.
    event.listen(engine, "before_cursor_execute", lambda conn, *_args: flush_deferred(conn))
    event.listen(engine, "commit", flush_deferred)
    event.listen(engine, "rollback", discard_deferred)
    event.listen(engine, "begin", discard_deferred)
    # psycopg runs DEALLOCATE ALL when it rolls back an open transaction: the statements
    # flush_deferred prepared on that connection are prepared anew
    event.listen(engine, "rollback", _forget_prepared)
    event.listen(engine, "reset", lambda dbapi_conn, *_args: forget_prepared(dbapi_conn))

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _idle(_dbapi_conn: Any, record: Any) -> None:
        # a connection a thread kept pinned (see pinned()) sat unused since then, not since now
        record.info["idle_since"] = record.info.pop(UNUSED_SINCE, None) or time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since <= PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:  # the pool discards it and connects anew
            raise DisconnectionError(f"connection lost while idle: {error}") from error

    return engine


def _skip_idle_ends(dialect: Any) -> None:
    """psycopg's commit() and rollback() of a connection without an open transaction send
    nothing, but take its lock and run a generator through its wait loop: SQLAlchemy calls
    them after every libpq pipeline that ended with its COMMIT (flush_deferred), at the end of
    every read on an autocommit connection (reading()) and when the pool resets a connection.
    Those calls are skipped here; with a transaction open they go to psycopg as before. (No
    psycopg pipeline is ever open on the engine's connections: engine/persistence/fast.py runs
    its own; should one be, psycopg's calls sync it, so they are not skipped then.)"""
    from psycopg.pq import TransactionStatus

    idle = TransactionStatus.IDLE
    do_commit, do_rollback = dialect.do_commit, dialect.do_rollback

    def ended(dbapi_connection: Any) -> bool:
        driver = dbapi_connection.driver_connection
        return bool(driver.pgconn.transaction_status == idle and getattr(driver, "_pipeline", None) is None)

    def commit(dbapi_connection: Any) -> None:
        if not ended(dbapi_connection):
            do_commit(dbapi_connection)

    def rollback(dbapi_connection: Any) -> None:
        if not ended(dbapi_connection):
            do_rollback(dbapi_connection)

    setattr(dialect, "do_commit", commit)
    setattr(dialect, "do_rollback", rollback)


def _sqlite_engine(url: str, busy_seconds: float, synchronous: str) -> Engine:
    path = url.split("///", 1)[-1]
    on_disk = bool(path) and path != ":memory:"
    if on_disk:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_seconds},
                           poolclass=NullPool if path == ":memory:" else None)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        # SQLite's own lower() folds A-Z only: "MÜLLER" stayed "mÜller", and a search for
        # "müller" (ILIKE is lower() LIKE lower()) missed it. No index of ours is on lower() here.
        dbapi_conn.create_function("lower", 1, _lower, deterministic=True)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        if on_disk:  # checkpoints run in the background (see wal.py); this is only the bound
            cur.execute(f"PRAGMA wal_autocheckpoint={wal.SAFETY_BOUND_PAGES}")
        cur.close()

    if on_disk:
        wal.watch(engine, os.path.abspath(path))

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # straight to the driver: this runs once per transaction and needs no result; a connection
        # that has just begun a transaction is live, so it has a driver connection (sqlite3's)
        driver = cast(sqlite3.Connection, conn.connection.driver_connection)
        statement = "BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN DEFERRED"
        try:
            driver.execute(statement)
        except sqlite3.Error as error:  # as SQLAlchemy would raise it (a busy database -> DatabaseBusy)
            raise DBAPIError.instance(statement, None, error, sqlite3.Error) from error

    return engine


def _lower(value: Any) -> Any:
    """SQLite's lower() as Unicode lowercases (str.lower): NULL stays NULL, blobs stay as they are."""
    if isinstance(value, str):
        return value.lower()
    return value if value is None or isinstance(value, bytes) else str(value).lower()


def _forget_prepared(conn: Connection) -> None:
    try:
        driver = conn.connection.driver_connection
    except Exception:  # noqa: BLE001 - an invalidated connection: the pool replaces it
        return
    forget_prepared(driver)


class UnitOfWork:
    """One transaction. Rolls back unless :meth:`commit` was called. Callbacks registered with
    :meth:`after_commit` run once the commit succeeded (in-memory follow-ups such as caching a
    saved case or handing a job to this process's worker); they must not fail."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.committed = False
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def commit(self) -> None:
        flush_deferred(self.conn, commit=True)  # on psycopg: deferred writes and COMMIT in one round trip
        self.committed = True
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001 - committed is committed; the follow-up is only an optimisation
                log.exception("after-commit callback failed")


@contextmanager
def unit_of_work(engine: Engine, *, write: bool = True) -> Iterator[UnitOfWork]:
    pin = getattr(_PINNED, "pin", None)
    if pin is None or not pin.free(engine):
        pin = None
    conn = pin.take() if pin is not None else engine.connect()
    try:
        conn.info["write"] = write
        uow = UnitOfWork(conn)
        try:
            conn.begin()
            yield uow
            if not uow.committed:
                conn.rollback()
        except OperationalError as exc:
            conn.rollback()
            if _is_lock_error(exc):
                raise DatabaseBusy(f"database busy: {exc.orig}",
                                   waited="database is locked" in str(exc.orig).lower()) from exc
            raise
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.info.pop("write", None)
    except BaseException:
        if pin is not None:
            pin.release()   # whatever happened to it: back to the pool, which resets or discards it
        else:
            conn.close()
        raise
    if pin is not None:
        pin.put_back()
    else:
        conn.close()


_PINNED = threading.local()
UNUSED_SINCE = "amtsflow_unused_since"   # Connection.info: since when a pinned connection sat unused


class _Pin:
    """One pooled connection a thread keeps for its units of work (see :func:`pinned`)."""

    def __init__(self, db: Engine) -> None:
        self.db = db
        self.conn: Connection | None = None
        self.busy = False
        self.last_used = 0.0

    def free(self, db: Engine) -> bool:
        return self.db is db and not self.busy

    def take(self) -> Connection:
        conn = self.conn
        if conn is not None and time.monotonic() - self.last_used > PING_AFTER_IDLE:
            self.release(unused=True)   # back to the pool, whose check-out pings it as one idle that long
            conn = None
        if conn is None:
            conn = self.conn = self.db.connect()
        self.busy = True
        return conn

    def put_back(self) -> None:
        """The unit of work ended: the connection stays with the thread, without a transaction."""
        conn = self.conn
        try:
            if conn is not None and conn.in_transaction():   # a statement after the commit began one
                conn.rollback()
        except BaseException:
            self.release()
            raise
        finally:
            self.busy = False
            self.last_used = time.monotonic()

    def release(self, *, unused: bool = False) -> None:
        self.busy = False
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            if unused:
                conn.info[UNUSED_SINCE] = self.last_used
            conn.close()
        except Exception:  # noqa: BLE001 - a broken connection: the pool has discarded it
            log.debug("pinned connection: close failed", exc_info=True)


@contextmanager
def pinned(db: Engine | None) -> Iterator[None]:
    """For a thread that runs one unit of work after another (the worker's job threads): while
    it is inside this block, its :func:`unit_of_work` calls on ``db`` keep one pooled connection
    instead of checking one out of the pool and back in each time (SQLAlchemy's check-out,
    check-in and reset cost more Python than a case command's own statements on the worker).
    Between units of work no transaction is open on it, as in the pool. A unit of work inside
    another gets a connection of its own from the pool; a connection unused for longer than
    PING_AFTER_IDLE goes back to the pool first, whose check-out then pings it; one whose unit of
    work failed goes back too. On leaving the block the connection returns to the pool."""
    if db is None or getattr(_PINNED, "pin", None) is not None:
        yield
        return
    pin = _PINNED.pin = _Pin(db)
    try:
        yield
    finally:
        _PINNED.pin = None
        pin.release()


_KEEPERS: "weakref.WeakKeyDictionary[Engine, list[int]]" = weakref.WeakKeyDictionary()
_KEEPERS_LOCK = threading.Lock()


def keep_connection(db: Engine) -> bool:
    """For a thread that serves one request after another as long as its process lives (the
    request threads of ``amtsflow serve``'s gunicorn workers): from now on its units of work and
    FastStatement reads on ``db`` keep one pooled connection across requests, as inside
    :func:`pinned` (no check-out, reset and check-in per unit of work). Idle for more than
    PING_AFTER_IDLE, failed or left by an ending thread, the connection goes back to the pool as
    there. At most as many threads as the pool holds connections keep one (the overflow stays
    for everyone else: a server with more threads than that never waits for a kept connection);
    PostgreSQL only. Returns whether this thread keeps one (now or already)."""
    if getattr(_PINNED, "pin", None) is not None:
        return True
    if db.dialect.name != "postgresql":
        return False
    size = getattr(db.pool, "size", lambda: 0)()
    with _KEEPERS_LOCK:
        keepers = _KEEPERS.setdefault(db, [0])
        if keepers[0] >= size:
            return False
        keepers[0] += 1
    _PINNED.pin = _KeptPin(db, keepers)
    return True


class _KeptPin(_Pin):
    """A :class:`_Pin` kept by a thread until it ends (:func:`keep_connection`)."""

    def __init__(self, db: Engine, keepers: list[int]) -> None:
        super().__init__(db)
        self._keepers = keepers

    def __del__(self) -> None:   # the thread ended: its thread-local storage goes, and this with it
        try:
            self.release()
        finally:
            with _KEEPERS_LOCK:
                self._keepers[0] -= 1


_AUTOCOMMIT: "weakref.WeakKeyDictionary[Engine, Engine]" = weakref.WeakKeyDictionary()


@contextmanager
def reading(db: Engine) -> Iterator[Connection]:
    """A connection for reads only. On PostgreSQL its statements run without a transaction of
    their own (autocommit): at READ COMMITTED every statement takes its own snapshot anyway, and
    ending the read then costs no COMMIT round trip. On SQLite a deferred read transaction
    (one snapshot for all its statements, no lock)."""
    if db.dialect.name != "postgresql":
        with db.begin() as conn:
            yield conn
        return
    if db.dialect.driver != "psycopg":
        reader = _AUTOCOMMIT.get(db)
        if reader is None:
            reader = _AUTOCOMMIT.setdefault(db, db.execution_options(isolation_level="AUTOCOMMIT"))
        with reader.connect() as conn, conn.begin():
            yield conn
        return
    # psycopg: autocommit switched on the driver for the read and off again before the connection
    # goes back to the pool (SQLAlchemy's isolation_level option does the same through its
    # connection characteristics, events and reset, for several times the Python); a connection
    # whose switch back fails is discarded, never pooled in autocommit
    with db.connect() as conn:
        driver: Any = conn.connection.driver_connection   # a checked-out connection has one
        driver.autocommit = True
        try:
            with conn.begin():
                yield conn
        finally:
            try:
                driver.autocommit = False
            except Exception:  # noqa: BLE001 - broken or mid-statement: the pool must not get it back
                conn.invalidate()


class _StatementReader:
    """What :func:`fast_reading` yields on psycopg: the little of a Connection that
    FastStatement reads through (its engine and dialect, its info and the pooled DB-API
    connection)."""

    __slots__ = ("engine", "dialect", "connection", "info")

    def __init__(self, engine: Engine, connection: Any) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self.connection = connection
        self.info: dict[str, Any] = {}

    def in_transaction(self) -> bool:
        return True   # autocommit: every statement is a transaction of its own


@contextmanager
def fast_reading(db: Engine) -> Iterator[Any]:
    """:func:`reading` for reads made by FastStatement only (no ``conn.execute``): on psycopg
    the pooled connection itself in autocommit, without SQLAlchemy's Connection and transaction
    around it (its set-up, events and end cost more Python than a short read; the pool's
    check-out, ping and reset stay as they are). In a thread that keeps a connection
    (:func:`pinned`) that connection, when free. Elsewhere :func:`reading`."""
    if db.dialect.name != "postgresql" or db.dialect.driver != "psycopg":
        with reading(db) as conn:
            yield conn
        return
    pin = getattr(_PINNED, "pin", None)
    if pin is not None and pin.free(db):
        with _pinned_reading(db, pin) as reader:
            yield reader
        return
    dialect = db.dialect
    try:
        pooled = db.raw_connection()
    except dialect.loaded_dbapi.Error as error:   # as Engine.connect() raises it
        Connection._handle_dbapi_exception_noconnection(error, dialect, db)
        raise
    try:
        driver: Any = pooled.driver_connection
        driver.autocommit = True
        try:
            yield _StatementReader(db, pooled)
        finally:
            try:
                driver.autocommit = False
            except Exception:  # noqa: BLE001 - broken or mid-statement: the pool must not get it back
                pooled.invalidate()
    finally:
        pooled.close()


@contextmanager
def _pinned_reading(db: Engine, pin: _Pin) -> Iterator[Any]:
    """:func:`fast_reading` on the thread's pinned connection (no transaction open on it
    between units of work): back to the thread out of autocommit, or to the pool (discarded
    when autocommit cannot be switched off) after a failure."""
    conn = pin.take()
    kept = False
    try:
        driver: Any = conn.connection.driver_connection
        driver.autocommit = True
        broken = False
        try:
            yield _StatementReader(db, conn.connection)
        finally:
            try:
                driver.autocommit = False
            except Exception:  # noqa: BLE001 - broken or mid-statement: the pool must not get it back
                conn.invalidate()
                broken = True
        kept = not broken
    finally:
        if kept:
            pin.put_back()
        else:
            pin.release()


def _is_lock_error(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "deadlock detected" in text or "could not serialize" in text


def default_sqlite_url() -> str:
    return f"sqlite:///{os.path.abspath('instance/amtsflow.sqlite')}"


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite database URL (None for another database or an in-memory one)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database)
    return None
