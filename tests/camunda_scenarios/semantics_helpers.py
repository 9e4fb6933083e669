"""Helpers for the ported Camunda tests on BPMN semantics.

Every case has a business key here (the engine assigns one), and a message without a key
reaches only cases without one. Camunda's ``correlateMessage(name)`` (no business key) goes
to the one execution waiting for that name; :func:`correlate` does the same by sending the
message with the correlation key of the one waiting subscription.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.persistence import tables as t


def correlate(scenario: Any, name: str, **kwargs: Any) -> Any:
    s = t.subscriptions
    with scenario.engine.db.connect() as conn:
        keys = set(conn.execute(select(s.c.correlation_key).where(s.c.kind == "message", s.c.name == name)).scalars())
    key = keys.pop() if len(keys) == 1 else None
    return scenario.message(name, key=key, **kwargs)
