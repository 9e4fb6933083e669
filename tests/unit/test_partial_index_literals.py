"""Hot statements name the value of a partial index's condition as a literal.

The engine's FastStatements are prepared on PostgreSQL (engine/persistence/fast.py). A prepared
statement that compares, say, ``work_items.state`` with a parameter cannot use the partial
indexes ``WHERE state = 'open'`` in a generic plan, so PostgreSQL keeps planning it anew on
every execution (a custom plan): on work_items, with its thirteen indexes, about 90 us of server
CPU per execution (bench/topology_breakdown.py's web + worker set-up ran two such reads per
case). With the literal the generic plan uses them, and is kept.
"""

from __future__ import annotations

import re

from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.dml import Insert

from engine.persistence.tables import metadata
from tests.fast_statements import module_level_statements


def _predicate_columns() -> set[str]:
    """"table.column" of every partial index condition of the form ``column = 'value'``."""
    columns = set()
    for table in metadata.tables.values():
        for index in table.indexes:
            where = index.dialect_options["postgresql"].get("where")
            match = re.fullmatch(r"\s*(\w+)\s*=\s*'[^']*'\s*", str(where)) if where is not None else None
            if match:
                columns.add(f"{table.name}.{match.group(1)}")
    return columns


def test_partial_index_conditions_are_literals_in_fast_statements() -> None:
    columns = _predicate_columns()
    assert {"work_items.state", "incidents.status"} <= columns
    bound = []
    for name, statement in module_level_statements().items():
        if isinstance(statement.statement, Insert):   # no conditions (compiled without values, it warns)
            continue
        sql = str(statement.statement.compile(dialect=postgresql.dialect()))
        for column in columns:
            if re.search(re.escape(column) + r"\s*(=|!=|<>|IN)\s*(\(\s*)?(%\(|__\[POSTCOMPILE)", sql):
                bound.append(f"{name}: {column} compared with a parameter")
    assert not bound, bound
