"""Starting a case: the steps of :func:`engine.services.cases.start_case`.

A new case is stepped up to its first waits outside the write transaction when it can be
(:func:`start_unlocked`), so that a model using up its whole command budget holds no lock that
other writers wait for (on SQLite, BEGIN IMMEDIATE takes the database's write lock).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from engine import logcontext
from engine.bootstrap import Engine
from engine.domain.errors import InvalidState, NotFound
from engine.persistence import tables as t
from engine.persistence.db import UnitOfWork, reading, unit_of_work
from engine.persistence.fast import FastStatement
from engine.runtime import camunda, conditions, initial_start
from engine.runtime.workflow import CONDITION_PREVIOUS, WorkflowRunner
from engine.tenancy import tenant_or_none
from engine.services import audit, business_keys, documents, variants
from engine.services.variants import Variant
from engine.services.submissions import Submission
from engine.services.commands import Command, reevaluate_conditions, save, step_workflow
from engine.services.called import CallResolver
from engine.runtime.call_activity import resolving

# The newest version of a process and, in the same statement, the stamp of the tenant's
# overrides of it (variants.cached_variant): a start of a process without overrides, or with
# unchanged ones, reads nothing else about its definition.
_LATEST_ID = FastStatement(select(t.process_definitions.c.id, t.process_definitions.c.version,
                                  t.process_definitions.c.business_key_format,
                                  *variants.overrides_stamp(t.process_definitions.c.key))
                           .where(t.process_definitions.c.key == bindparam("key"))
                           .order_by(t.process_definitions.c.version.desc()).limit(1))


OPTIMISTIC_STARTS = 3   # attempts to step a new case outside the write transaction


def start_unlocked(engine: Engine, case_id: str, key: str, data: dict[str, Any], business_key: str | None,
                   actor: str, version: int | None, message: tuple[str, dict[str, Any]] | None,
                   signal: tuple[str, dict[str, Any]] | None, timer_start: bool, definition_id: str | None,
                   message_record: dict[str, Any] | None, submission: Submission, *,
                   condition_start: str | None = None) -> bool:
    """Step the new case up to its first waits outside the write transaction (on SQLite, BEGIN
    IMMEDIATE takes the database's write lock), so that a model using up its whole budget holds
    up no other writer; then write it. The business key's number is read, not taken, before the
    step and taken with the case in the write transaction, so numbers stay gapless. When another
    start of the process took that number meanwhile, the case takes the next one in the write
    transaction if its step did not see its key (:func:`rekeyed`); otherwise False (the caller
    steps it anew).

    A process whose starts have not been seen reading their key (no ``businessKeyVariable``, no
    step of this engine that read the case facts) is stepped without one, and the key is taken
    in the write transaction at once (one upsert of the counter, no read before); a step that
    does read the facts marks its definition in ``engine.key_reading_starts`` and is stepped
    anew the other way (False)."""
    ticket: tuple[int, int] | None = None
    keyless = False
    chosen = business_key is not None
    remembered = remembered_definition(engine, key, data, submission) \
        if business_key is None and version is None and definition_id is None else None
    if remembered is not None:   # nothing to read before the step: checked in the write transaction
        definition, parsed, variant = remembered
        year = authority_year(engine)
        keyless, business_key = True, ""
    else:
        with reading(engine.db) as conn:  # reads only (SQLite: a deferred transaction, no lock)
            definition, parsed, variant = definition_to_start(engine, conn, key, data, version, definition_id,
                                                              submission)
            year = authority_year(engine)
            if business_key is not None:
                business_key = take_business_key(engine, conn, key, definition, business_key)
            elif definition.id not in engine.key_reading_starts and not business_key_variables(parsed.model, ""):
                keyless, business_key = True, ""   # the number is taken with the case (one statement)
            else:
                business_key, number, last = business_keys.peek(conn, key, definition.business_key_format, year)
                ticket = (number, last)
    resolver = CallResolver(engine, definition.id, tenant_or_none())   # no transaction: reads on its own
    with resolving(resolver):
        prepared = workflow_to_start(engine, case_id, key, definition, parsed, data, business_key, actor, message,
                                     signal, timer_start, variant, condition_start=condition_start)
        if conditions.before(prepared.wf, WorkflowRunner.snapshot) is not None:
            # the first step already tracks conditions: a scope it enters (an embedded sub-process) sees
            # its conditional events as it starts, before its first activity runs (as Camunda 7 does)
            setattr(prepared.wf, CONDITION_PREVIOUS, {})
        prepared.step_error = step_workflow(engine, prepared.wf, prepared.details)
        if prepared.step_error is None:   # the start variables are new variables (conditional events)
            prepared.step_error = reevaluate_conditions(engine, prepared.wf, {}, prepared.details, entering=True)
    prepared.bound_variants = resolver.pending   # stored with the case (their ids are in its state)
    prepared.stepped = True
    if keyless and getattr(prepared.wf, "case_facts_read", False):
        engine.key_reading_starts.add(definition.id)   # its starts read the key: from now on before the step
        return False
    try:
        with unit_of_work(engine.db) as own:
            if keyless:
                # a remembered definition is checked in the key's round trip (FastStatement sends
                # the deferred read with its own statement)
                latest = _LATEST_ID.all_deferred(own.conn, {"key": key, "tenant": tenant_or_none()}) \
                    if remembered is not None else None
                business_key = rekeyed(engine, own.conn, case_id, prepared, year)
                assert business_key is not None      # the step read no case facts (checked above)
                if latest is not None and _stamp(latest.rows[0] if latest.rows else None) != _stamp(definition):
                    # another version or other overrides since: forgotten, stepped anew on the current ones
                    engine.start_definitions.pop((tenant_or_none(), key), None)
                    return False
            elif ticket is not None and not business_keys.claim(own.conn, key, definition.business_key_format,
                                                                year, *ticket):
                business_key = rekeyed(engine, own.conn, case_id, prepared, year)
                if business_key is None:
                    return False
            # the case row goes to the server with the commit (on PostgreSQL one round trip less)
            store_start(engine, own, case_id, prepared, business_key, actor, message_record, submission.uploads,
                        defer_row=True)
            if not own.committed:
                own.commit()
    except IntegrityError:
        # The unique index refused the key: a case committed since the key was checked has it.
        # A chosen key is refused; an assigned one was chosen by a system meanwhile: step anew,
        # the next number is checked against that case.
        if not _taken(engine, key, business_key):
            raise
        if chosen:
            raise business_keys.refuse_taken(key, business_key or "") from None
        return False
    return True


MAX_REMEMBERED_DEFINITIONS = 1024


def remembered_definition(engine: Engine, key: str, data: dict[str, Any],
                          submission: Submission) -> tuple[Any, Any, Variant | None] | None:
    """What :func:`definition_to_start` gave the tenant's last start of the newest version of
    ``key`` (``data`` checked as ``submission``'s), when a start of it needs nothing else read
    before its step (no business key read: see :func:`start_unlocked`); else None. The start
    checks in its write transaction, with the statement that takes its business key, that this
    is still the newest version with the same overrides stamp, and is stepped anew otherwise,
    so a deployment or an override change of another process is seen by the next start, as
    when every start read the definition first."""
    found = engine.start_definitions.get((tenant_or_none(), key))
    if found is None:
        return None
    definition, variant = found
    if definition.id in engine.key_reading_starts:
        return None
    parsed = engine.definitions.get(definition.id, None, variant.id if variant else None,
                                    variant.files if variant else None)
    if business_key_variables(parsed.model, ""):
        return None
    submission.check_start(parsed.model, data, where=f"{key} start form")
    return definition, parsed, variant


def _remember(engine: Engine, key: str, definition: Any, variant: Variant | None) -> None:
    cache = engine.start_definitions
    if len(cache) >= MAX_REMEMBERED_DEFINITIONS:
        cache.clear()
    cache[(tenant_or_none(), key)] = (definition, variant)


def _stamp(row: Any) -> tuple[Any, ...] | None:
    """What :data:`_LATEST_ID` read: the newest version and its overrides stamp."""
    if row is None:
        return None
    return (row.id, row.version, row.business_key_format, row.override_rows, row.last_override)


def _taken(engine: Engine, key: str, business_key: str | None) -> bool:
    with reading(engine.db) as conn:
        return business_key is not None and business_keys.taken(conn, key, business_key)


def _refuse_if_taken(engine: Engine, key: str, business_key: str | None) -> None:
    """After the unique index refused a case's business key: the Conflict to raise (not a
    database error) when a case has that key now."""
    if business_key is not None and _taken(engine, key, business_key):
        raise business_keys.refuse_taken(key, business_key) from None


def rekeyed(engine: Engine, conn: Any, case_id: str, prepared: "StartPlan", year: int) -> str | None:
    """Another start took the number read before the step: the next number, taken now in the
    write transaction (its counter row stays locked until the commit, so the numbers stay
    gapless), when nothing the step did depended on the key: no script, expression or listener
    read the case's facts (``execution``) and no start variable holds the key. None otherwise.
    A start that races saves its step this way instead of running it again."""
    if getattr(prepared.wf, "case_facts_read", False) or business_key_variables(prepared.parsed.model, ""):
        return None
    business_key = business_keys.assign(conn, prepared.key, prepared.definition.business_key_format, year)
    prepared.wf.case_ref = (case_id, business_key)
    prepared.details["business_key"] = business_key
    return business_key


@dataclass
class StartPlan:
    key: str
    definition: Any
    parsed: Any
    wf: Any
    details: dict[str, Any]
    stepped: bool = False
    step_error: str | None = None
    variant: Variant | None = None     # the tenant's overrides it runs with (None: the shared files)
    bound_variants: list[Variant] = field(default_factory=list)   # variants its first step's calls bound


def definition_to_start(engine: Engine, conn: Any, key: str, data: dict[str, Any], version: int | None,
                        definition_id: str | None, submission: Submission) -> tuple[Any, Any, Variant | None]:
    """The definition row, the current tenant's variant of it (its overrides in place; None: the
    definition's own files) and the parsed process to start, ``data`` checked as ``submission``'s."""
    definition: Any
    if definition_id is not None:
        definition = conn.execute(select(t.process_definitions).where(
            t.process_definitions.c.id == definition_id)).first()
    elif version is None:
        definition = _LATEST_ID.first(conn, {"key": key, "tenant": tenant_or_none()})
    else:
        definition = conn.execute(select(t.process_definitions).where(
            t.process_definitions.c.key == key, t.process_definitions.c.version == version)).first()
    if definition is None:
        raise NotFound(f"process '{key}' is not deployed", user_message="Diese Leistung ist nicht verfügbar.")
    if hasattr(definition, "override_rows"):     # read with its overrides' stamp
        variant = variants.cached_variant(engine, conn, definition.id, tenant_or_none(),
                                          (definition.override_rows, definition.last_override))
    else:
        variant = variants.variant_for(conn, definition.id, tenant_or_none())
    parsed = engine.definitions.get(definition.id, conn, variant.id if variant else None,
                                    variant.files if variant else None)
    if version is None and definition_id is None:
        _remember(engine, key, definition, variant)   # the newest version: the next start steps with it
    submission.check_start(parsed.model, data, where=f"{key} start form")
    return definition, parsed, variant


def authority_year(engine: Engine) -> int:
    """The year of the authority's calendar (Aktenzeichen count per year)."""
    return engine.clock.now().astimezone(ZoneInfo(engine.settings.timezone)).year


def take_business_key(engine: Engine, conn: Any, key: str, definition: Any, business_key: str | None) -> str:
    """A chosen key, refused when taken; or the next one in the process's format."""
    if business_key is None:
        return business_keys.assign(conn, key, definition.business_key_format, authority_year(engine))
    if business_keys.taken(conn, key, business_key):
        raise business_keys.refuse_taken(key, business_key)
    return business_key


def workflow_to_start(engine: Engine, case_id: str, key: str, definition: Any, parsed: Any, data: dict[str, Any],
                      business_key: str, actor: str, message: tuple[str, dict[str, Any]] | None,
                      signal: tuple[str, dict[str, Any]] | None, timer_start: bool,
                      variant: Variant | None = None, *, condition_start: str | None = None) -> StartPlan:
    """The new case's workflow with its start event fired (not yet stepped beyond it);
    ``condition_start``: the conditional start event whose condition held begins it."""
    data.update(camunda.start_variables(parsed.model, actor))  # camunda:initiator
    data.update(business_key_variables(parsed.model, business_key))
    wf = engine.runner.new(parsed, data)
    wf.case_ref = (case_id, business_key)  # execution.processInstanceId before the first save
    logcontext.bind_case(case_id)   # log lines and bean calls of the first step name the case
    wf.actor = actor
    # A case the scheduler starts is one firing of the start timer, which begins it alone. A case
    # a person or client starts begins at the none start event (Camunda's initial activity);
    # without one, a process whose start event is a timer starts there at once, as Camunda does.
    none_start = engine.runner.has_none_start(parsed)
    fire_timer = timer_start or (not none_start and bool(parsed.model.start_events()["timers"])
                                 and message is None and signal is None and condition_start is None)
    if (message is not None or signal is not None or fire_timer) and none_start:
        engine.runner.leave_none_starts(wf)
    if condition_start is not None:
        if not initial_start.enter_at(wf, condition_start):   # the other start events (none ones too) stay shut
            raise InvalidState(f"process '{key}' has no conditional start event '{condition_start}'")
    elif message is None and signal is None and not fire_timer and not none_start:
        initial_start.enter_initial(wf, parsed, key)   # a conditional start event is passed through
    if fire_timer and not engine.runner.fire_start_timer(wf):
        raise InvalidState(f"process '{key}' has no timer start event")
    for kind, event in (("message", message), ("signal", signal)):
        if event is not None:
            engine.runner.step(wf)
            if not engine.runner.deliver(wf, event[0], event[1], kind=kind):
                raise InvalidState(f"process '{key}' has no start event for {kind} '{event[0]}'")
    details: dict[str, Any] = {"process": key, "version": definition.version, "business_key": business_key}
    if condition_start is not None:
        details["condition_start"] = condition_start   # the start event whose condition held
    if variant is not None:   # which override versions the case runs with (audited with its start)
        details["overrides"] = {o["file"]: o["version"] for o in variant.overrides}
    return StartPlan(key, definition, parsed, wf, details, variant=variant)


def store_start(engine: Engine, uow: UnitOfWork, case_id: str, start: StartPlan, business_key: str | None,
                actor: str, message_record: dict[str, Any] | None, uploads: Sequence[documents.Upload] = (), *,
                defer_row: bool = False) -> None:
    """Write the new case. ``defer_row``: its row is sent with the transaction's next statement
    or its commit (FastStatement.defer), so a refused business key surfaces there: the caller
    handles the IntegrityError."""
    if message_record is not None:  # also without a message start: an idempotent start (see messages)
        uow.conn.execute(insert(t.messages).values(delivered_case_id=case_id,
                                                   delivered_at=engine.clock.now(), **message_record))
    for variant in ([start.variant] if start.variant is not None else []) + start.bound_variants:
        variants.store(uow.conn, variant, engine.clock.now())
    row = SimpleNamespace(id=case_id, definition_id=start.definition.id, process_key=start.key,
                          variant_id=start.variant.id if start.variant is not None else None,
                          version=start.definition.version, business_key=business_key, suspended=False, revision=0,
                          data={}, waits={}, audit_hash=audit.GENESIS)
    cmd = Command(engine, uow, row, start.parsed, start.wf, actor, audit_details=start.details,
                  stepped=start.stepped, step_error=start.step_error, defer_row=defer_row)
    try:
        save(cmd, "started", new=True)
    except IntegrityError:  # another start took the same key at the same moment: the index refused it
        if not defer_row:
            _refuse_if_taken(engine, start.key, business_key)
        raise
    documents.insert_uploads(uow.conn, uploads, case_id=case_id, uploaded_by=actor, now=engine.clock.now())


BUSINESS_KEY_PROPERTY = "amtsflow:businessKeyVariable"


def business_key_variables(model: Any, business_key: str | None) -> dict[str, Any]:
    """Start event property ``amtsflow:businessKeyVariable=v``: the case's business key
    (Aktenzeichen) lands in variable v, so the model can use it (documents, Kassenzeichen)."""
    variables: dict[str, Any] = {}
    for info in getattr(model, "elements", {}).values():
        if info.kind == "startEvent" and not info.nested:
            name = info.properties.get(BUSINESS_KEY_PROPERTY)
            if name:
                variables[name] = business_key
    return variables
