"""The only wiring place: settings + adapters -> Engine.

:func:`build_engine` is the composition root that every production entry point uses (the
WSGI factory ``webui.app:create_app()``, the ``amtsflow`` commands, ``serve``, ``worker`` and
``demo``): settings from the environment, the connectors found through the entry-point group
``amtsflow.connectors`` (engine.plugins), the system clock. :func:`bootstrap` is the same
wiring with the adapters given explicitly, for tests and benchmarks that bring fakes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from collections.abc import MutableMapping
from typing import Any, Callable, Mapping

from sqlalchemy import select
from sqlalchemy.engine import Engine as Database

from engine.bell import Bell, CaseBells
from engine.domain.errors import NotFound
from engine.persistence import tables as t
from engine.persistence.db import make_engine
from engine.persistence.override_tables import definition_variants
from engine.ports import Clock, Connector, SystemClock
from engine.runtime import unmapped
from engine.runtime.call_activity import split_token, with_bound
from engine.runtime.case_cache import CaseCache
from engine.runtime.expressions import SafeEvaluator
from engine.runtime.parsing import ParsedProcess, SourceFile, parse_bundle
from engine.runtime.script_engine import SafeScriptEngine, model_checker
from engine.runtime.serialization import StateSerializer
from engine.runtime.workflow import WorkflowRunner
from engine.settings import Settings
from engine.tenancy import tenant_or_none
from engine.tenant_connectors import TenantConnectors, TenantView


class DefinitionCache:
    """(definition id, variant id) -> parsed process, parsed from stored sources on first use.

    A variant (engine.services.variants) is a definition's files with a tenant's overrides in
    place; ``variant=None`` is the definition's own files. Both never change once stored, so
    an entry never goes stale, and the variant in the key keeps tenants' variants apart."""

    def __init__(self, db: Database, evaluator: SafeEvaluator, size: int = 256) -> None:
        self.db = db
        self.evaluator = evaluator
        self.size = size
        self._items: OrderedDict[tuple[str, str | None], ParsedProcess] = OrderedDict()
        self._bound: OrderedDict[tuple[str, str | None, tuple[str, ...]], ParsedProcess] = OrderedDict()
        self._retention: dict[str, str | None] = {}   # definitions never change once deployed
        self._lock = threading.Lock()

    def get(self, definition_id: str, conn: Any = None, variant: str | None = None,
            entries: list[dict[str, str]] | None = None) -> ParsedProcess:
        """``entries``: the variant's files when it is not stored yet (a case about to start on it)."""
        cache_key = (definition_id, variant)
        with self._lock:
            hit = self._items.get(cache_key)
            if hit is not None:
                self._items.move_to_end(cache_key)
                return hit
        parsed = self._load(definition_id, variant, entries, conn)
        self.put(definition_id, parsed, variant)
        return parsed

    def for_case(self, definition_id: str, conn: Any = None, variant: str | None = None,
                 bound: list[str] | None = None, entries: list[dict[str, str]] | None = None) -> ParsedProcess:
        """The parsed process a case runs: its definition (variant), plus the definitions its
        late-bound call activities bound (``cases.bound_definitions``, engine.runtime.call_activity):
        their specs under ``<process>@<definition id>``, their models by process key (the
        latest binding of a key wins there)."""
        base = self.get(definition_id, conn, variant, entries)
        if not bound:
            return base
        cache_key = (definition_id, variant, tuple(bound))
        with self._lock:
            hit = self._bound.get(cache_key)
            if hit is not None:
                self._bound.move_to_end(cache_key)
                return hit
        parsed = base
        for bound_id in bound:   # a definition id, with its tenant variant's id (call_activity.bound_token)
            definition, variant_id = split_token(bound_id)
            called = self.get(definition, conn, variant_id)
            parsed = ParsedProcess(parsed.model, parsed.spec,
                                   with_bound(parsed.subprocess_specs, called.spec.name, bound_id, called.spec,
                                              called.subprocess_specs),
                                   {**parsed.models, **called.models})
        with self._lock:
            self._bound[cache_key] = parsed
            while len(self._bound) > self.size:
                self._bound.popitem(last=False)
        return parsed

    def put(self, definition_id: str, parsed: ParsedProcess, variant: str | None = None) -> None:
        with self._lock:
            self._items[(definition_id, variant)] = parsed
            self._items.move_to_end((definition_id, variant))
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def retention(self, definition_id: str, conn: Any) -> str | None:
        """The retention period (ISO duration) of a definition, or None: keep its cases."""
        with self._lock:
            if definition_id in self._retention:
                return self._retention[definition_id]
        period: str | None = conn.execute(select(t.process_definitions.c.retention)
                              .where(t.process_definitions.c.id == definition_id)).scalar()
        with self._lock:
            self._retention[definition_id] = period
        return period

    def _load(self, definition_id: str, variant: str | None, given: list[dict[str, str]] | None,
              conn: Any) -> ParsedProcess:
        def run(c: Any) -> ParsedProcess:
            row = c.execute(select(t.process_definitions).where(t.process_definitions.c.id == definition_id)).first()
            if row is None:
                raise NotFound(f"process definition {definition_id} not found")
            entries = row.files
            if variant is not None and given is not None:
                entries = given
            elif variant is not None:
                v = definition_variants
                entries = c.execute(select(v.c.files).where(v.c.id == variant, v.c.definition_id == definition_id)
                                    ).scalar()
                if entries is None:
                    raise NotFound(f"variant {variant} of process definition {definition_id} not found")
            hashes = [f["sha256"] for f in entries]
            contents = dict(c.execute(select(t.resources.c.sha256, t.resources.c.content)
                                      .where(t.resources.c.sha256.in_(hashes))).all())
            files = [SourceFile(f["name"], contents[f["sha256"]]) for f in entries]
            with self._lock:
                self._retention[definition_id] = row.retention
            return parse_bundle(files).processes[row.key]

        if conn is not None:
            return run(conn)
        with self.db.connect() as c:
            return run(c)


