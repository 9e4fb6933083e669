"""bench/compat.py's runner: a test connector, data that satisfies a form, driving a case
to its end (user tasks, jobs, timers, messages), all on the engine's public services."""

from __future__ import annotations

import json
from collections import Counter
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Iterator

from sqlalchemy import select

from bench.compat_raw import condition_names
from engine.bootstrap import Engine
from engine.domain.errors import AmbiguousCorrelation, AmtsflowError
from engine.jobs import JobExecutor
from engine.persistence import tables as t
from engine.ports import FakeClock, OperationSpec, ServiceRequest, ServiceResult
from engine.services import cases, messages, queries
from engine.services.inbound import MAX_NAME_LENGTH


# --- the test connector -----------------------------------------------------------------------

class _AnyOperation(Mapping):
    """Every operation name is offered (an external-task worker subscribed to every topic)."""

    def __getitem__(self, name: str) -> OperationSpec:
        return OperationSpec(description=f"answers {name} with {{}}")

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class AnswerEverything:
    """A connector that answers every operation with an empty result, and records the calls."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[ServiceRequest] = []

    def operations(self) -> Mapping[str, OperationSpec]:
        return _AnyOperation()

    def call(self, operation: str, request: ServiceRequest) -> ServiceResult:
        self.calls.append(request)
        return ServiceResult({})


# --- data that satisfies a form --------------------------------------------------------------

def sample(schema: dict[str, Any], today: str) -> Any:
    """A value valid against ``schema`` (the subset our form translators produce)."""
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return {name: sample(sub, today) for name, sub in props.items()
                if name in required or not sub.get("readOnly")}
    if kind == "array":
        items = schema.get("items", {})
        count = max(int(schema.get("minItems", 0)), 1)
        if items.get("enum"):
            return list(items["enum"][:count])
        return [sample(items, today) for _ in range(count)]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low, high = schema.get("minimum"), schema.get("maximum")
        value = low if low is not None else (min(1, high) if high is not None else 1)
        return int(value) if kind == "integer" else value
    fmt = schema.get("format")
    if fmt == "date":
        return today
    if fmt == "date-time":
        return f"{today}T09:00:00+00:00"
    if fmt == "email":
        return "erika.mustermann@example.org"
    text = "Beispiel"
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    if schema.get("pattern"):
        text = matching(schema["pattern"])
    text = text.ljust(low, "x")
    return text[:high] if high is not None else text


def matching(pattern: str) -> str:
    """A short text that ``re.search(pattern, text)`` accepts (the common form patterns)."""
    from re import _constants as c, _parser  # type: ignore[attr-defined]

    def walk(items: Any) -> str:
        out = []
        for op, arg in items:
            if op is c.LITERAL:
                out.append(chr(arg))
            elif op is c.ANY:
                out.append("a")
            elif op is c.IN:
                out.append(choice(arg))
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
                low, _high, sub = arg
                out.append(walk(sub) * max(low, 1))
            elif op is c.SUBPATTERN:
                out.append(walk(arg[-1]))
            elif op is c.BRANCH:
                out.append(walk(arg[1][0]))
        return "".join(out)

    def choice(arg: Any) -> str:
        for op, value in arg:
            if op is c.LITERAL:
                return chr(value)
            if op is c.RANGE:
                return chr(value[0])
            if op is c.CATEGORY:
                return {c.CATEGORY_DIGIT: "1", c.CATEGORY_SPACE: " "}.get(value, "a")
        return "a"

    try:
        text = walk(_parser.parse(pattern))
    except Exception:  # noqa: BLE001 - fall back to a plain word
        return "Beispiel"
    return text if re.search(pattern, text) else "Beispiel"


def form_data(form: Any, today: str) -> dict[str, Any]:
    if form is None:
        return {}
    return sample(form.schema, today)


# A user task completed this many times in a row comes back whatever the driver enters (a loop until
# a form value the driver cannot guess): time passes until the case's next timer (as a clerk's
# days pass), which a boundary timer on the loop is there for.
LOOP_ROUNDS = 3


def run_case(engine: Engine, clock: FakeClock, key: str, steps: int, platform: Any = None) -> str:
    """Start a case of ``key`` and drive it to the end; '' when completed, else why not.
    ``platform`` (bench/compat_digiwf.py's DigiwfRun) adds the start data and forms of a
    platform around the model: ``start_data(key, today)``, ``task_data(process_key,
    element_id, today)`` (None: no form of its own)."""
    today = clock.now().date().isoformat()
    try:
        with engine.db.connect() as conn:
            definition = conn.execute(select(t.process_definitions.c.id).where(t.process_definitions.c.key == key)
                                      .order_by(t.process_definitions.c.version.desc()).limit(1)).scalar_one()
        start_form = engine.definitions.get(definition).model.start_form
        data = form_data(start_form, today) if start_form is not None else _condition_names(engine, definition, {})
        if platform is not None:
            data = {**data, **platform.start_data(key, today)}
            data.update(_condition_names(engine, definition, data))
        case_id = cases.start_case(engine, key, data, business_key=f"bench-{key}"[:MAX_NAME_LENGTH], actor="bench", internal=True)
    except AmtsflowError as exc:
        return f"start: {exc.message}"
    worker = JobExecutor(engine, "bench")
    delivered: Counter[tuple[str, str]] = Counter()
    completions: Counter[str] = Counter()   # per task element, since time last passed
    for _ in range(steps):
        worker.run_until_idle()
        view = queries.get_case(engine, case_id, with_history=False)
        if view["status"] == "completed":
            return ""
        if view["status"] in ("failed", "cancelled"):
            incidents = "; ".join(i["message"] for i in view["incidents"])
            return f"{view['status']}: {view['error'] or incidents}"
        if any(completions[task["element_id"]] >= LOOP_ROUNDS for task in view["open_tasks"]) \
                and _advance_to_next_job(engine, clock, case_id):
            completions.clear()   # a task that comes back whatever is entered: let its timer fall due
            continue
        if view["open_tasks"]:
            for task in view["open_tasks"]:
                if task is not view["open_tasks"][0] and not _still_open(engine, case_id, task["id"]):
                    continue  # completing an earlier one cancelled it (a terminate end event, an error)
                form = cases.task_form(engine, task["id"])
                data = form_data(form, today) if form is not None else _condition_variables(engine, case_id)
                own = platform.task_data(task["process_key"], task["element_id"], today) if platform else None
                if own is not None:
                    data = {**own, **_condition_variables(engine, case_id, own)}
                completions[task["element_id"]] += 1
                try:
                    cases.complete_task(engine, task["id"], data, actor=task["assignee"] or "bench", internal=True)
                except AmtsflowError as exc:
                    return f"task {task['element_id']}: {exc.message}"
            continue
        if _advance_to_next_job(engine, clock, case_id) or _correlate(engine, case_id, view["business_key"], delivered):
            continue
        return f"stuck: {_waits(engine, case_id)}"
    return f"gave up after {steps} steps: {_waits(engine, case_id)}"


def _still_open(engine: Engine, case_id: str, task_id: str) -> bool:
    view = queries.get_case(engine, case_id, with_history=False)
    return view["status"] not in ("completed", "failed", "cancelled") and any(
        t["id"] == task_id for t in view["open_tasks"])


def _condition_variables(engine: Engine, case_id: str, given: dict[str, Any] | None = None) -> dict[str, Any]:
    """Data for a task whose form is not part of the deployment (an embedded HTML or React
    form): any data satisfies it, so set what the model's conditions read and the case
    lacks, to True (a form's approve checkbox)."""
    with engine.db.connect() as conn:
        row = conn.execute(select(t.cases.c.definition_id, t.cases.c.data).where(t.cases.c.id == case_id)).first()
    return _condition_names(engine, row.definition_id, {**(row.data or {}), **(given or {})})


def _condition_names(engine: Engine, definition_id: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The names the definition's conditions read that ``data`` lacks, set to True (also the
    start data of a process without a start form)."""
    parsed = engine.definitions.get(definition_id)
    names = condition_names([parsed.spec, *parsed.subprocess_specs.values()])
    known = set(data) | set(engine.evaluator.callables)
    return {name: True for name in sorted(names - known)}


def _advance_to_next_job(engine: Engine, clock: FakeClock, case_id: str) -> bool:
    with engine.db.connect() as conn:
        due = conn.execute(select(t.jobs.c.due_at).where(t.jobs.c.case_id == case_id, t.jobs.c.retries > 0)
                           .order_by(t.jobs.c.due_at).limit(1)).scalar()
    if due is None:
        return False
    if due.tzinfo is None:
        due = due.replace(tzinfo=clock.now().tzinfo)
    if due > clock.now():
        clock.advance(due - clock.now() + timedelta(seconds=1))
    return True


MAX_DELIVERIES = 10   # of one message or signal name to a case: a non-interrupting boundary event waits again


def _correlate(engine: Engine, case_id: str, business_key: str | None, delivered: Counter[tuple[str, str]]) -> bool:
    """Deliver something the case waits for: the name delivered least often first (a
    non-interrupting boundary event subscribes again after each message and must not starve
    the other waits), then the awaited path before the exceptional one (a name that in the
    case's processes only starts an event sub-process or triggers a boundary event, such as an
    error message, comes after the answer a receive task waits for), each name at most
    MAX_DELIVERIES times, in a fixed order."""
    with engine.db.connect() as conn:
        subs = conn.execute(select(t.subscriptions).where(t.subscriptions.c.case_id == case_id)).all()
    exceptional = _exceptional_names(engine, case_id) if len(subs) > 1 else set()
    subs = sorted((s for s in subs if delivered[(s.kind, s.name)] < MAX_DELIVERIES),
                  key=lambda s: (delivered[(s.kind, s.name)], s.name in exceptional, s.name))
    if not subs:
        return False
    sub = subs[0]
    delivered[(sub.kind, sub.name)] += 1
    if sub.kind == "signal":
        return messages.broadcast_signal(engine, sub.name, {}) > 0
    try:
        outcome = messages.correlate_message(engine, sub.name, sub.correlation_key, {})
    except AmbiguousCorrelation:
        return True   # several waits of the case match (Camunda refuses too): the next step tries another
    except AmtsflowError:
        return True   # a name no sender can use (a name expression that gave nothing): the next step tries another
    return outcome.status == "delivered"


def _exceptional_names(engine: Engine, case_id: str) -> set[str]:
    """Message and signal names that the case's processes (its own and those its call
    activities bound) catch only with event sub-process starts and boundary events."""
    with engine.db.connect() as conn:
        row = conn.execute(select(t.cases.c.definition_id, t.cases.c.bound_definitions)
                           .where(t.cases.c.id == case_id)).first()
    if row is None:
        return set()
    parsed = engine.definitions.for_case(row.definition_id, bound=row.bound_definitions or None)
    side: set[str] = set()
    awaited: set[str] = set()
    for model in parsed.models.values():
        for info in model.elements.values():
            for name in (info.message, info.signal):
                if name:
                    exceptional = info.kind == "boundaryEvent" or (info.kind == "startEvent" and info.nested)
                    (side if exceptional else awaited).add(name)
    return side - awaited


def _waits(engine: Engine, case_id: str) -> str:
    with engine.db.connect() as conn:
        row = conn.execute(select(t.cases.c.waits, t.cases.c.status).where(t.cases.c.id == case_id)).first()
    waits = {k: v for k, v in (row.waits or {}).items() if v}
    return f"status {row.status}, waits {json.dumps(waits)}"
