"""Every model used in the tests and the standard processes, stepped twice: once in memory,
once serialised and restored at every wait. Both runs must take the same path and end with
the same data (or fail the same way)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import pytest

from engine.bootstrap import expression_functions
from engine.domain.errors import AmtsflowError
from engine.ports import FakeClock
from engine.runtime.budget import Limits
from engine.runtime.expressions import SafeEvaluator
from engine.runtime.parsing import ParsedProcess, SourceFile, parse_bundle
from engine.runtime.script_engine import SafeScriptEngine
from engine.runtime.serialization import StateSerializer
from engine.runtime.workflow import WorkflowRunner
from tests.conftest import TEST_COMMAND_SECONDS

ROOT = Path(__file__).resolve().parents[2]
MAX_ROUNDS = 60

# Start data and service answers the test models expect (the processes use their forms).
START_DATA: dict[str, dict[str, Any]] = {
    "loop": {"i": 0, "limit": 5},
    "steploop": {"n": 0, "limit": 3},
    "timers": {"erinnerungen": 0, "stichtag": "2026-01-10T09:00:00+01:00"},
    "wait": {"dauer": "PT1M"},
    "camunda_antrag": {"kennzeichen": "MS-AB 123", "betrag": 50, "art": "standard", "name": "Erika", "eilig": False},
    "camunda_formulare": {"genehmigt": True},
    "camunda_fristen": {"wartezeit": "PT1H", "frist": "2026-01-06T09:00:00+01:00"},
    "io_mapping": {"team": "ordnung", "betrag": 5, "schluessel": "k", "entscheidung": "ja"},
    "io_scopes": {"vorname": "Erika", "nachname": "Mustermann"},
    "connector_outputs": {"vorname": "Erika"},
}
SERVICE_ANSWER: dict[str, Any] = {"found": True, "gefunden": True, "anschrift": {"plz": "12345"}}


# Models whose in-memory run differs from a restored one on purpose: roundtrip.bpmn keeps a tuple
# and a numeric dict key, which the stored state turns into a list and a text key (the engine
# always decides on the stored state; tests/integration/test_case_cache.py checks that).
DIVERGES_BY_DESIGN = {"roundtrip.bpmn"}


def bundles() -> list[tuple[str, list[Path]]]:
    found: list[tuple[str, list[Path]]] = []
    for folder in [ROOT / "tests" / "models", ROOT / "tests" / "models" / "camunda", ROOT / "tests" / "web" / "models"]:
        if not folder.is_dir():
            continue
        extras = [p for p in folder.iterdir() if p.suffix in (".json", ".dmn", ".form")]
        for bpmn in sorted(folder.glob("*.bpmn")):
            if bpmn.name in DIVERGES_BY_DESIGN:
                continue
            found.append((bpmn.relative_to(ROOT).as_posix(), [bpmn, *extras]))
    for service in sorted((ROOT / "processes").glob("*/process.bpmn")):
        files = [p for p in service.parent.rglob("*") if p.is_file() and p.suffix in (".bpmn", ".dmn", ".json")]
        found.append((service.relative_to(ROOT).as_posix(), files))
    return found


def sample(schema: dict[str, Any] | None) -> dict[str, Any]:
    """Data that satisfies a form's required fields (first enum value, minimum, ...)."""
    if not schema:
        return {}
    out: dict[str, Any] = {}
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        out[name] = _value(props.get(name, {}))
    return out


def _value(prop: dict[str, Any]) -> Any:
    if "const" in prop:
        return prop["const"]
    if "enum" in prop:
        return prop["enum"][0]
    kind = prop.get("type", "string")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "integer":
        return int(prop.get("minimum", 1))
    if kind == "number":
        return float(prop.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "object":
        return sample(prop)
    if kind == "array":
        return [_value(prop.get("items", {}))] * int(prop.get("minItems", 0))
    if prop.get("format") == "date":
        return "2026-02-01"
    if prop.get("format") == "email":
        return "erika@example.org"
    return "x" * max(1, int(prop.get("minLength", 1)))


def drive(parsed: ParsedProcess, roundtrip: bool,
          at_wait: Callable[[Any], None] | None = None) -> tuple[list[str], Any]:
    """``at_wait``: called with the workflow at every wait (after each step)."""
    clock = FakeClock()
    # the suite's command budget, not production's: late in a long run one step's CPU time can
    # include a full garbage collection of the whole process (the budget is not what this compares)
    runner = WorkflowRunner(SafeScriptEngine(SafeEvaluator(functions=expression_functions(clock)), clock),
                            Limits(seconds=TEST_COMMAND_SECONDS))
    serializer = StateSerializer()
    form = parsed.model.start_form
    data = {"aktenzeichen": "2026-TEST1", **sample(form.schema if form else None), **START_DATA.get(parsed.model.key, {})}
    wf = runner.new(parsed, data)
    path: list[str] = []
    try:
        for _ in range(MAX_ROUNDS):
            runner.step(wf)
            if at_wait is not None:
                at_wait(wf)
            if roundtrip:
                wf = serializer.loads(serializer.dumps(wf, parsed.model.dialect), parsed, runner.script_engine)
            waits = runner.waits(wf, parsed.models)
            if waits.completed:
                return path, ("completed", runner.snapshot(wf))
            if waits.errors:
                return path, ("error", waits.errors)
            if waits.user_tasks:
                w = waits.user_tasks[0]
                path.append(w.element_id)
                runner.complete_user_task(wf, w.task_id, sample(w.info.form.schema if w.info.form else None))
            elif waits.services:
                w = waits.services[0]
                path.append(w.element_id)
                call = w.info.service
                variable = call.result_variable if call else ""
                answer = {"person": SERVICE_ANSWER} if not variable else SERVICE_ANSWER
                runner.complete_service_task(wf, w.task_id, variable, answer)
            elif waits.messages:
                w = waits.messages[0]
                path.append(w.element_id)
                runner.deliver(wf, w.name, {})
            elif waits.signals:
                w = waits.signals[0]
                path.append(w.element_id)
                runner.deliver(wf, w.name, {}, kind="signal")
            elif waits.timers:
                w = min(waits.timers, key=lambda x: x.due)
                path.append(w.element_id)
                clock.advance(max(w.due - clock.now(), timedelta(0)) + timedelta(seconds=1))
                runner.fire_timers(wf)
            else:
                return path, ("stuck", [])
        return path, ("rounds", [])
    except AmtsflowError as exc:
        return path, ("failed", exc.message)


@pytest.mark.parametrize("name,files", bundles(), ids=[b[0] for b in bundles()])
def test_save_and_restore_at_every_wait_gives_the_same_run(name, files):
    bundle = parse_bundle([SourceFile(f.name, f.read_bytes()) for f in files])
    assert bundle.processes
    for key, parsed in sorted(bundle.processes.items()):
        in_memory = drive(parsed, roundtrip=False)
        restored = drive(parsed, roundtrip=True)
        assert restored == in_memory, f"{name}#{key}"
