"""Open cases for Camunda's ``GET /process-instance``: filtered (including Camunda's variable
filters ``name_operator_value`` on the case data), sorted and paged in SQL.

A variable filter compares by the type its value text reads as: a number (``betrag_gt_100``)
matches numeric variables, ``true``/``false`` boolean ones, anything else text variables
(``like`` with SQL's ``%``). A variable of another type, or missing, does not match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, select

from engine.bootstrap import Engine
from engine.domain.errors import InvalidState
from engine.persistence import tables as t

OPERATORS = ("eq", "neq", "gt", "gteq", "lt", "lteq", "like")
NAME = re.compile(r"[A-Za-z0-9.\-]{1,200}")
OPEN = ("running", "waiting", "failed")


@dataclass(frozen=True)
class VariableFilter:
    name: str
    operator: str
    value: str


@dataclass(frozen=True)
class InstanceQuery:
    process_key: str | None = None
    definition_id: str | None = None
    business_key: str | None = None
    case_ids: list[str] | None = None
    started_by: str | None = None
    variables: list[VariableFilter] = field(default_factory=list)


def parse_variables(text: str) -> list[VariableFilter]:
    """Camunda's ``variables`` parameter: comma-separated ``name_operator_value``."""
    found = []
    for expression in (e for e in text.split(",") if e):
        parts = expression.split("_")
        if len(parts) != 3:
            raise InvalidState("variable query parameter has to have format KEY_OPERATOR_VALUE")
        name, operator, value = parts
        if operator not in OPERATORS:
            raise InvalidState(f"Invalid variable comparator specified: {operator}")
        if not NAME.fullmatch(name):
            raise InvalidState(f"Invalid variable name: {name}")
        found.append(VariableFilter(name, operator, value))
    return found


def _compare(left: Any, operator: str, right: Any) -> ColumnElement[bool]:
    result: ColumnElement[bool] = {
        "eq": lambda: left == right, "neq": lambda: left != right, "gt": lambda: left > right,
        "gteq": lambda: left >= right, "lt": lambda: left < right, "lteq": lambda: left <= right,
        "like": lambda: left.like(right)}[operator]()
    return result


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _variable(dialect: str, f: VariableFilter) -> ColumnElement[bool]:
    data = t.cases.c.data
    number_kinds: tuple[str, ...]
    if dialect == "postgresql":
        kind: Any = func.json_typeof(data[f.name])
        text: Any = data[f.name].as_string()
        number_kinds, text_kind = ("number",), "string"
    else:
        path = f'$."{f.name}"'
        kind, text = func.json_type(data, path), func.json_extract(data, path)
        number_kinds, text_kind = ("integer", "real"), "text"
    number = _number(f.value)
    if number is not None and f.operator != "like":
        return _compare(case((kind.in_(number_kinds), cast(text, Float))), f.operator, number)
    if f.value in ("true", "false") and f.operator in ("eq", "neq"):
        if dialect == "postgresql":
            return and_(kind == "boolean", _compare(text, f.operator, f.value))
        return and_(kind.in_(("true", "false")), _compare(kind, f.operator, f.value))
    return and_(kind == text_kind, _compare(text, f.operator, f.value))


def _conditions(engine: Engine, q: InstanceQuery) -> list[ColumnElement[bool]]:
    c = t.cases
    found: list[ColumnElement[bool]] = [c.c.status.in_(OPEN)]
    if q.process_key is not None:
        found.append(c.c.process_key == q.process_key)
    if q.definition_id is not None:
        found.append(c.c.definition_id == q.definition_id)
    if q.business_key is not None:
        found.append(c.c.business_key == q.business_key)
    if q.case_ids is not None:
        found.append(c.c.id.in_(q.case_ids))
    if q.started_by is not None:
        found.append(c.c.started_by == q.started_by)
    found += [_variable(engine.db.dialect.name, f) for f in q.variables]
    return found


def list_open_cases(engine: Engine, q: InstanceQuery, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
    c = t.cases
    query = (select(c.c.id, c.c.definition_id, c.c.business_key, c.c.status, c.c.suspended)
             .where(*_conditions(engine, q)).order_by(c.c.started_at.desc(), c.c.id).limit(limit).offset(offset))
    with engine.db.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def count_open_cases(engine: Engine, q: InstanceQuery) -> int:
    query = select(func.count()).select_from(t.cases).where(*_conditions(engine, q))
    with engine.db.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


__all__ = ["InstanceQuery", "VariableFilter", "count_open_cases", "list_open_cases", "parse_variables"]
