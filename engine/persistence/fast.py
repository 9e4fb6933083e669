"""Hot statements compiled once and run on the driver's cursor.

Every case command writes the same handful of rows (case, audit event, work items, jobs). On
SQLite, running such a statement takes a few microseconds, while SQLAlchemy's per-execution
machinery (execution context, parameter processing, result setup, events) takes 30-50. For
these statements only, :class:`FastStatement` lets SQLAlchemy compile the statement once per
dialect, with its own type conversions (bind processors: JSON, UTC timestamps, booleans), and
then hands the SQL and converted parameters straight to the DB-API cursor of the connection's
current transaction. Driver errors are re-raised as SQLAlchemy's exceptions, exactly as
:meth:`Connection.execute` would raise them, so callers cannot tell the difference.

Only for statements that return no rows (INSERT/UPDATE/DELETE); the result is the row count.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ClauseElement


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple[str, ...]                              # parameter names in placeholder order
    processors: dict[str, Callable[[Any], Any]]         # parameter name -> bind processor
    positional: bool


class FastStatement:
    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, frozenset[str]], _Plan] = {}
        self._lock = threading.Lock()

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Execute with ``params`` in ``conn``'s transaction; returns the affected row count."""
        dialect = conn.dialect
        key = (dialect.name, frozenset(params))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plan(conn, params)
            with self._lock:
                self._plans[key] = plan
        args: Any
        if plan.positional:
            args = tuple(_convert(plan, name, params[name]) for name in plan.names)
        else:
            args = {name: _convert(plan, name, params[name]) for name in plan.names}
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(plan.sql, args)
            return int(cursor.rowcount)
        except dialect.loaded_dbapi.Error as error:
            raise sa_exc.DBAPIError.instance(plan.sql, args, error, dialect.loaded_dbapi.Error,
                                             dialect=dialect) from error
        finally:
            cursor.close()

    def _plan(self, conn: Connection, params: Mapping[str, Any]) -> _Plan:
        dialect = conn.dialect
        compiled = self.statement.compile(dialect=dialect, column_keys=list(params))
        names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
        processors = {}
        for name in names:
            if name not in params:  # no column defaults here: every value must be given
                raise KeyError(f"parameter '{name}' missing for {compiled.string!r}")
            processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        return _Plan(compiled.string, names, processors, bool(compiled.positional))


def _convert(plan: _Plan, name: str, value: Any) -> Any:
    processor = plan.processors.get(name)  # applied to None too, as SQLAlchemy does (JSON null)
    return processor(value) if processor is not None else value


__all__ = ["FastStatement"]
