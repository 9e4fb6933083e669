"""Hot statements compiled once and run on the driver's cursor.

Every case command writes the same handful of rows (case, audit event, work items, jobs). On
SQLite, running such a statement takes a few microseconds, while SQLAlchemy's per-execution
machinery (execution context, parameter processing, result setup, events) takes 30-50. For
these statements only, :class:`FastStatement` lets SQLAlchemy compile the statement once per
dialect, with its own type conversions (bind processors: JSON, UTC timestamps, booleans), and
then hands the SQL and converted parameters straight to the DB-API cursor of the connection's
current transaction. Driver errors are re-raised as SQLAlchemy's exceptions, exactly as
:meth:`Connection.execute` would raise them, so callers cannot tell the difference.

For INSERT/UPDATE/DELETE (:meth:`run`, the row count), for reading plain values (text,
integers: :meth:`first_column`, :meth:`first`; no result processing) and for reading rows with
the columns' result processors (:meth:`all`). Not for expanding IN parameters.

On PostgreSQL the deferred writes and reads (:meth:`defer`, :meth:`all_deferred`) go to the
server in one libpq pipeline of their own (:func:`flush_deferred`): psycopg's adaptation, but
neither its cursors nor its pipeline mode, whose Python overhead per statement was larger than
the round trips it saves (bench/topology_breakdown.py: about 3 ms CPU less per case of the web
+ worker set-up, web, worker and PostgreSQL together).
It reads the compiler's bind names, placeholder order and default columns (attributes of the
pinned SQLAlchemy 2.0); tests/integration/test_fast_statement.py checks that the rows written
are identical to those of Connection.execute on SQLite and PostgreSQL, and
tests/integration/test_fast_statement_equivalence.py checks every FastStatement the engine
defines against Connection.execute while a workload runs. Re-run both after upgrading
SQLAlchemy, psycopg or SQLite (README, "Upgrading").
"""

from __future__ import annotations

import functools
import re
import select
import threading
import weakref
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable, Mapping

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import Insert

from engine.persistence import scoping
from engine.persistence.libpq_sync import pipeline_sync
from engine.tenancy import TenantMissing, current_scope


@dataclass(frozen=True)
class _Value:
    name: str                                # the placeholder's name in the SQL
    key: str | None                          # the parameter it takes, or None: a literal of the statement
    literal: Any
    processor: Callable[[Any], Any] | None   # the type's bind processor (JSON, UTC timestamps, ...)

    def of(self, params: Mapping[str, Any]) -> Any:
        value = params[self.key] if self.key is not None else self.literal
        return self.processor(value) if self.processor is not None else value  # None too, as SQLAlchemy


@dataclass(frozen=True)
class _Plan:
    sql: str
    values: tuple[_Value, ...]               # in placeholder order
    positional: bool