@dataclass
class Engine:
    settings: Settings
    db: Database
    clock: Clock
    evaluator: SafeEvaluator
    script_engine: SafeScriptEngine
    runner: WorkflowRunner
    serializer: StateSerializer
    definitions: DefinitionCache
    connectors: MutableMapping[str, Connector] = field(default_factory=dict)
    case_cache: CaseCache = field(default_factory=CaseCache)
    # The job executor of this process that takes service jobs created here straight after the
    # commit (no polling round trip); None: every job waits for a worker to poll for it.
    local_worker: Any = None
    # On PostgreSQL: this process's one LISTEN connection and its thread
    # (engine.persistence.notify.Listener), started by the first subscription to a channel.
    listener: Any = None
    # Rung after a commit that wrote external tasks (and, on PostgreSQL, on every NOTIFY of the
    # jobs table once a long poll subscribed to it): wakes waiting fetchAndLock requests.
    # external_listener: that subscription (engine.persistence.notify.Subscription), False
    # where there is none to make.
    external_bell: Bell = field(default_factory=Bell)
    external_listener: Any = None
    # Rung with a case id after a commit that gave the case an open task or ended it (and, on
    # PostgreSQL, on every NOTIFY amtsflow_tasks once a wait subscribed to it): wakes
    # clients waiting for that case's next task (engine.services.task_wait). task_listener:
    # that subscription, as external_listener.
    task_bells: CaseBells = field(default_factory=CaseBells)
    task_listener: Any = None
    # (definition, tenant, overrides stamp) -> the variant a new case starts on
    # (engine.services.variants.cached_variant)
    variant_cache: dict[Any, Any] = field(default_factory=dict)
    # definitions whose start steps read the case facts: their business key is read before the
    # step (engine.services.case_start.start_unlocked)
    key_reading_starts: set[str] = field(default_factory=set)
    # (tenant, process key) -> (definition row, variant) the last start of the newest version
    # read; the next start steps with them and checks them in its write transaction
    # (engine.services.case_start.remembered_definition)
    start_definitions: dict[Any, Any] = field(default_factory=dict)
    # the connectors of tenants with endpoints or secrets of their own (engine/tenant_connectors.py)
    tenant_connectors: Any = None

    def connector(self, name: str, tenant_id: str | None) -> Connector | None:
        """The connector ``name`` a case of ``tenant_id`` calls: the installation's, or one built
        with the endpoint and secrets that tenant configured (engine/tenant_connectors.py)."""
        if self.tenant_connectors is None:
            return self.connectors.get(name) if self.connectors else None
        found: Connector | None = self.tenant_connectors.get(tenant_id, name)
        return found

    def check_expression(self, source: str, mode: str, element_id: str) -> list[str]:
        """Deploy-time check of one expression ("eval"), Python script ("exec") or JavaScript."""
        return model_checker(self.evaluator, self.script_engine.javascript)(source, mode, element_id)

    def is_external(self, call: Any) -> bool:
        """Is this service call an external task for outside workers? Its topic maps to no
        operation and either the process folder reserves the topic for outside workers or no
        installed connector answers it (engine.services.external_tasks)."""
        if getattr(call, "topic", None) is None:
            return False
        if call.external:
            return True
        name, _, operation = str(call.operation).partition(".")
        connector = self.connectors.get(name) if self.connectors else None
        return connector is None or operation not in connector.operations()

    def keep_connection(self) -> bool:
        """For a server's request thread: keep one pooled database connection across requests
        (engine.persistence.db.keep_connection; PostgreSQL). Whether this thread keeps one."""
        from engine.persistence.db import keep_connection

        return keep_connection(self.db)

    def known_operations(self) -> set[str] | None:
        if not self.connectors:
            return None
        # placeholders of Java code not mapped yet count as known (engine.runtime.unmapped)
        return unmapped.KnownOperations(f"{name}.{op}" for name, c in self.connectors.items() for op in c.operations())


