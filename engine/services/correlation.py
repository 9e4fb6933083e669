"""Which message subscriptions a correlation reaches: by name and key in the subscription
projection, then by what else the message names (a case, a subscription, case variables,
the local variables of the waiting activity instance), as Camunda 7's correlation builder
narrows its executions. Used by :mod:`engine.services.messages`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.bootstrap import Engine
from engine.domain.errors import AmbiguousCorrelation
from engine.persistence import tables as t

__all__ = ["NAMED_CASES", "Address", "matches", "refuse_ambiguous", "subscribed"]


@dataclass(frozen=True)
class Address:
    """What a correlation names: the message, its key, and optionally the case, local
    variables of the waiting activity instance, case variables, or any key."""

    name: str
    key: str | None
    to_case: str | None = None
    local_variables: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    any_key: bool = False
    to_wait: str | None = None

    @property
    def names_receiver(self) -> bool:
        """Whether the address narrows beyond name, key and case: then it is never buffered."""
        return bool(self.local_variables or self.variables or self.to_wait)


NAMED_CASES = 10     # an ambiguous message names at most this many of the cases it matches


def subscribed(conn: Connection, address: Address, limit: int | None) -> list[tuple[str, str]]:
    """(case id, wait id) of the message subscriptions matching name, key and case."""
    s = t.subscriptions
    cond = s.c.kind == "message"
    cond &= s.c.name == address.name
    if not address.any_key:
        cond &= s.c.correlation_key == address.key if address.key is not None else s.c.correlation_key.is_(None)
    if address.to_case is not None:
        cond &= s.c.case_id == address.to_case
    if address.to_wait is not None:
        cond &= s.c.task_id == address.to_wait
    query = select(s.c.case_id, s.c.task_id).where(cond).order_by(s.c.case_id, s.c.task_id)
    if limit is not None:
        query = query.limit(limit)
    return [(row.case_id, row.task_id) for row in conn.execute(query)]


def matches(engine: Engine, address: Address, limit: int | None = None) -> list[tuple[str, str]]:
    """The subscriptions (case id, wait id) the message reaches: by name, key and case in the
    subscription projection; then by case variables (the stored case data); then by the local
    variables of each waiting activity instance (read from the case's stored state)."""
    with engine.db.connect() as conn:
        found = subscribed(conn, address, None if address.names_receiver else limit)
        if address.variables and found:
            found = _with_case_variables(conn, found, address.variables)
        if address.local_variables and found:
            found = _with_local_variables(engine, conn, found, address)
    return found[:limit] if limit is not None else found


def _with_case_variables(conn: Connection, found: list[tuple[str, str]],
                         variables: dict[str, Any]) -> list[tuple[str, str]]:
    case_ids = sorted({case_id for case_id, _ in found})
    matching: set[str] = set()
    for chunk in range(0, len(case_ids), 500):
        for row in conn.execute(select(t.cases.c.id, t.cases.c.data).where(t.cases.c.id.in_(case_ids[chunk:chunk + 500]))):
            data = row.data or {}
            if all(name in data and data[name] == value for name, value in variables.items()):
                matching.add(row.id)
    return [(case_id, wait) for case_id, wait in found if case_id in matching]


def _with_local_variables(engine: Engine, conn: Connection, found: list[tuple[str, str]],
                          address: Address) -> list[tuple[str, str]]:
    kept: list[tuple[str, str]] = []
    for case_id in sorted({case_id for case_id, _ in found}):
        row = conn.execute(select(t.cases.c.definition_id, t.cases.c.variant_id, t.cases.c.bound_definitions,
                                  t.cases.c.state, t.cases.c.serializer_version)
                           .where(t.cases.c.id == case_id)).first()
        if row is None:
            continue
        parsed = engine.definitions.for_case(row.definition_id, conn, row.variant_id, row.bound_definitions)
        wf = engine.serializer.loads(row.state, parsed, engine.script_engine, row.serializer_version)
        local = set(engine.runner.message_targets(wf, address.name, address.local_variables))
        kept.extend((c, wait) for c, wait in found if c == case_id and wait in local)
    return kept


def refuse_ambiguous(engine: Engine, address: Address, found: list[tuple[str, str]]) -> None:
    """A message that matches several subscriptions is delivered to none: which one would be
    chance, and the others would lose it (Camunda: MismatchingMessageCorrelationException)."""
    case_ids = sorted({case_id for case_id, _ in found})[:NAMED_CASES]
    with engine.db.connect() as conn:
        keys: dict[str, str | None] = {row.id: row.business_key for row in conn.execute(
            select(t.cases.c.id, t.cases.c.business_key).where(t.cases.c.id.in_(case_ids)))}
    raise AmbiguousCorrelation(address.name, address.key, [(case_id, keys.get(case_id)) for case_id in case_ids],
                               waits=len(found) if len(case_ids) == 1 else 0)
