"""One small test per SpiffWorkflow internal the engine uses (engine/runtime/spiff_seam.py):
each fails when the library changes under it. On a SpiffWorkflow upgrade, run these first.
(``create_event_task`` is covered by the pinned signature of ``_create_task`` in HOOKS.)"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.runtime import spiff_seam

ROOT = Path(__file__).resolve().parents[2]
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def _model(body: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="{BPMN}" id="d" '
            f'targetNamespace="t"><bpmn:process id="p" isExecutable="true">{body}</bpmn:process></bpmn:definitions>')


LINEAR = _model('<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
                '<bpmn:userTask id="task"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>'
                '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
                '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>'
                '<bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end"/>')
MULTI = LINEAR.replace('<bpmn:userTask id="task">', '<bpmn:userTask id="task"><bpmn:multiInstanceLoopCharacteristics>'
                       '<bpmn:loopCardinality>3</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>')


def _workflow(xml: str) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(xml.encode())
    wf = BpmnWorkflow(parser.get_spec("p"))
    wf.do_engine_steps()
    return wf


def _ready(wf: BpmnWorkflow) -> Any:
    return wf.get_tasks(state=TaskState.READY)[0]


def _resolve(path: str) -> Any:
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
            break
        except ImportError:
            continue
    for part in parts[i:]:
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("name", sorted(spiff_seam.COPIED))
def test_library_code_we_mirror_is_unchanged(name: str) -> None:
    """If this fails, SpiffWorkflow changed code we copied: re-read it against our version
    (the second element of COPIED), adapt ours, then pin the new hash."""
    pinned, ours = spiff_seam.COPIED[name]
    assert hashlib.sha256(inspect.getsource(_resolve(name)).encode()).hexdigest() == pinned, f"re-check {ours}"


@pytest.mark.parametrize("cls", sorted(spiff_seam.HOOKS))
def test_the_protected_hooks_we_override_still_exist(cls: str) -> None:
    for method, params in spiff_seam.HOOKS[cls].items():
        assert list(inspect.signature(getattr(_resolve(cls), method)).parameters)[1:] == params, method


def test_spawned_branches_are_added_predicted_and_updated() -> None:
    """add_child + predict + update, as CycleTimerEventDefinition.update_task uses them."""
    wf = _workflow(LINEAR)
    [start] = [t for t in wf.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id == "start"]
    before = {t.id for t in start.children}
    spiff_seam.spawn_cycle_branches(start)
    [new] = [t for t in start.children if t.id not in before]
    assert new.parent is start and new.id in wf.tasks and new.task_spec.bpmn_id == "task"
    assert new.state == TaskState.READY                           # updated: its parent is complete
    assert [c.task_spec.bpmn_id for c in new.children] == ["end"]  # predicted


def test_added_outputs_are_future_and_predicted_not_updated() -> None:
    """add_child + predict, for a cycle timer's catching event that fires once."""
    wf = _workflow(LINEAR)
    task = _ready(wf)
    for child in list(task.children):
        task.children = [c for c in task.children if c is not child]
    spiff_seam.add_outputs(task)
    [new] = task.children
    assert new.task_spec.bpmn_id == "end" and new.state == TaskState.FUTURE and new.id in wf.tasks


def test_add_child_keeps_the_given_state() -> None:
    wf = _workflow(LINEAR)
    task = _ready(wf)
    child = spiff_seam.add_child(task, task.task_spec.outputs[0], TaskState.FUTURE)
    assert child.state == TaskState.FUTURE and child in task.children


def test_force_state_moves_back_where_the_public_setter_refuses() -> None:
    task = _ready(_workflow(LINEAR))
    spiff_seam.force_state(task, TaskState.ERROR)
    with pytest.raises(WorkflowException):
        task.state = TaskState.READY
    spiff_seam.force_state(task, TaskState.READY)
    assert task.state == TaskState.READY


