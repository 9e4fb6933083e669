"""Messages and signals: correlation by name + key, buffering with a TTL, idempotent by id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from engine.bootstrap import Engine
from engine.domain.errors import AmbiguousCorrelation, InvalidState
from engine.persistence import tables as t
from engine.persistence.db import unit_of_work
from engine.services import inbound
from engine.services.cases import start_case
from engine.services.commands import Command, run_case_command
from engine.services.documents import Upload


@dataclass
class MessageOutcome:
    status: str                  # delivered, started, buffered, duplicate, ignored, unmatched
    case_id: str | None = None


def _previous(engine: Engine, message_id: str | None) -> MessageOutcome | None:
    if not message_id:
        return None
    with engine.db.connect() as conn:
        row = conn.execute(select(t.messages).where(t.messages.c.message_id == message_id)).first()
    return MessageOutcome("duplicate", row.delivered_case_id) if row is not None else None


def correlate_message(engine: Engine, name: str, key: str | None = None, data: dict[str, Any] | None = None, *,
                      message_id: str | None = None, actor: str = "system",
                      only_if_waiting: bool = False, outside: bool = True,
                      to_case: str | None = None, key_names_new_case: bool = True,
                      buffer: bool = True) -> MessageOutcome:
    """Route a message to the case waiting for (name, key); else start a case whose start
    event catches it; else buffer it until a case waits for it or its TTL runs out. With
    ``only_if_waiting`` a message nobody waits for is dropped (status "ignored"). A sender that
    knows the case (the portal's retrieval of its decision, a payment naming our case) passes
    ``to_case``: no other case with the same key can take the message then. A case the message
    starts gets its key as business key only if ``key_names_new_case`` (the sender may choose
    business keys); else the engine assigns one. Without ``buffer`` (Camunda's semantics, which
    has no buffer) a message that no case waits for and no process starts on is not kept
    (status "unmatched"): the sender hears so and may send it again. Data from
    outside is checked against the input limits; a model's own thrown message (``outside=False``)
    only for storable names."""
    payload = dict(data or {})
    inbound.check_message(name, key, message_id, payload if outside else {})
    previous = _previous(engine, message_id)
    if previous is not None:
        return previous
    if only_if_waiting and not _someone_waits(engine, name, key, to_case):
        return MessageOutcome("ignored")
    try:
        return _route(engine, name, key, payload, message_id, actor, to_case, key_names_new_case, buffer)
    except IntegrityError:  # the same message id committed concurrently
        return _previous(engine, message_id) or MessageOutcome("duplicate")


def start_case_once(engine: Engine, key: str, data: dict[str, Any], *, message_id: str,
                    business_key: str | None = None, actor: str = "system", name: str = "case_start",
                    uploads: Sequence[Upload] = ()) -> MessageOutcome:
    """Start a case of process ``key`` exactly once per ``message_id`` (e.g. an online
    application delivered twice): the id is recorded in the start's own transaction, so a
    second delivery, even a concurrent one, answers ``duplicate`` with the first case."""
    previous = _previous(engine, message_id)
    if previous is not None:
        return previous
    record: dict[str, Any] = {"id": str(uuid.uuid4()), "message_id": message_id, "name": name,
                              "correlation_key": business_key, "payload": {}, "received_at": engine.clock.now()}
    try:
        case_id = start_case(engine, key, data, business_key=business_key, actor=actor, message_record=record,
                             uploads=uploads)
    except IntegrityError:
        return _previous(engine, message_id) or MessageOutcome("duplicate")
    return MessageOutcome("started", case_id)


def reserved_message_names(engine: Engine) -> list[str]:
    """The messages deployed processes reserve for systems (service.toml
    ``nachrichten_nur_systeme``). Every version counts: its cases may still be running."""
    d = t.process_definitions
    with engine.db.connect() as conn:
        rows = conn.execute(select(d.c.system_messages).where(d.c.system_messages.is_not(None))).scalars()
        return sorted({str(name) for names in rows for name in (names or [])})


def reserved_for_systems(engine: Engine, name: str) -> bool:
    return name in reserved_message_names(engine)


def _someone_waits(engine: Engine, name: str, key: str | None, to_case: str | None) -> bool:
    s = t.subscriptions
    cond = s.c.correlation_key == key if key is not None else s.c.correlation_key.is_(None)
    if to_case is not None:
        cond = cond & (s.c.case_id == to_case)
    with engine.db.connect() as conn:
        return conn.execute(select(s.c.id).where(s.c.kind == "message", s.c.name == name, cond).limit(1)).first() \
            is not None


NAMED_CASES = 10     # an ambiguous message names at most this many of the cases it matches
MAX_ALL = 1000       # a message correlated to all waiting cases reaches at most this many at once


def waiting_cases(engine: Engine, name: str, key: str | None) -> list[str]:
    """Every case waiting for message ``name`` with correlation ``key`` (at most MAX_ALL)."""
    s = t.subscriptions
    cond = s.c.correlation_key == key if key is not None else s.c.correlation_key.is_(None)
    with engine.db.connect() as conn:
        return list(conn.execute(select(s.c.case_id).where(s.c.kind == "message", s.c.name == name, cond)
                                 .distinct().order_by(s.c.case_id).limit(MAX_ALL)).scalars())


def waiting_case(conn: Connection, name: str, key: str | None, to_case: str | None = None) -> str | None:
    """The one case waiting for message ``name`` with correlation ``key`` (among ``to_case``
    only, if given), or None. A message that matches waits of several cases is refused
    (AmbiguousCorrelation names them), never handed to one of them: which one would be chance,
    and the others would lose it."""
    s = t.subscriptions
    cond = s.c.correlation_key == key if key is not None else s.c.correlation_key.is_(None)
    if to_case is not None:
        cond = cond & (s.c.case_id == to_case)
    case_ids = list(conn.execute(select(s.c.case_id).where(s.c.kind == "message", s.c.name == name, cond)
                                 .distinct().order_by(s.c.case_id).limit(NAMED_CASES)).scalars())
    if len(case_ids) <= 1:
        return case_ids[0] if case_ids else None
    keys: dict[str, str | None] = {row.id: row.business_key for row in conn.execute(
        select(t.cases.c.id, t.cases.c.business_key).where(t.cases.c.id.in_(case_ids)))}
    raise AmbiguousCorrelation(name, key, [(case_id, keys.get(case_id)) for case_id in case_ids])


def _route(engine: Engine, name: str, key: str | None, payload: dict[str, Any], message_id: str | None,
           actor: str, to_case: str | None = None, key_names_new_case: bool = True,
           buffer: bool = True) -> MessageOutcome:
    with engine.db.connect() as conn:
        waiting = waiting_case(conn, name, key, to_case)
    now = engine.clock.now()
    record = {"id": str(uuid.uuid4()), "message_id": message_id, "name": name, "correlation_key": key,
              "payload": payload, "received_at": now}
    if waiting is not None:
        def deliver(cmd: Command) -> None:
            waits = cmd.engine.runner.waiting_for(cmd.wf, name)
            if waits > 1:  # e.g. parallel multi-instance receive tasks: which one would be chance
                raise AmbiguousCorrelation(name, key, [(cmd.case.id, cmd.case.business_key)], waits=waits)
            if not cmd.engine.runner.deliver(cmd.wf, name, payload):
                raise InvalidState(f"case {cmd.case.id} no longer waits for message '{name}'")
            cmd.uow.conn.execute(insert(t.messages).values(delivered_case_id=cmd.case.id, delivered_at=now, **record))
            cmd.audit_details.update({"message": name, "key": key, "message_id": message_id})

        run_case_command(engine, waiting, actor, "message_received", deliver)
        return MessageOutcome("delivered", waiting)
    if to_case is not None and not buffer:   # that case no longer waits: starting another is not asked for
        return MessageOutcome("unmatched")
    starter = _start_definition(engine, name)
    if starter is not None:
        case_id = start_case(engine, starter, {}, business_key=key if key_names_new_case else None, actor=actor,
                             message=(name, payload), message_record=record)
        return MessageOutcome("started", case_id)
    if not buffer:
        return MessageOutcome("unmatched")
    with unit_of_work(engine.db) as uow:
        uow.conn.execute(insert(t.messages).values(
            expires_at=now + timedelta(seconds=engine.settings.message_ttl_seconds), **record))
        uow.commit()
    return MessageOutcome("buffered")


def _start_definition(engine: Engine, name: str) -> str | None:
    found = _starters(engine, "messages", name)
    return found[0] if found else None


def _starters(engine: Engine, kind: str, name: str) -> list[str]:
    """Process keys whose latest version has a start event for message/signal ``name``."""
    d = t.process_definitions
    with engine.db.connect() as conn:
        rows = conn.execute(select(d.c.key, d.c.version, d.c.start_events).order_by(d.c.key, d.c.version.desc())).all()
    latest: dict[str, Any] = {}
    for row in rows:
        latest.setdefault(row.key, row)
    return [key for key, row in sorted(latest.items()) if name in (row.start_events or {}).get(kind, [])]


def deliver_buffered(engine: Engine, case_id: str, message_row: str) -> None:
    m = t.messages
    now = engine.clock.now()
    with engine.db.connect() as conn:
        row = conn.execute(select(m).where(m.c.id == message_row)).first()
    if row is None or row.delivered_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return

    def deliver(cmd: Command) -> None:
        if not cmd.engine.runner.deliver(cmd.wf, row.name, row.payload):
            raise InvalidState(f"case {case_id} no longer waits for message '{row.name}'")
        taken = cmd.uow.conn.execute(update(m).where(m.c.id == row.id, m.c.delivered_at.is_(None))
                                     .values(delivered_case_id=case_id, delivered_at=now))
        if taken.rowcount != 1:
            raise InvalidState(f"buffered message {row.id} was delivered elsewhere")
        cmd.audit_details.update({"message": row.name, "key": row.correlation_key, "buffered": True})

    run_case_command(engine, case_id, "system", "message_received", deliver)


def broadcast_signal(engine: Engine, name: str, data: dict[str, Any] | None = None, *, actor: str = "system",
                     signal_id: str | None = None, exclude_case: str | None = None, outside: bool = True) -> int:
    """Deliver signal ``name`` to every case waiting for it and start a case of every process
    (latest version) with a signal start event for it; returns how many cases got it.

    With ``signal_id`` (a thrown signal's job) every delivery and start is recorded under
    ``signal_id:case`` / ``signal_id:start:key`` in its own unit of work, so a retried
    broadcast reaches nobody twice. ``exclude_case`` (the thrower) caught it already. Data
    from outside is checked against the input limits (not a model's own, ``outside=False``)."""
    inbound.check_name(name, "name", where="signal")
    if outside:
        inbound.check_data(dict(data or {}), where=f"signal {name}")
    s = t.subscriptions
    with engine.db.connect() as conn:
        case_ids = sorted(set(conn.execute(select(s.c.case_id).where(s.c.kind == "signal", s.c.name == name)).scalars()))
    delivered = 0
    now = engine.clock.now()
    for case_id in case_ids:
        if case_id == exclude_case:
            continue
        record_id = f"{signal_id}:{case_id}" if signal_id else None
        if record_id and _previous(engine, record_id) is not None:
            continue

        def deliver(cmd: Command, record_id: str | None = record_id) -> bool:
            ok = cmd.engine.runner.deliver(cmd.wf, name, dict(data or {}), kind="signal")
            cmd.audit_details.update({"signal": name})
            if ok and record_id:
                cmd.uow.conn.execute(insert(t.messages).values(
                    id=str(uuid.uuid4()), message_id=record_id, name=name, correlation_key=None, payload={},
                    received_at=now, delivered_case_id=cmd.case.id, delivered_at=now))
            return ok

        try:
            delivered += int(run_case_command(engine, case_id, actor, "signal_received", deliver))
        except (InvalidState, IntegrityError):
            continue
    for key in _starters(engine, "signals", name):
        delivered += int(_signal_start(engine, key, name, dict(data or {}), actor,
                                       f"{signal_id}:start:{key}" if signal_id else None))
    return delivered


def _signal_start(engine: Engine, key: str, name: str, data: dict[str, Any], actor: str, record_id: str | None) -> bool:
    if record_id and _previous(engine, record_id) is not None:
        return False
    record: dict[str, Any] | None = ({"id": str(uuid.uuid4()), "message_id": record_id, "name": name, "correlation_key": None,
               "payload": {}, "received_at": engine.clock.now()} if record_id else None)
    try:
        start_case(engine, key, {}, actor=actor, signal=(name, data), message_record=record)
    except IntegrityError:
        return False
    return True


def purge_expired(engine: Engine) -> int:
    m = t.messages
    with unit_of_work(engine.db) as uow:
        result = uow.conn.execute(m.delete().where(m.c.delivered_at.is_(None), m.c.expires_at.is_not(None),
                                                   m.c.expires_at <= engine.clock.now()))
        uow.commit()
    return result.rowcount or 0


def deliver_thrown(engine: Engine, job: Any) -> str:
    """Run a ``throw`` job: correlate the message, or broadcast the signal. Returns the outcome."""
    payload = job.payload
    actor = f"case:{job.case_id}"
    if payload["kind"] == "message":
        outcome = correlate_message(engine, payload["name"], payload.get("key"), payload.get("data"),
                                    message_id=f"thrown:{job.id}", actor=actor, outside=False)
        return outcome.status
    delivered = broadcast_signal(engine, payload["name"], payload.get("data"), actor=actor,
                                 signal_id=f"thrown:{job.id}", exclude_case=job.case_id, outside=False)
    return f"signal delivered {delivered}"
