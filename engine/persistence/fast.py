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
It reads the compiler's bind names, placeholder order and default columns (attributes of the
pinned SQLAlchemy 2.0); tests/integration/test_fast_statement.py checks that the rows written
are identical to those of Connection.execute on SQLite and PostgreSQL, and
tests/integration/test_fast_statement_equivalence.py checks every FastStatement the engine
defines against Connection.execute while a workload runs. Re-run both after upgrading
SQLAlchemy, psycopg or SQLite (README, "Upgrading").
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable, Mapping

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import Insert

from engine.persistence import scoping
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
        flush_deferred(conn)  # what was deferred in this transaction goes first
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


class DeferredRows:
    """The rows of :meth:`FastStatement.all_deferred`, there once the statement was sent."""

    rows: list[SimpleNamespace] | None = None


DEFERRED = "amtsflow_deferred_writes"   # key in Connection.info: [(sql, args, receive rows | None), ...] not yet sent


def flush_deferred(conn: Connection, *, commit: bool = False) -> None:
    """Send the writes :meth:`FastStatement.defer` held back, all in one round trip (psycopg's
    pipeline mode); with ``commit`` the COMMIT goes in the same round trip (and is issued even
    when nothing was deferred). An error of any of them is raised as SQLAlchemy raises it from
    execute(), and the transaction is then aborted: the caller rolls back."""
    pending = conn.info.pop(DEFERRED, None) if DEFERRED in conn.info else None
    if not pending:
        if commit:
            conn.commit()
        return
    driver: Any = conn.connection.driver_connection
    dialect = conn.dialect
    cursor = driver.cursor()
    reading: list[tuple[Any, Callable[[list[Any]], None]]] = []   # a cursor of its own per statement read
    try:
        with driver.pipeline():   # leaving it sends one Sync and reads every result: one round trip
            for sql, args, receive in pending:
                if receive is None:
                    cursor.execute(sql, args)
                else:
                    reading.append((driver.cursor(), receive))
                    reading[-1][0].execute(sql, args)
            if commit:  # in the same round trip; after an error the server skips it (the caller rolls back)
                cursor.execute("COMMIT")
        for own, receive in reading:
            receive(own.fetchall())
        if commit:
            conn.commit()  # SQLAlchemy's bookkeeping; the driver sees the transaction ended and sends nothing
    except dialect.loaded_dbapi.Error as error:
        raise sa_exc.DBAPIError.instance(pending[0][0] if len(pending) == 1 else f"({len(pending)} deferred writes)",
                                         None, error, dialect.loaded_dbapi.Error, dialect=dialect) from error
    finally:
        cursor.close()
        for own, _receive in reading:
            own.close()


def discard_deferred(conn: Connection) -> None:
    """The transaction ends without a commit: writes not sent are dropped with it."""
    conn.info.pop(DEFERRED, None)


def _dialect_key(dialect: Any) -> str:
    """Plans and readers are per dialect and driver (psycopg 2 and 3 place parameters alike but
    convert values differently)."""
    return f"{dialect.name}+{dialect.driver}"


__all__ = ["DEFERRED", "DeferredRows", "FastStatement", "discard_deferred", "flush_deferred"]
