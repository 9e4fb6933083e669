"""The case state written and read without SpiffWorkflow's registry for the tasks
(engine.runtime.spiff_seam.tasks_to_dict/tasks_from_dict) is the library's state: the same
text (case-state format 3, byte for byte), and the same workflow restored from it, for every
model of the tests and every standard process at every wait, and for data of every kind the
registry handles."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest
from SpiffWorkflow.util.task import TaskState

from engine.runtime import spiff_seam
from engine.runtime.parsing import SourceFile, parse_bundle
from engine.runtime.serialization import StateSerializer
from tests.unit.test_save_restore import DIVERGES_BY_DESIGN, bundles, drive

ROOT = Path(__file__).resolve().parents[2]
FAST, LIBRARY = StateSerializer(), StateSerializer(fast=False)


def _tasks(wf: Any) -> list[Any]:
    return [t for w in (wf, *wf.subprocesses.values()) for t in w.tasks.values()]


def _id(task: Any) -> Any:
    return task.id if task is not None else None


def _shape(wf: Any) -> list[Any]:
    """What a restored workflow is made of, beyond its stored text."""
    return [
        [(type(t).__name__, t.id, t._parent, t._children, t.state, t.task_spec, t.last_state_change, t.triggered,
          t.data, t.internal_data, t.workflow is (wf.subprocesses.get(t.workflow.parent_task_id) or wf))
         for t in _tasks(wf)],
        sorted(map(str, wf.event_manager.tasks)),
        {k: (s.spec, s.task_tree.id, s.data, _id(s.last_task), s.success, s.completed, s.correlations)
         for k, s in wf.subprocesses.items()},
        wf.data, _id(wf.last_task), wf.success, wf.completed, wf.correlations, wf.task_tree.id,
    ]


def check_same_state(wf: Any, parsed: Any) -> None:
    dialect = parsed.model.dialect
    text = LIBRARY.dumps(wf, dialect)
    assert FAST.dumps(wf, dialect) == text
    fast, library = (s.loads(text, parsed, None) for s in (FAST, LIBRARY))
    assert _shape(fast) == _shape(library)
    again = LIBRARY.dumps(library, dialect)   # the text itself unless the data does not round-trip (a tuple ...)
    assert LIBRARY.dumps(fast, dialect) == again == FAST.dumps(library, dialect) == FAST.dumps(fast, dialect)


def _all_models() -> list[tuple[str, list[Path]]]:
    found = bundles()
    for name in sorted(DIVERGES_BY_DESIGN):   # its tuple and numeric key: written as the library writes them
        bpmn = ROOT / "tests" / "models" / name
        found.append((bpmn.relative_to(ROOT).as_posix(), [bpmn]))
    return found


@pytest.mark.parametrize("name,files", _all_models(), ids=[b[0] for b in _all_models()])
def test_the_fast_state_is_the_librarys_at_every_wait(name: str, files: list[Path]) -> None:
    bundle = parse_bundle([SourceFile(f.name, f.read_bytes()) for f in files])
    for _key, parsed in sorted(bundle.processes.items()):
        drive(parsed, roundtrip=True, at_wait=lambda wf: check_same_state(wf, parsed))


LINEAR = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
          'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">'
          '<bpmn:process id="p" isExecutable="true">'
          '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
          '<bpmn:userTask id="task"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>'
          '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
          '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>'
          '<bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end"/></bpmn:process></bpmn:definitions>')


def _linear() -> tuple[Any, Any]:
    from engine.runtime.workflow import WorkflowRunner
    from tests.unit.test_save_restore import SafeEvaluator, SafeScriptEngine, expression_functions
    from engine.ports import FakeClock

    [parsed] = parse_bundle([SourceFile("linear.bpmn", LINEAR.encode())]).processes.values()
    clock = FakeClock()
    runner = WorkflowRunner(SafeScriptEngine(SafeEvaluator(functions=expression_functions(clock)), clock))
    wf = runner.new(parsed, {"start": 1})
    runner.step(wf)
    return wf, parsed


ODD = {
    "uuid": UUID("12345678-1234-5678-1234-567812345678"), "when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    "naive": datetime(2026, 1, 2), "delay": timedelta(days=2, seconds=5), "tuple": (1, "a"), "set": {3},
    "nested": {"deep": [{"uuid": UUID(int=0)}, (2,), {"when": datetime(2025, 5, 5)}], 7: "seven"},
    "umlaut": "Prüfung ß \u2028 \"quoted\" \\", "float": 0.1 + 0.2, "big": 10 ** 30, "nan": math.nan,
    "inf": -math.inf, "none": None, "bool": False, "empty": {}, "list": [], "func": len, "module": json,
    "deep_func": {"f": len}, 5: "numeric key", "tree": {"typename_like": {"value": "x"}},
}


@pytest.mark.parametrize("where", ["data", "internal_data", "parent_data", "workflow_data"])
def test_data_of_every_kind_the_registry_handles_is_written_and_read_as_the_library_does(where: str) -> None:
    wf, parsed = _linear()
    [task] = wf.get_tasks(state=TaskState.READY)
    target = {"data": task.data, "internal_data": task.internal_data, "parent_data": task.parent.data,
              "workflow_data": wf.data}[where]
    target.update(ODD)
    task.parent.data["shared"] = task.data["shared"] = [1, {"x": 2}]   # unchanged: not in the delta
    task.parent.data["gone"] = 1                                       # a deletion
    text = LIBRARY.dumps(wf)
    assert FAST.dumps(wf) == text
    check_same_state(wf, parsed)
    restored = FAST.loads(text, parsed, None)
    [again] = restored.get_tasks(state=TaskState.READY)
    assert again.data["shared"] is not again.parent.data["shared"]    # a copy, as DeepMerge.merge makes


def test_a_task_dict_the_registry_does_not_know_fails_as_in_the_library() -> None:
    wf, parsed = _linear()
    [task] = wf.get_tasks(state=TaskState.READY)
    task.data["odd"] = {"typename": "NoSuchType", "value": 1}   # a registry restore of this fails
    text = LIBRARY.dumps(wf)
    for serializer in (FAST, LIBRARY):
        with pytest.raises(TypeError):
            serializer.loads(text, parsed, None)


def test_uuids_are_read_as_the_constructor_reads_them() -> None:
    for text in ["12345678-1234-5678-1234-567812345678", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
                 "00000000-0000-0000-0000-000000000000", "{12345678-1234-5678-1234-567812345678}",
                 "urn:uuid:12345678-1234-5678-1234-567812345678", "12345678123456781234567812345678"]:
        fast = spiff_seam._uuid(text)
        assert (type(fast), fast, fast.is_safe, str(fast), hash(fast)) == (UUID, UUID(text), UUID(text).is_safe,
                                                                              str(UUID(text)), hash(UUID(text)))
    for bad in ["12345678-1234-5678-1234-56781234567g", "1234567-81234-5678-1234-567812345678x", ""]:
        with pytest.raises(ValueError):
            spiff_seam._uuid(bad)


def test_the_fast_path_is_taken_only_for_the_librarys_task_converter() -> None:
    for dialect in ("spiff", "camunda"):
        assert spiff_seam.fast_tasks(FAST.spec_registry(dialect))
    registry = SimpleNamespace(typenames={}, convert_to_dict={}, convert_from_dict={})
    assert not spiff_seam.fast_tasks(registry)