def test_make_ready_readies_a_waiting_task() -> None:
    task = _ready(_workflow(LINEAR))
    spiff_seam.force_state(task, TaskState.WAITING)
    spiff_seam.make_ready(task)
    assert task.state == TaskState.READY


def test_mark_complete_completes_a_workflow_without_its_end_event() -> None:
    wf = _workflow(LINEAR)
    task = _ready(wf)
    task.data["x"] = 1
    spiff_seam.mark_complete(wf, task)
    assert wf.completed and wf.data.get("x") == 1


PARALLEL = _model('<bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>'
                  '<bpmn:userTask id="a"/><bpmn:userTask id="b"/><bpmn:endEvent id="ea"/><bpmn:endEvent id="eb"/>'
                  '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>'
                  '<bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="a"/>'
                  '<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="b"/>'
                  '<bpmn:sequenceFlow id="f3" sourceRef="a" targetRef="ea"/>'
                  '<bpmn:sequenceFlow id="f4" sourceRef="b" targetRef="eb"/>')


def test_override_join_check_decides_when_the_end_join_fires() -> None:
    """Without the override the end join waits for the other branch; with a check that lets it
    pass, the workflow completes although task b is still open."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(PARALLEL.encode())
    spec = parser.get_spec("p")
    wf = BpmnWorkflow(spec)
    wf.do_engine_steps()
    [a] = [t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_id == "a"]
    a.run()
    wf.do_engine_steps()
    assert not wf.completed
    asked: list[Any] = []

    def check(_self: Any, my_task: Any) -> bool:
        asked.append(my_task)
        return True

    spiff_seam.override_join_check(spec.end, check)
    spiff_seam.override_join_check(spec.end, check)      # idempotent
    [join] = [t for t in wf.get_tasks(state=TaskState.WAITING) if t.task_spec is spec.end]
    spiff_seam.update(join)
    wf.do_engine_steps()
    assert asked and wf.completed


def test_inherit_data_merges_the_parents_data() -> None:
    task = _ready(_workflow(LINEAR))
    task.parent.data = {"a": 1, "b": {"c": 2}}
    task.data = {"b": {"d": 3}}
    spiff_seam.inherit_data(task)
    assert task.data == {"a": 1, "b": {"c": 2, "d": 3}}


def test_instances_lists_the_multi_instance_children() -> None:
    wf = _workflow(MULTI)
    [mi] = [t for t in wf.get_tasks(state=TaskState.STARTED) if t.task_spec.bpmn_id == "task"]
    assert len(spiff_seam.instances(mi.task_spec, mi)) == 3


def test_retype_only_to_a_subclass() -> None:
    definition = CycleTimerEventDefinition("t", "R2/PT1H")
    sub = type("Sub", (CycleTimerEventDefinition,), {})
    spiff_seam.retype(definition, sub)
    assert type(definition) is sub and definition.expression == "R2/PT1H"
    with pytest.raises(TypeError):
        spiff_seam.retype(definition, dict)


def test_mix_in_makes_one_subclass_per_mixin_and_class_and_applies_once() -> None:
    class First:
        pass

    class Second:
        pass

    a, b = CycleTimerEventDefinition("a", "R2/PT1H"), CycleTimerEventDefinition("b", "R3/PT1H")
    spiff_seam.mix_in(a, First, "First")
    spiff_seam.mix_in(b, First, "First")
    assert type(a) is type(b) and type(a).__qualname__ == "FirstCycleTimerEventDefinition"
    assert type(a).__name__ == "CycleTimerEventDefinition"   # the kind the engine shows and checks stays
    assert isinstance(a, First) and a.expression == "R2/PT1H"
    mixed = type(a)
    spiff_seam.mix_in(a, First, "First")   # has it already: unchanged
    assert type(a) is mixed
    c = CycleTimerEventDefinition("c", "R4/PT1H")
    spiff_seam.mix_in(c, Second, "Second")   # another mixin on the same class: its own subclass
    assert isinstance(c, Second) and not isinstance(c, First)


def test_encoder_mode_gives_what_serialize_json_writes_and_resets_the_flag() -> None:
    wf = _workflow(LINEAR)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    library = json.loads(serializer.serialize_json(wf))
    library.pop(serializer.VERSION_KEY)
    with spiff_seam.encoder_mode(serializer) as encoder:
        ours = json.loads(json.dumps(serializer.to_dict(wf), cls=encoder))
    assert ours == library
    assert serializer.registry._encoder_mode is False


def test_nothing_outside_the_seam_touches_the_librarys_private_names() -> None:
    """engine/runtime: a private attribute read on anything but ``self``/``cls`` is only allowed
    in spiff_seam.py (lxml's ``etree._Element`` type and ``super()`` hook calls aside)."""
    found = []
    for path in sorted((ROOT / "engine" / "runtime").glob("*.py")):
        if path.name == "spiff_seam.py" or path.name.startswith("_safe"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute):
                continue
            private = node.attr.startswith("_") and not node.attr.startswith("__")
            if not (private or node.attr == "__class__"):
                continue
            value = node.value
            if isinstance(value, ast.Name) and value.id in ("self", "cls"):
                continue
            if node.attr == "_Element" or (isinstance(value, ast.Call) and getattr(value.func, "id", "") in
                                            ("super",)) or ast.unparse(node).startswith("exc.__class__"):
                continue
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert found == []


def test_camunda_multi_instance_builds_the_camunda_loop_for_another_parser() -> None:
    from SpiffWorkflow.camunda.specs.multiinstance_task import SequentialMultiInstanceTask

    from engine.runtime.parsing import SourceFile, parse_bundle

    model = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             id="d" targetNamespace="t">
  <process id="p" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <serviceTask id="t" camunda:type="external" camunda:topic="x">
      <multiInstanceLoopCharacteristics isSequential="true" camunda:collection="${liste}" camunda:elementVariable="e"/>
    </serviceTask>
    <sequenceFlow id="f2" sourceRef="t" targetRef="e1"/><endEvent id="e1"/>
  </process>
</definitions>"""
    spec = parse_bundle([SourceFile("m.bpmn", model)]).processes["p"].spec
    [loop] = [s for s in spec.task_specs.values() if getattr(s, "bpmn_id", None) == "t"
              and isinstance(s, SequentialMultiInstanceTask)]
    assert loop.data_output.bpmn_id == "liste" and loop.output_item.bpmn_id == "e"


@pytest.fixture
def spiff_loggers_quiet() -> Any:
    """SpiffWorkflow's loggers at WARNING (as the engine's logging leaves them), restored after."""
    loggers = [logging.getLogger(name) for name in spiff_seam.LOG_EXTRAS_LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    yield
    for lg, level in zip(loggers, levels):
        lg.setLevel(level)


def test_log_extras_are_not_built_for_records_nobody_logs(spiff_loggers_quiet: None) -> None:
    spiff_seam.lazy_log_extras()
    wf = _workflow(LINEAR)
    task = _ready(wf)
    assert task.collect_log_extras() == {} and wf.collect_log_extras() == {}
    assert task.collect_log_extras() is not task.collect_log_extras()   # a fresh dict: callers update it
    with spiff_seam.library_log_extras():   # the library's own, as bench/engine.py's raw SpiffWorkflow runs
        assert task.collect_log_extras()["task_spec"] == "task" and wf.collect_log_extras()["workflow_spec"] == "p"
    assert task.collect_log_extras() == {}


def test_state_names_are_looked_up_once_and_are_the_librarys() -> None:
    from SpiffWorkflow.util.task import TaskState

    spiff_seam.lazy_log_extras()
    with spiff_seam.library_log_extras():
        library = {state: TaskState.get_name(state) for state in range(0, 512)}
        assert TaskState.__dict__["get_name"].__func__.__qualname__ == "TaskState.get_name"
    assert {state: TaskState.get_name(state) for state in range(0, 512)} == library
    # the engine's: no dict of all names built per call (the library's builds one every time)
    assert TaskState.__dict__["get_name"].__func__.__qualname__ != "TaskState.get_name"
    assert TaskState.get_name(TaskState.READY) == "READY"


def test_log_extras_are_the_librarys_when_a_spiff_logger_logs(spiff_loggers_quiet: None,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    spiff_seam.lazy_log_extras()
    wf = _workflow(LINEAR)
    task = _ready(wf)
    with caplog.at_level(logging.INFO, logger="spiff.task"):
        task.run()
        assert task.collect_log_extras()["task_spec"] == "task"
    changed = [r for r in caplog.records if r.name == "spiff.task" and r.getMessage().startswith("State changed")]
    assert changed and all(getattr(r, "task_spec", None) for r in changed)
    with caplog.at_level(logging.INFO, logger="spiff.data"):   # any of the library's loggers
        assert wf.collect_log_extras()["workflow_spec"] == "p"


PARALLEL_JOIN = _model(
    '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
    '<bpmn:parallelGateway id="split"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>fa</bpmn:outgoing>'
    '<bpmn:outgoing>fb</bpmn:outgoing></bpmn:parallelGateway>'
    '<bpmn:userTask id="a"><bpmn:incoming>fa</bpmn:incoming><bpmn:outgoing>fa2</bpmn:outgoing></bpmn:userTask>'
    '<bpmn:userTask id="b"><bpmn:incoming>fb</bpmn:incoming><bpmn:outgoing>fb2</bpmn:outgoing></bpmn:userTask>'
    '<bpmn:parallelGateway id="join"><bpmn:incoming>fa2</bpmn:incoming><bpmn:incoming>fb2</bpmn:incoming>'
    '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:parallelGateway>'
    '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>'
    '<bpmn:sequenceFlow id="fa" sourceRef="split" targetRef="a"/>'
    '<bpmn:sequenceFlow id="fb" sourceRef="split" targetRef="b"/>'
    '<bpmn:sequenceFlow id="fa2" sourceRef="a" targetRef="join"/>'
    '<bpmn:sequenceFlow id="fb2" sourceRef="b" targetRef="join"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="join" targetRef="end"/>')


def _run_parallel() -> list[list[tuple[str, str]]]:
    """The task states after each step of PARALLEL_JOIN (both branches completed in turn)."""
    wf = _workflow(PARALLEL_JOIN)
    seen = []
    for name in ("a", "b"):
        [task] = [t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.name == name]
        task.run()
        seen.append(sorted((t.task_spec.name, TaskState.get_name(t.state)) for t in wf.get_tasks()))
        wf.do_engine_steps()
        seen.append(sorted((t.task_spec.name, TaskState.get_name(t.state)) for t in wf.get_tasks()))
    assert wf.completed
    return seen


def test_waiting_tasks_are_updated_as_the_library_does_and_not_looked_for_when_none_waits(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import SpiffWorkflow.workflow as library_workflow

    spiff_seam.lazy_log_extras()
    walks = []
    iterator = library_workflow.TaskIterator

    def counted(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("state") == TaskState.WAITING:
            walks.append(1)
        return iterator(*args, **kwargs)

    monkeypatch.setattr(library_workflow, "TaskIterator", counted)
    with spiff_seam.library_log_extras():   # the library's own, as bench/engine.py's raw SpiffWorkflow runs
        library, library_walks = _run_parallel(), len(walks)
    walks.clear()
    ours = _run_parallel()
    assert ours == library
    assert ("join", "WAITING") in {s for states in ours for s in states}   # a join did wait and was updated
    assert 0 < len(walks) < library_walks   # the library's walk only while a task waits
    linear = _workflow(LINEAR)
    walks.clear()
    _ready(linear).run()
    linear.do_engine_steps()
    assert linear.completed and walks == []