class FastStatement:
    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        # engine/persistence/scoping.py: compiled, the statement carries the tenant criteria (an
        # INSERT the tenant) as the parameter amtsflow_tenant; the marked one is for all tenants
        self._owned = scoping.touches_owned(statement)
        self._inserts = isinstance(statement, Insert)
        self._all = scoping.for_all_tenants(statement)
        self._plans: dict[tuple[str, frozenset[str]], _Plan] = {}   # per dialect+driver and key set
        self._readers: dict[str, tuple[list[str], list[Callable[[Any], Any] | None]]] = {}
        self._lock = threading.Lock()

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Execute with ``params`` in ``conn``'s transaction; returns the affected row count."""
        return int(self._execute(conn, params, lambda cursor: cursor.rowcount))

    def first_column(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """For a SELECT: the first column of every row, as the driver returns it (no result
        processing: meant for text ids and the like)."""
        return list(self._execute(conn, params, lambda cursor: [row[0] for row in cursor.fetchall()]))

    def first(self, conn: Connection, params: Mapping[str, Any]) -> SimpleNamespace | None:
        """For a SELECT of plain columns (text, integers): the first row with the columns as
        attributes, or None. No result processing, so no timestamps or JSON columns here."""
        names = [column.key for column in getattr(self.statement, "selected_columns")]
        row = self._execute(conn, params, lambda cursor: cursor.fetchone())
        return SimpleNamespace(**dict(zip(names, row))) if row is not None else None

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[SimpleNamespace]:
        """For a SELECT (or a write with RETURNING): every row, its columns as attributes,
        converted by the columns' types (timestamps, JSON) with the result processors SQLAlchemy
        applies."""
        return self._converted(conn.dialect, self._execute(conn, params, lambda cursor: cursor.fetchall()))

    def all_deferred(self, conn: Connection, params: Mapping[str, Any]) -> "DeferredRows":
        """:meth:`all`, sent like a deferred write (:meth:`defer`): on psycopg with the
        transaction's next statement or its commit, in the same round trip (a write with
        RETURNING whose rows are read after the commit, say). The rows are in ``.rows`` once sent."""
        holder = DeferredRows()
        if conn.dialect.driver != "psycopg":
            holder.rows = self.all(conn, params)
            return holder
        plan, args = self._bound(conn, params)
        dialect = conn.dialect

        def receive(rows: list[Any]) -> None:
            holder.rows = self._converted(dialect, rows)

        conn.info.setdefault(DEFERRED, []).append((plan.sql, args, receive))
        return holder

    def _converted(self, dialect: Any, rows: list[Any]) -> list[SimpleNamespace]:
        names, processors = self._readers.get(_dialect_key(dialect)) or self._reader(dialect)
        return [SimpleNamespace(**{name: (convert(value) if convert is not None else value)
                                   for name, convert, value in zip(names, processors, row)}) for row in rows]

    def _reader(self, dialect: Any) -> tuple[list[str], list[Callable[[Any], Any] | None]]:
        columns = list(getattr(self.statement, "exported_columns"))  # a SELECT's columns, or what RETURNING returns
        reader = ([column.key for column in columns],
                  [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns])
        with self._lock:
            self._readers[_dialect_key(dialect)] = reader
        return reader

    def defer(self, conn: Connection, params: Mapping[str, Any]) -> None:
        """For a write whose row count nobody needs (an INSERT of a projection row, say): on
        psycopg it is sent later, in one round trip with the transaction's other deferred
        writes, just before the next other statement or the commit (:func:`flush_deferred`;
        the engine's event hooks in engine/persistence/db.py see to it); elsewhere it runs now.
        A failing deferred write fails that later statement or the commit, never silently."""
        if conn.dialect.driver != "psycopg":
            self.run(conn, params)
            return
        plan, args = self._bound(conn, params)
        conn.info.setdefault(DEFERRED, []).append((plan.sql, args, None))

    def _bound(self, conn: Connection, params: Mapping[str, Any]) -> tuple[_Plan, Any]:
        if not conn.in_transaction():  # outside one, the driver would autocommit or lose the write
            raise RuntimeError("FastStatement needs a connection inside a transaction")
        statement = self.statement
        if self._owned:
            statement, params = self._for_scope(params)
        dialect = conn.dialect
        key = (_dialect_key(dialect), frozenset(params))   # the tenant's and the unscoped plans differ in keys
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plan(conn, statement, params)
            with self._lock:
                self._plans[key] = plan
        args: Any
        try:
            if plan.positional:
                args = tuple(v.of(params) for v in plan.values)
            else:
                args = {v.name: v.of(params) for v in plan.values}
        except (TypeError, ValueError) as error:  # a bind processor refused a value, as in execute()
            raise sa_exc.StatementError(str(error), plan.sql, dict(params), error) from error
        return plan, args

    def _execute(self, conn: Connection, params: Mapping[str, Any], result: Callable[[Any], Any]) -> Any:
        plan, args = self._bound(conn, params)
        dialect = conn.dialect
        if dialect.driver == "psycopg":
            # in a libpq pipeline of its own (BEGIN with it), after what was deferred in this
            # transaction: one round trip for both
            pending = conn.info.pop(DEFERRED, None) or []
            outcome = _Outcome()
            try:
                _libpq_pipeline(conn.connection.driver_connection, [*pending, (plan.sql, args, outcome)], False)
            except dialect.loaded_dbapi.Error as error:
                raise sa_exc.DBAPIError.instance(plan.sql if not pending else f"({len(pending)} deferred writes, "
                                                 f"then) {plan.sql}", args, error, dialect.loaded_dbapi.Error,
                                                 dialect=dialect) from error
            return result(outcome)
        flush_deferred(conn)  # (only psycopg connections ever hold deferred writes)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(plan.sql, args)
            return result(cursor)
        except dialect.loaded_dbapi.Error as error:
            raise sa_exc.DBAPIError.instance(plan.sql, args, error, dialect.loaded_dbapi.Error,
                                             dialect=dialect) from error
        finally:
            cursor.close()

    def _for_scope(self, params: Mapping[str, Any]) -> tuple[Any, Mapping[str, Any]]:
        """The statement and parameters for the current tenant scope (TenantMissing outside any)."""
        scope = current_scope()
        if scope is None:
            raise TenantMissing(f"statement on tenant-owned tables outside any tenant scope: {self.statement}")
        if self._inserts and "tenant_id" in params:
            if scope.tenant_id is not None and params["tenant_id"] != scope.tenant_id:
                raise TenantMissing(f"INSERT for tenant {params['tenant_id']!r} inside the scope of "
                                    f"{scope.tenant_id!r}")
            return self.statement, params
        if scope.tenant_id is None:
            if self._inserts:
                raise TenantMissing(f"INSERT across all tenants ({scope.reason}) must name the tenant")
            return self._all, params
        return self.statement, {**params, scoping.TENANT_PARAM: scope.tenant_id}

    def _plan(self, conn: Connection, statement: Any, params: Mapping[str, Any]) -> _Plan:
        dialect = conn.dialect
        compiled: Any = statement.compile(dialect=dialect, column_keys=list(params))
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        order = tuple(compiled.positiontup) if compiled.positional else tuple(by_name)
        # Columns SQLAlchemy would fill from Python-side defaults: the driver cannot, so callers
        # must give them (refused here rather than written as NULL).
        defaults = {c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)}
        values = []
        for name in order:
            bind = by_name[name]
            if bind.key in params:
                key, literal = bind.key, None
            elif bind.key in defaults or bind.required:
                raise KeyError(f"parameter '{bind.key}' missing for {compiled.string!r}")
            else:
                key, literal = None, bind.effective_value
            values.append(_Value(name, key, literal, bind.type.dialect_impl(dialect).bind_processor(dialect)))
        return _Plan(compiled.string, tuple(values), bool(compiled.positional))


