"""Messages and signals: correlation by name + key, buffering with a TTL, idempotent by id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.bootstrap import Engine
from engine.domain.errors import InvalidState, NoCorrelation
from engine.persistence import tables as t
from engine.services.job_rows import job_row
from engine.persistence.db import unit_of_work
from engine.services import inbound
from engine.services.correlation import NAMED_CASES, Address, matches, refuse_ambiguous
from engine.services.cases import start_case
from engine.services.commands import Command, run_case_command
from engine.services.documents import Upload


@dataclass
class MessageOutcome:
    status: str                  # delivered, started, buffered, duplicate, ignored, unmatched
    case_id: str | None = None
    case_ids: list[str] = field(default_factory=list)   # every case it reached (correlate-all: several)


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
                      local_variables: dict[str, Any] | None = None, variables: dict[str, Any] | None = None,
                      any_key: bool = False, to_all: bool = False, to_wait: str | None = None,
                      buffer: bool = True) -> MessageOutcome:
    """Route a message to the one subscription waiting for (name, key); else start a case
    whose start event catches it; else buffer it until a case waits for it or its TTL runs
    out. With ``only_if_waiting`` a message nobody waits for is dropped (status "ignored"). A
    sender that knows the case (the portal's retrieval of its decision, a payment naming our
    case) passes ``to_case``: no other case with the same key can take the message then. A
    case the message starts gets its key as business key only if ``key_names_new_case`` (the
    sender may choose business keys); else the engine assigns one. Data from outside is
    checked against the input limits; a model's own thrown message (``outside=False``) only
    for storable names.

    Every waiting activity instance is a subscription of its own (the instances of a parallel
    multi-instance activity too), as in Camunda 7. A correlation that matches several is
    refused (AmbiguousCorrelation, Camunda's MismatchingMessageCorrelationException);
    ``to_all`` (Camunda's correlateAll) delivers to every one instead. Beyond name and key a
    message can name its receiver as Camunda's correlation builder does: ``local_variables``
    (localVariableEquals: variables local to the waiting activity instance, e.g. a
    multi-instance element variable or loopCounter), ``variables`` (processInstanceVariableEquals:
    case variables) and ``any_key`` (no business key given: every key matches, Camunda's
    correlateMessage(name)); ``to_wait`` names one subscription by its wait id (as the
    subscription projection lists it; Camunda's messageEventReceived(name, executionId)). Such a
    message that matches nothing raises NoCorrelation: it is neither buffered nor starts a case.
    Without ``buffer`` (Camunda's semantics, which has no buffer) a message that nothing waits
    for and no process starts on is not kept (status "unmatched"): the sender hears so and may
    send it again; correlate-all that reaches nobody answers "unmatched" too."""
    payload = dict(data or {})
    inbound.check_message(name, key, message_id, payload if outside else {})
    previous = _previous(engine, message_id)
    if previous is not None:
        return previous
    address = Address(name, key, to_case, dict(local_variables or {}), dict(variables or {}), any_key, to_wait)
    if only_if_waiting and not matches(engine, address, limit=1):
        return MessageOutcome("ignored")
    try:
        if to_all:
            return _deliver_all(engine, address, payload, message_id, actor, key_names_new_case, buffer)
        return _route(engine, address, payload, message_id, actor, key_names_new_case, buffer)
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


def _deliver(engine: Engine, case_id: str, waits: list[str], address: Address, payload: dict[str, Any],
             record: dict[str, Any] | None, actor: str) -> int:
    """One unit of work on ``case_id``: the message reaches each subscription of ``waits``
    that still waits (in order); how many did. ``record`` is written if any did."""
    now = record["received_at"] if record is not None else None

    def deliver(cmd: Command) -> int:
        reached = 0
        for wait_id in waits:
            reached += int(cmd.engine.runner.deliver_message(cmd.wf, address.name, wait_id, payload))
        if not reached:
            raise InvalidState(f"case {cmd.case.id} no longer waits for message '{address.name}'")
        if record is not None:
            cmd.uow.conn.execute(insert(t.messages).values(delivered_case_id=cmd.case.id, delivered_at=now, **record))
        cmd.audit_details.update({"message": address.name, "key": address.key,
                                  "message_id": record.get("message_id") if record else None})
        if len(waits) > 1:
            cmd.audit_details["subscriptions"] = reached
        return reached

    return run_case_command(engine, case_id, actor, "message_received", deliver)


def _record(engine: Engine, address: Address, payload: dict[str, Any], message_id: str | None) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "message_id": message_id, "name": address.name,
            "correlation_key": address.key, "payload": payload, "received_at": engine.clock.now()}


def _route(engine: Engine, address: Address, payload: dict[str, Any], message_id: str | None,
           actor: str, key_names_new_case: bool = True, buffer: bool = True) -> MessageOutcome:
    found = matches(engine, address, limit=None if address.names_receiver else NAMED_CASES * 4)
    if len(found) > 1:
        refuse_ambiguous(engine, address, found)
    record = _record(engine, address, payload, message_id)
    if found:
        case_id, wait_id = found[0]
        _deliver(engine, case_id, [wait_id], address, payload, record, actor)
        return MessageOutcome("delivered", case_id, [case_id])
    return _not_waiting(engine, address, payload, record, actor, key_names_new_case, buffer)


def _not_waiting(engine: Engine, address: Address, payload: dict[str, Any], record: dict[str, Any], actor: str,
                 key_names_new_case: bool, buffer: bool) -> MessageOutcome:
    """Nobody waits: a message start event starts a case, else the message is buffered (or,
    without ``buffer``, not kept: "unmatched"); one that names its receiver beyond name, key
    and case matches nothing (NoCorrelation)."""
    if address.names_receiver:
        raise NoCorrelation(f"message '{address.name}' matches no waiting subscription "
                            f"(key {address.key!r}, case {address.to_case}, wait {address.to_wait}, local variables "
                            f"{sorted(address.local_variables)}, variables {sorted(address.variables)})")
    starter = _start_definition(engine, address.name)
    if starter is not None and address.to_case is None:
        key = address.key if key_names_new_case else None
        case_id = start_case(engine, starter, {}, business_key=key, actor=actor,
                             message=(address.name, payload), message_record=record)
        return MessageOutcome("started", case_id, [case_id])
    if not buffer:
        return MessageOutcome("unmatched")
    expires = record["received_at"] + timedelta(seconds=engine.settings.message_ttl_seconds)
    with unit_of_work(engine.db) as uow:
        uow.conn.execute(insert(t.messages).values(expires_at=expires, **record))
        # its time to live is a job (ARCHITECTURE: message TTLs are jobs): removed undelivered then
        uow.conn.execute(insert(t.jobs).values(job_row(engine, TTL_KIND, expires, {"message": record["id"]},
                                                       job_id=ttl_job_id(record["id"]),
                                                       created_at=record["received_at"])))
        uow.commit()
    return MessageOutcome("buffered")


TTL_KIND = "message_ttl"


def ttl_job_id(message_row: str) -> str:
    """The id of a buffered message's expiry job: one per message, removed with its delivery
    (migration 0035 computes the same for the messages buffered before it)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"amtsflow:message:{message_row}:ttl"))


def expire(engine: Engine, job: Any) -> bool:
    """Run a buffered message's expiry job: the message is removed, with its payload, unless a
    case took it meanwhile. True if it was removed."""
    m = t.messages
    with unit_of_work(engine.db) as uow:
        removed = uow.conn.execute(delete(m).where(m.c.id == job.payload["message"], m.c.delivered_at.is_(None)))
        uow.conn.execute(delete(t.jobs).where(t.jobs.c.id == job.id))
        uow.commit()
    return bool(removed.rowcount)


def _deliver_all(engine: Engine, address: Address, payload: dict[str, Any], message_id: str | None,
                 actor: str, key_names_new_case: bool, buffer: bool) -> MessageOutcome:
    """Camunda's correlateAll: every matching subscription gets the message, each case in its
    own unit of work (recorded per case under ``message_id:case``, so a retry skips the cases
    reached already)."""
    found = matches(engine, address)
    if not found:
        if address.names_receiver:
            return MessageOutcome("unmatched")
        return _not_waiting(engine, address, payload, _record(engine, address, payload, message_id), actor,
                            key_names_new_case, buffer)
    reached: list[str] = []
    by_case: dict[str, list[str]] = {}
    for case_id, wait_id in found:
        by_case.setdefault(case_id, []).append(wait_id)
    for case_id, waits in by_case.items():
        record_id = f"{message_id}:{case_id}" if message_id else None
        if record_id and _previous(engine, record_id) is not None:
            continue
        try:
            _deliver(engine, case_id, waits, address, payload,
                     _record(engine, address, payload, record_id), actor)
        except InvalidState:
            continue         # it stopped waiting meanwhile
        reached.append(case_id)
    return MessageOutcome("delivered" if reached else "ignored", reached[0] if reached else None, reached)


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


def deliver_buffered(engine: Engine, case_id: str, message_row: str, wait_id: str | None = None) -> None:
    """Deliver a message buffered before the case waited for it, to the subscription
    ``wait_id`` that the projection found for it (older jobs name none: the first one)."""
    m = t.messages
    now = engine.clock.now()
    with engine.db.connect() as conn:
        row = conn.execute(select(m).where(m.c.id == message_row)).first()
    if row is None or row.delivered_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return

    def deliver(cmd: Command) -> None:
        runner = cmd.engine.runner
        reached = (runner.deliver_message(cmd.wf, row.name, wait_id, row.payload) if wait_id is not None
                   else runner.deliver(cmd.wf, row.name, row.payload))
        if not reached:
            raise InvalidState(f"case {case_id} no longer waits for message '{row.name}'")
        taken = cmd.uow.conn.execute(update(m).where(m.c.id == row.id, m.c.delivered_at.is_(None))
                                     .values(delivered_case_id=case_id, delivered_at=now))
        if taken.rowcount != 1:
            raise InvalidState(f"buffered message {row.id} was delivered elsewhere")
        cmd.uow.conn.execute(delete(t.jobs).where(t.jobs.c.id == ttl_job_id(row.id)))   # it no longer expires
        cmd.audit_details.update({"message": row.name, "key": row.correlation_key, "buffered": True})

    run_case_command(engine, case_id, "system", "message_received", deliver)


def broadcast_signal(engine: Engine, name: str, data: dict[str, Any] | None = None, *, actor: str = "system",
                     signal_id: str | None = None, exclude_case: str | None = None, outside: bool = True,
                     only_case: str | None = None) -> int:
    """Deliver signal ``name`` to every case waiting for it and start a case of every process
    (latest version) with a signal start event for it; returns how many cases got it.

    With ``signal_id`` (a thrown signal's job) every delivery and start is recorded under
    ``signal_id:case`` / ``signal_id:start:key`` in its own unit of work, so a retried
    broadcast reaches nobody twice. ``exclude_case`` (the thrower) caught it already. Data
    from outside is checked against the input limits (not a model's own, ``outside=False``).
    ``only_case``: that case's waits only, no signal start (Camunda's ``executionId``)."""
    inbound.check_name(name, "name", where="signal")
    if outside:
        inbound.check_data(dict(data or {}), where=f"signal {name}")
    s = t.subscriptions
    with engine.db.connect() as conn:
        waiting = select(s.c.case_id).where(s.c.kind == "signal", s.c.name == name)
        if only_case is not None:
            waiting = waiting.where(s.c.case_id == only_case)
        case_ids = sorted(set(conn.execute(waiting).scalars()))
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
    for key in _starters(engine, "signals", name) if only_case is None else ():
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
