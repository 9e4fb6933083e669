"""Camunda 7 compatibility over the camunda-bpm-examples corpus: deploy, then run to the end.

    python bench/compat.py [--steps N] [--corpus PATH]

For every BPMN file of ../shared/corpus/camunda-bpm-examples (resolved relative to this
repository; skipped with a message when absent):

1. **deploy** the file with the files its folder would carry (DMN, .form, JSON, the BPMN
   of processes it calls) on a fresh temporary SQLite engine. A file whose only obstacle
   is unmapped Java delegates is deployed a second time with a generated
   camunda-mapping.json that maps each delegate to a test operation ("after mapping").
2. **run** a case of each executable process to completion: every user task (and start
   form) is completed with data generated from its JSON Schema (required fields, enums,
   min/max, lengths, formats date/email); every external topic and mapped delegate is
   answered by a test connector returning {}; the JobExecutor runs until idle; the
   FakeClock is moved to the next timer; a waiting message is correlated. After N steps
   without completing, the case is reported as stuck, with what it waits for.

Prints a table (file, in target, deployed, completed, reason) and the totals; the target
from issue 7 is that every model without Java delegates or Groovy/JavaScript scripts
deploys and runs. Exit code 0 when the target holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlalchemy import select  # noqa: E402

from engine.bootstrap import Engine, bootstrap  # noqa: E402
from engine.domain.errors import AmtsflowError, DeploymentError  # noqa: E402
from engine.jobs import JobExecutor  # noqa: E402
from engine.persistence import tables as t  # noqa: E402
from engine.persistence.db import make_engine  # noqa: E402
from engine.persistence.migrate import upgrade  # noqa: E402
from engine.ports import FakeClock, OperationSpec, ServiceRequest, ServiceResult  # noqa: E402
from engine.runtime.parsing import SourceFile  # noqa: E402
from engine.services import cases, compat, messages, queries  # noqa: E402
from engine.services.deploy import deploy  # noqa: E402
from engine.settings import Settings  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "camunda-bpm-examples"
MAX_STEPS = 50


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
    import re
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


# --- one file ------------------------------------------------------------------------------------

@dataclass
class Row:
    file: str
    in_target: bool
    deployed: str          # "yes", "after mapping", "no"
    completed: str         # "yes", "no", "-"
    reason: str = ""


def new_engine(template: Path, workdir: Path, clock: FakeClock) -> Engine:
    path = workdir / "bench.sqlite"
    shutil.copy(template, path)
    return bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=clock)


def run_file(bpmn: Path, template: Path, steps: int = MAX_STEPS) -> Row:
    report = compat.check_file(bpmn)
    name = str(bpmn.relative_to(CORPUS)) if bpmn.is_relative_to(CORPUS) else str(bpmn)
    row = Row(name, report.in_target, "no", "-")
    files = [SourceFile(str(p), p.read_bytes()) for p in compat.bundle_for(bpmn)]
    if report.status == compat.AFTER_MAPPING:
        mapping = {section: {} for section in ("topics", "delegates", "connectors")}
        for section, key in report.mapping_needed:
            mapping[section][key] = "bench.call"
        files = [f for f in files if not f.name.endswith("camunda-mapping.json")]
        files.append(SourceFile(str(bpmn.parent / "camunda-mapping.json"), json.dumps(mapping).encode()))
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock()
        engine = new_engine(template, Path(tmp), clock)
        try:
            try:
                result = deploy(engine, files, actor="bench")
            except DeploymentError as exc:
                row.reason = "; ".join(f"{p.line}: {p.element_id}: {p.message}" for p in exc.problems[:3])
                return row
            row.deployed = "after mapping" if report.status == compat.AFTER_MAPPING else "yes"
            engine.connectors["camunda"] = AnswerEverything("camunda")
            engine.connectors["bench"] = AnswerEverything("bench")
            keys = [p.key for p in result.processes if p.key in report.processes]
            outcomes = [run_case(engine, clock, key, steps) for key in keys]
            if not keys:
                row.reason = "no executable process in this file"
            failed = [f"{key}: {why}" for key, why in zip(keys, outcomes) if why]
            row.completed = "no" if failed or not keys else "yes"
            row.reason = row.reason or "; ".join(failed)
        finally:
            engine.db.dispose()
    return row


def run_case(engine: Engine, clock: FakeClock, key: str, steps: int) -> str:
    """Start a case of ``key`` and drive it to the end; '' when completed, else why not."""
    today = clock.now().date().isoformat()
    try:
        with engine.db.connect() as conn:
            definition = conn.execute(select(t.process_definitions.c.id).where(t.process_definitions.c.key == key)
                                      .order_by(t.process_definitions.c.version.desc())).scalar_one()
        start_form = engine.definitions.get(definition).model.start_form
        case_id = cases.start_case(engine, key, form_data(start_form, today), business_key=f"bench-{key}",
                                   actor="bench")
    except AmtsflowError as exc:
        return f"start: {exc.message}"
    worker = JobExecutor(engine, "bench")
    for _ in range(steps):
        worker.run_until_idle()
        view = queries.get_case(engine, case_id, with_history=False)
        if view["status"] == "completed":
            return ""
        if view["status"] in ("failed", "cancelled"):
            incidents = "; ".join(i["message"] for i in view["incidents"])
            return f"{view['status']}: {view['error'] or incidents}"
        if view["open_tasks"]:
            for task in view["open_tasks"]:
                form = cases.task_form(engine, task["id"])
                data = form_data(form, today) if form is not None else _condition_variables(engine, case_id)
                try:
                    cases.complete_task(engine, task["id"], data, actor=task["assignee"] or "bench")
                except AmtsflowError as exc:
                    return f"task {task['element_id']}: {exc.message}"
            continue
        if _advance_to_next_job(engine, clock, case_id) or _correlate(engine, case_id, view["business_key"]):
            continue
        return f"stuck: {_waits(engine, case_id)}"
    return f"gave up after {steps} steps: {_waits(engine, case_id)}"


def _condition_variables(engine: Engine, case_id: str) -> dict[str, Any]:
    """Data for a task whose form is not part of the deployment (an embedded HTML or React
    form): any data satisfies it, so set what the model's conditions read and the case
    lacks, to True (a form's approve checkbox)."""
    import ast

    with engine.db.connect() as conn:
        row = conn.execute(select(t.cases.c.definition_id, t.cases.c.data).where(t.cases.c.id == case_id)).first()
    parsed = engine.definitions.get(row.definition_id)
    names: set[str] = set()
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            for condition, _target in getattr(task_spec, "cond_task_specs", None) or []:
                source = condition if isinstance(condition, str) else (getattr(condition, "args", None) or [None])[0]
                if isinstance(source, str):
                    try:
                        tree = ast.parse(source, mode="eval")
                    except SyntaxError:
                        continue
                    names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    known = set(row.data or {}) | set(engine.evaluator.callables)
    return {name: True for name in sorted(names - known) if name not in ("True", "False", "None")}


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


def _correlate(engine: Engine, case_id: str, business_key: str | None) -> bool:
    with engine.db.connect() as conn:
        sub = conn.execute(select(t.subscriptions).where(t.subscriptions.c.case_id == case_id)).first()
    if sub is None:
        return False
    if sub.kind == "signal":
        return messages.broadcast_signal(engine, sub.name, {}) > 0
    outcome = messages.correlate_message(engine, sub.name, sub.correlation_key, {})
    return outcome.status == "delivered"


def _waits(engine: Engine, case_id: str) -> str:
    with engine.db.connect() as conn:
        row = conn.execute(select(t.cases.c.waits, t.cases.c.status).where(t.cases.c.id == case_id)).first()
    waits = {k: v for k, v in (row.waits or {}).items() if v}
    return f"status {row.status}, waits {json.dumps(waits)}"


# --- the whole corpus ----------------------------------------------------------------------------

def run_corpus(corpus: Path = CORPUS, steps: int = MAX_STEPS) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.sqlite"
        db = make_engine(f"sqlite:///{template}")
        upgrade(db)
        db.dispose()
        return [run_file(p, template, steps) for p in compat.bpmn_files([corpus])]


def target_failures(rows: list[Row]) -> list[Row]:
    return [r for r in rows if r.in_target and (r.deployed != "yes" or r.completed != "yes")]


def print_table(rows: list[Row]) -> None:
    width = max(len(r.file) for r in rows)
    print(f"{'file':<{width}}  target  deployed       completed  reason")
    for r in rows:
        print(f"{r.file:<{width}}  {'yes' if r.in_target else 'no':<6}  {r.deployed:<13}  {r.completed:<9}  "
              f"{r.reason[:160]}")
    total = len(rows)
    deployed = sum(r.deployed == "yes" for r in rows)
    mapped = sum(r.deployed == "after mapping" for r in rows)
    completed = sum(r.completed == "yes" for r in rows)
    target = [r for r in rows if r.in_target]
    print()
    print(f"{total} models: {deployed} deploy as they are, {mapped} more after mapping their Java delegates "
          f"in camunda-mapping.json; {completed} run to completion")
    ok = len(target) - len(target_failures(rows))
    print(f"target (no Java delegates, no Groovy/JavaScript scripts): {ok} of {len(target)} deploy and run")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--steps", type=int, default=MAX_STEPS)
    args = parser.parse_args(argv)
    global CORPUS
    CORPUS = args.corpus = args.corpus or CORPUS
    if not args.corpus.is_dir():
        print(f"skipped: corpus not found at {args.corpus}")
        return 0
    rows = run_corpus(args.corpus, args.steps)
    print_table(rows)
    return 0 if not target_failures(rows) else 1


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)
    sys.exit(main())