def defer_sql(conn: Connection, sql: str) -> None:
    """A statement without parameters or rows (``SET LOCAL ...``) sent like a deferred write
    (:meth:`FastStatement.defer`): on psycopg in the round trip of the transaction's next
    statement or its commit, in order; elsewhere now."""
    if conn.dialect.driver != "psycopg":
        conn.exec_driver_sql(sql)
        return
    if not conn.in_transaction():
        raise RuntimeError("defer_sql needs a connection inside a transaction")
    conn.info.setdefault(DEFERRED, []).append((sql, {}, None))


class DeferredRows:
    """The rows of :meth:`FastStatement.all_deferred`, there once the statement was sent."""

    rows: list[SimpleNamespace] | None = None


DEFERRED = "amtsflow_deferred_writes"   # key in Connection.info: [(sql, args, receive rows | None), ...] not yet sent


def flush_deferred(conn: Connection, *, commit: bool = False) -> None:
    """Send the writes :meth:`FastStatement.defer` held back, all in one round trip (a libpq
    pipeline, see :func:`_libpq_pipeline`); with ``commit`` the COMMIT goes in the same round
    trip (and is issued even when nothing was deferred). An error of any of them is raised as
    SQLAlchemy raises it from execute(), and the transaction is then aborted: the caller rolls
    back. (Only psycopg connections ever hold deferred writes: elsewhere they run at once.)"""
    pending = conn.info.pop(DEFERRED, None) if DEFERRED in conn.info else None
    if not pending:
        if commit:
            conn.commit()
        return
    dialect = conn.dialect
    try:
        _libpq_pipeline(conn.connection.driver_connection, pending, commit)
    except dialect.loaded_dbapi.Error as error:
        raise sa_exc.DBAPIError.instance(pending[0][0] if len(pending) == 1 else f"({len(pending)} deferred writes)",
                                         None, error, dialect.loaded_dbapi.Error, dialect=dialect) from error
    if commit:
        conn.commit()  # SQLAlchemy's bookkeeping; the driver sees the transaction ended and sends nothing


_PLACEHOLDER = re.compile(r"%\((?P<name>[^)]+)\)s|%%")
_MAX_PREPARED = 100   # statements kept prepared per connection (the engine's hot ones are far fewer)


class _Session:
    """What the libpq pipeline keeps per psycopg connection: psycopg's Transformer and the
    statements prepared on the server (forgotten when psycopg may have run DEALLOCATE ALL:
    see forget_prepared)."""

    def __init__(self, driver: Any) -> None:
        from psycopg.adapt import Transformer

        self.transformer = Transformer(driver)
        self.prepared: dict[tuple[bytes, tuple[int, ...]], bytes] = {}
        self.names = 0   # names given so far: a name is never given twice on one connection


@functools.cache
def _psycopg() -> Any:
    """The psycopg names of the hot paths below, imported once, on first use (this module is
    imported with SQLite too; an import statement in a function runs on every call)."""
    import psycopg
    from psycopg import errors, pq
    from psycopg.adapt import PyFormat

    return SimpleNamespace(pq=pq, errors=errors, OperationalError=psycopg.OperationalError, AUTO=PyFormat.AUTO)