def build_engine(settings: Settings | None = None, *, clock: Clock | None = None) -> Engine:
    """The engine as production runs it: every discovered connector, configured from
    ``settings.connector_config`` (AMTSFLOW_CONNECTOR_<NAME>_<SETTING>)."""
    from engine.plugins import LazyConnectors

    settings = settings or Settings.from_env()
    engine = bootstrap(settings, clock=clock)
    engine.connectors = LazyConnectors(settings.connector_config)  # loaded when first used
    return engine


def bootstrap(settings: Settings | None = None, connectors: Mapping[str, Connector] | None = None,
              clock: Clock | None = None, db: Database | None = None) -> Engine:
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    engines: list[Engine] = []   # the engine, once built: bean calls use its installed connectors
    evaluator = SafeEvaluator(functions=expression_functions(
        clock, settings.public_url, connectors=lambda: TenantView(engines[0], tenant_or_none()) if engines else None))
    script_engine = SafeScriptEngine(evaluator, clock)
    script_engine.zone = settings.timezone
    database = db or make_engine(settings.database_url, busy_seconds=settings.sqlite_busy_seconds,
                                 synchronous=settings.sqlite_synchronous)
    engine = Engine(
        settings=settings,
        db=database,
        clock=clock,
        evaluator=evaluator,
        script_engine=script_engine,
        runner=WorkflowRunner(script_engine, settings.limits()),
        serializer=StateSerializer(),
        definitions=DefinitionCache(database, evaluator),
        connectors=dict(connectors or {}),
        case_cache=CaseCache(settings.case_cache_size),
    )
    engine.tenant_connectors = TenantConnectors(engine)
    engines.append(engine)
    return engine


def expression_functions(clock: Clock, public_url: str | None = None,
                         connectors: Callable[[], Mapping[str, Connector] | None] | None = None) -> dict[str, Any]:
    """The functions models may call besides the built-ins (dates from the engine clock, the
    portal's public address, ``bean_call``, into which the Camunda translation rewrites
    beans mapped to connector operations: engine.runtime.beans, and ``throw_bpmn_error`` for a
    script task's script: engine.runtime.script_errors)."""
    from datetime import timedelta

    from engine.runtime.beans import BEAN_FUNCTION, bean_caller
    from engine.runtime.script_errors import THROW_FUNCTION, throw_bpmn_error

    def now() -> str:
        return clock.now().isoformat()

    def today() -> str:
        return clock.now().date().isoformat()

    def days_from_now(days: int) -> str:
        return (clock.now() + timedelta(days=days)).isoformat()

    def portal_url() -> str:
        """The portal's public address (AMTSFLOW_PUBLIC_URL), '' when not configured."""
        return public_url or ""

    return {"now": now, "today": today, "days_from_now": days_from_now, "add_days": add_days,
            "add_months": add_months, "days_between": days_between, "portal_url": portal_url,
            BEAN_FUNCTION: bean_caller(connectors or (lambda: None)), THROW_FUNCTION: throw_bpmn_error}


def _date(value: Any) -> date:
    """An ISO date or date-time text (or a date) -> date."""
    from datetime import datetime

    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    return datetime.fromisoformat(text).date() if len(text) > 10 else date.fromisoformat(text)


def add_days(value: Any, days: int) -> str:
    """ISO date ``days`` days after (negative: before) the date ``value``."""
    from datetime import timedelta

    return (_date(value) + timedelta(days=int(days))).isoformat()


def add_months(value: Any, months: int) -> str:
    """ISO date ``months`` calendar months after (negative: before) ``value``; the day is
    clipped to the month's last day (2026-01-31 + 1 month = 2026-02-28)."""
    import calendar

    start = _date(value)
    index = start.year * 12 + start.month - 1 + int(months)
    year, month = divmod(index, 12)
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return start.replace(year=year, month=month + 1, day=day).isoformat()


def days_between(start: Any, end: Any) -> int:
    """Whole days from date ``start`` to date ``end`` (negative when end is earlier)."""
    return (_date(end) - _date(start)).days