_SESSIONS: "weakref.WeakKeyDictionary[Any, _Session]" = weakref.WeakKeyDictionary()   # per psycopg connection


def forget_prepared(driver: Any) -> None:
    """Called before a rollback (engine/persistence/db.py's event hooks). psycopg follows the
    ROLLBACK of an open transaction with DEALLOCATE ALL when it has prepared statements of its
    own (it prepares a statement it ran five times: after warm-up always), which removes these
    too: they are prepared anew, under new names. Should psycopg have had none, the old ones
    stay on the server until its next DEALLOCATE ALL."""
    session = _SESSIONS.get(driver)
    if session is not None:
        if driver.pgconn.transaction_status != _psycopg().pq.TransactionStatus.IDLE:
            session.prepared.clear()


_CONVERTED: dict[str, tuple[bytes, tuple[str, ...]]] = {}


def _converted(sql: str, encoding: str) -> tuple[bytes, tuple[str, ...]]:
    """A compiled statement's SQL (pyformat: %(name)s, %%) with $n placeholders, and the
    parameter name of each $n."""
    found = _CONVERTED.get(sql)
    if found is None:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            name = match.group("name")
            if name is None:
                return "%"
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"

        found = (_PLACEHOLDER.sub(number, sql).encode(encoding), tuple(names))
        _CONVERTED[sql] = found
    return found


def _libpq_pipeline(driver: Any, pending: list[tuple[str, Any, Any]], commit: bool) -> None:
    """Send ``pending`` (and COMMIT) in one libpq pipeline and read every result.

    psycopg's own pipeline mode spends several hundred microseconds of Python per statement
    (its generators, result queue and per-statement communication) where the round trips it
    saves cost less; on a machine where the clients share the CPU with PostgreSQL that was the
    largest single cost of a case command. Here the statements go straight to libpq, adapted
    by psycopg's Transformer (the dumpers and loaders its cursors use, so values are sent and
    read exactly as cursor.execute() would), each prepared once per connection (unnamed ones
    cost the server a parse and a plan every time; see forget_prepared for psycopg's
    DEALLOCATE ALL). Waiting for the server happens in poll(), without the GIL, in slices
    (:func:`_wait`), and the server's results are read while the statements are still being
    sent (:func:`_flush`). A failing statement raises psycopg's error for it; the transaction
    is then aborted and the caller rolls back."""
    pg = _psycopg()
    pq, pg_errors, OperationalError, auto = pg.pq, pg.errors, pg.OperationalError, pg.AUTO

    with driver.lock:
        pgconn = driver.pgconn
        session = _SESSIONS.get(driver)
        if session is None:
            session = _SESSIONS.setdefault(driver, _Session(driver))
        tx = session.transformer
        preparing: list[tuple[tuple[bytes, tuple[int, ...]], bytes] | None] = []   # per result expected
        encoding = driver.info.encoding
        receivers: list[Callable[[list[Any]], None] | None] = []   # per statement sent (None: no rows wanted)
        begin = not driver.autocommit and pgconn.transaction_status == pq.TransactionStatus.IDLE
        prepare = driver.prepare_threshold is not None   # None: the operator turned preparing off (PgBouncer)
        error: Exception | None = None
        pgconn.enter_pipeline_mode()
        try:
            if begin:   # as psycopg sends it before a transaction's first statement
                pgconn.send_query_params(b"BEGIN", None)
                receivers.append(None)
                preparing.append(None)
            sent: dict[tuple[bytes, tuple[int, ...]], bytes] = {}   # prepared in this pipeline
            for sql, args, receive in pending:
                query, names = _converted(sql, encoding)
                values = [args[name] for name in names] if isinstance(args, dict) else list(args)
                params = tx.dump_sequence(values, [auto] * len(values))
                types = tuple(tx.types or ())
                key = (query, types)
                name = session.prepared.get(key) or sent.get(key)
                if name is None and prepare and len(session.prepared) + len(sent) < _MAX_PREPARED:
                    session.names += 1
                    name = sent[key] = f"amtsflow_{session.names}".encode()
                    pgconn.send_prepare(name, query, list(types))
                    receivers.append(None)
                    preparing.append((key, name))
                if name is not None:
                    pgconn.send_query_prepared(name, params, list(tx.formats or []))
                else:
                    pgconn.send_query_params(query, params, list(types), list(tx.formats or []))
                receivers.append(receive)
                preparing.append(None)
            if commit:
                pgconn.send_query_params(b"COMMIT", None)
                receivers.append(None)
                preparing.append(None)
            pipeline_sync(pgconn)   # without the GIL: engine/persistence/libpq_sync.py
            _flush(pgconn)
            for receive, prepared in zip(receivers, preparing):
                results = _results(pgconn)
                if not results:
                    raise OperationalError(f"no result from the server: {pgconn.get_error_message(encoding)}")
                result = results[-1]
                if result.status == pq.ExecStatus.FATAL_ERROR:
                    error = error or pg_errors.error_from_result(result, encoding=encoding)
                    if isinstance(error, pg_errors.InvalidSqlStatementName):   # deallocated behind our back
                        session.prepared.clear()
                elif prepared is not None and result.status == pq.ExecStatus.COMMAND_OK:
                    session.prepared[prepared[0]] = prepared[1]
                else:
                    if isinstance(receive, _Outcome):
                        receive.rowcount = result.command_tuples if result.command_tuples is not None else -1
                    if receive is not None and result.status == pq.ExecStatus.TUPLES_OK:
                        tx.set_pgresult(result)
                        receive(tx.load_rows(0, result.ntuples, tuple))
            while True:   # up to the pipeline's Sync
                result = _next_result(pgconn)
                if result is not None and result.status == pq.ExecStatus.PIPELINE_SYNC:
                    break
        finally:
            if pgconn.pipeline_status != pq.PipelineStatus.OFF:
                try:
                    pgconn.exit_pipeline_mode()
                except Exception:  # noqa: BLE001 - a broken connection: the pool discards it
                    pass
        if error is not None:
            raise error


class _Outcome:
    """A single statement's result as FastStatement._execute's callers read it (a DB-API
    cursor's rowcount, fetchall and fetchone)."""

    rowcount = -1

    def __init__(self) -> None:
        self.rows: list[Any] = []

    def __call__(self, rows: list[Any]) -> None:
        self.rows = rows

    def fetchall(self) -> list[Any]:
        return self.rows

    def fetchone(self) -> Any:
        return self.rows[0] if self.rows else None


WAIT_SLICE_MS = 1000   # poll() waits at most this long at a time, then checks the connection again


def _flush(pgconn: Any) -> None:
    """Send what libpq holds, reading the server's results meanwhile: a large pipeline would
    otherwise fill both sockets' buffers (the server blocked writing results nobody reads,
    the client blocked writing statements the server no longer reads) and wait forever."""
    while pgconn.flush():
        if _wait(pgconn, select.POLLIN | select.POLLOUT) & select.POLLIN:
            pgconn.consume_input()   # into libpq's buffer: read by _next_result afterwards


def _wait(pgconn: Any, events: int) -> int:
    """Wait in poll() (without the GIL) until the socket is ready for ``events``: in slices of
    WAIT_SLICE_MS, after each the connection's state is checked (a lock wait on the server may
    last long, a broken connection must not). An error or hang-up on the socket is returned as
    ready: libpq's next call reports it."""
    poller = select.poll()
    poller.register(pgconn.socket, events | select.POLLERR | select.POLLHUP)
    while True:
        ready = poller.poll(WAIT_SLICE_MS)
        if ready:
            revents = ready[0][1]
            return int(revents | events) if revents & (select.POLLERR | select.POLLHUP) else int(revents)
        pg = _psycopg()
        if pgconn.status == pg.pq.ConnStatus.BAD:
            raise pg.OperationalError("the connection to the server broke during a pipeline")


def _next_result(pgconn: Any) -> Any:
    """libpq's next result (None between the results of two statements), waiting in poll()."""
    while pgconn.is_busy():
        _wait(pgconn, select.POLLIN)
        pgconn.consume_input()
    return pgconn.get_result()


def _results(pgconn: Any) -> list[Any]:
    """The results of the pipeline's next statement (up to the None that ends them)."""
    results = []
    while (result := _next_result(pgconn)) is not None:
        results.append(result)
    return results


def discard_deferred(conn: Connection) -> None:
    """The transaction ends without a commit: writes not sent are dropped with it."""
    conn.info.pop(DEFERRED, None)


def _dialect_key(dialect: Any) -> str:
    """Plans and readers are per dialect and driver (psycopg 2 and 3 place parameters alike but
    convert values differently)."""
    return f"{dialect.name}+{dialect.driver}"


__all__ = ["DEFERRED", "DeferredRows", "FastStatement", "defer_sql", "discard_deferred", "flush_deferred"]
