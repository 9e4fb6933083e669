"""The one place that touches SpiffWorkflow's internals.

SpiffWorkflow 3.2.0 has no public API for a few things the engine must do (grow the task tree
when an event sub-process or a re-armed boundary event starts, force a task's state, rebuild a
spec's class with our behaviour, serialise without a shared flag being flipped by someone
else). Each such use is a function here, and tests/unit/test_spiff_seam.py has a small test per
function that fails when the library changes under it. Where the library has a public way
(``Task.parent``/``Task.children`` setters, ``Task.internal_data``, ``serializer.from_dict``),
the rest of the engine uses that instead.

Logic we copied from the library (a step layer without its crash in engine.runtime.stepping,
timer parsing in engine.runtime.specs) is pinned by the hash of the library's source in
``COPIED``: the test fails when the original changes, so the copy is re-read on every upgrade.

The protected hooks our task-spec mixins override (``_update_hook``, ``_on_complete_hook`` ...)
are SpiffWorkflow's documented extension points; ``HOOKS`` lists them and the test checks
that they still exist with the signatures we override.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import types
from collections.abc import Callable, Iterator
from copy import copy
from typing import Any
from uuid import UUID, SafeUUID

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow as _BpmnBaseWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow as _Workflow

HOOKS = {  # class path -> protected methods our subclasses override (their parameters, without self)
    "SpiffWorkflow.specs.base.TaskSpec": {
        "_update_hook": ["my_task"], "_on_ready_hook": ["my_task"], "_on_complete_hook": ["my_task"],
        "_on_cancel": ["my_task"], "_run_hook": ["my_task"],
    },
    "SpiffWorkflow.bpmn.specs.mixins.script_task.ScriptEngineTask": {"_execute": ["task"]},
    "SpiffWorkflow.bpmn.specs.mixins.service_task.ServiceTask": {"_execute": ["task"]},
    "SpiffWorkflow.bpmn.parser.event_parsers.EventDefinitionParser": {
        "_create_task": ["event_definition", "cancel_activity", "parallel"]},
    "SpiffWorkflow.bpmn.parser.TaskParser.TaskParser": {"_add_multiinstance_task": ["loop_characteristics"]},
}

_TIMER = "SpiffWorkflow.bpmn.specs.event_definitions.timer."
_CONVERTERS = "SpiffWorkflow.bpmn.serializer.default."
_HELPERS = "SpiffWorkflow.bpmn.serializer.helpers."
_ITER = "SpiffWorkflow.bpmn.util.task."
COPIED = {  # library function -> (sha256 of its source when we mirrored it, where our version lives)
    "SpiffWorkflow.bpmn.workflow.BpmnWorkflow._do_engine_steps": (
        "1c52d09d52f7203845c6af36d555ad851b57b26a294c7da6f2a4f73b04a3082f", "engine.runtime.stepping.engine_steps"),
    _TIMER + "TimeDateEventDefinition.has_fired": (
        "919a32f7b56f51c0b3f0a6afb5f80b60de5d2058ecd4fb876c8b90fa00b19e04", "engine.runtime.specs.ClockTimeDate"),
    _TIMER + "DurationTimerEventDefinition.has_fired": (
        "c78bee4e63b01fbc88df51edb4304a04bbe5f85069c719e3173676a102355ae4", "engine.runtime.specs.ClockDuration"),
    _TIMER + "CycleTimerEventDefinition.cycle_complete": (
        "14378cef17d054897792ac627ebdf663fab780c451905c4587966c3a100aabaf", "engine.runtime.specs.ClockCycle"),
    _TIMER + "CycleTimerEventDefinition.update_task": (
        "6cd859500eddae74f5ebd8ca1d8247a0f5178f1373f5a25d6ab2f6cd2d7291af", "spawn_cycle_branches (here)"),
    _TIMER + "TimerEventDefinition.parse_iso_recurring_interval": (
        "a6cd84f8353b1abcce319535727eba4b6dab818ce59031dd3bb0dfabaff947af", "engine.runtime.specs._parse_cycle"),
    "SpiffWorkflow.bpmn.specs.mixins.unstructured_join.UnstructuredJoin._run_hook": (
        "2618569c760d44dbde7204b269c15a7b9c4df82dd738e1cf3c68ba0f70e2c43a", "join_arrivals (here)"),
    "SpiffWorkflow.bpmn.parser.task_parsers.SubprocessParser.get_subprocess_spec": (
        "6fd37bee4d8fab8ff7b1a6ac9507634d8f963f08e149cabde91ecc15a6286188", "subprocess_spec (here)"),
    "SpiffWorkflow.camunda.parser.task_spec.SubWorkflowParser.create_task": (
        "27a2f7749fce9790078fa75bae7085794024b889842caadd7513ad078665514e", "engine.runtime.specs.CamundaSubWorkflowParser"),
    "SpiffWorkflow.camunda.specs.multiinstance_task.update_task_spec": (
        "fd064228fc45d4c6824de990f097ec3b5b7904a756e38779c5c74561b2c0d74a",
        "update_loop_without_element_variable (here)"),
    # the case state's task dicts, written and read without the registry's per-value dispatch
    _CONVERTERS + "workflow.TaskConverter.to_dict": (
        "57df7a1f9901725a42e0a5aaaa4a72c5f84cd9457d5117e956789301d53e422a", "tasks_to_dict (here)"),
    _CONVERTERS + "workflow.TaskConverter.from_dict": (
        "6d7592fdb21c813b33f657a15d016c5662f9a64ea6882f59abdd0a2622a04906", "tasks_from_dict (here)"),
    _CONVERTERS + "workflow.WorkflowConverter.to_dict": (
        "9b9ed4a33506f58469a91dbe8c39b17ea78d221d22df2e8f383e36958aa89d99", "workflow_to_dict (here)"),
    _CONVERTERS + "workflow.BpmnSubWorkflowConverter.to_dict": (
        "8ff42ad3b02d0aeab77ef4a98edbce019845e03c02a53bb78a72c604d1baea24",
        "engine.runtime.serialization.CalledSubWorkflowConverter"),
    _HELPERS + "bpmn_converter.BpmnConverter.mapping_to_dict": (
        "42b3d465748beec331b038d765f4affab78e94544355fb4d4e1a1a67ae0f9a74", "tasks_to_dict (here)"),
    _HELPERS + "bpmn_converter.BpmnConverter.mapping_from_dict": (
        "9a52064a381d6782459f03213184a9e5e63741c879600465c84d7a9c18d64bbc", "tasks_from_dict (here)"),
    _HELPERS + "registry.DefaultRegistry.convert": (
        "e6917e21f46e9d0cbe3ed81f7341e59e81819a42f4e5705c661a0dd6eeb63a31", "tasks_to_dict (here)"),
    _HELPERS + "registry.DefaultRegistry._convert_for_encoder": (
        "b813d8d073f5a49e9b1c06f8010e2475216986f0e129d094b571fc08bfd0c25f", "tasks_to_dict (here)"),
    _HELPERS + "dictionary.DictionaryConverter.restore": (
        "a239b954d7a50764fa31d79a71054805d34c4d8dbad03c925fdecc8c327f2d78", "restore_data (here)"),
    _HELPERS + "dictionary.DictionaryConverter._obj_to_dict": (
        "552c4911ad296538390d45bee4e2f006bda725bf612cb50f46ff1a887d715b11", "tasks_to_dict (here)"),
    "SpiffWorkflow.util.deep_merge.DeepMerge.merge": (
        "b629957b3d77fa379a4c6dc72876974b82f45a0045df31665e8b0b2b4b023323", "tasks_from_dict (here)"),
    "SpiffWorkflow.util.deep_merge.DeepMerge.get_updated_keys": (
        "691095e6aad0724dccd189e40dacc420f4ebf96ffe6b19777888b3570d12784d", "tasks_to_dict (here)"),
    "SpiffWorkflow.util.deep_merge.DeepMerge.get_deleted_keys": (
        "8167a1cedb32344ae3b563a9241179df21db452b7ad499b3b2538c307bf3f09a", "tasks_to_dict (here)"),
    "SpiffWorkflow.task.Task.parent.fget": (
        "70a7622fce2f348b827b9011259b83904502c862fe8fecb2c5bfa3669d3bf2d6", "tasks_to_dict, tasks_from_dict (here)"),
    # a workflow's tasks in some states, without the iterator's per-task method calls
    _ITER + "BpmnTaskIterator._next": (
        "344c7da965a176ec1e07452c583168ab4e264881dfe86b5350b11ec9b2cc5f43", "tasks_in_state (here)"),
    _ITER + "BpmnTaskIterator.__init__": (
        "d2e1aaf4d8328c22ac1e3aa41353afad849c7ddd49ab65571b5f25ab790fb101", "tasks_in_state (here)"),
    _ITER + "BpmnTaskFilter.matches": (
        "08e50e44d4836004f261a3833bf0aba527276bfd21c836c564d0b3c5c7264b25", "tasks_in_state (here)"),
    "SpiffWorkflow.util.task.TaskIterator.__init__": (
        "86cd5292d76b19c4f1ffbb9efc56de284dca2a55cdda874767661bd1d393b140", "tasks_in_state (here)"),
    "SpiffWorkflow.util.task.TaskIterator.__next__": (
        "e022469d2efe5d1ccd55899e147a03b40b3dac28af781b65fb7b7639b91b458a", "tasks_in_state (here)"),
    "SpiffWorkflow.util.task.TaskIterator._update_depth": (
        "b018c506c9b027fe5819d49e53f859fa3113a7a17001b8c1234224dbafce169f", "tasks_in_state (here)"),
    "SpiffWorkflow.util.task.TaskIterator._handle_leaf_depth": (
        "d873a71707f4a5c6a21e07b5d0f6f494d1e039eb562a10e68e68b512e6095af6", "tasks_in_state (here)"),
    "SpiffWorkflow.util.task.TaskFilter.matches": (
        "a495446080b6cf4e02b0f91b0f7bf5e658974e3316b6f559328e1047890761a6", "tasks_in_state (here)"),
    "SpiffWorkflow.workflow.Workflow.get_tasks": (
        "7dc3413faeb71c5cf478e60c04de5739f361eea2c8c3b9eadf9d1b5948137ac6", "tasks_in_state (here)"),
    "SpiffWorkflow.bpmn.util.subworkflow.BpmnBaseWorkflow.get_tasks_iterator": (
        "d238edf6a8b16727570dcdccb0266bf0113ca633131778c8cac0f2465d9559d1", "tasks_in_state (here)"),
}


def add_child(task: Any, task_spec: Any, state: int = TaskState.FUTURE) -> Any:
    """A new child of ``task`` for ``task_spec`` (the library grows its tree this way)."""
    return task._add_child(task_spec, state)


def spawn_cycle_branches(task: Any) -> None:
    """One new branch per outgoing flow of a cycle timer's task, as the library's
    ``CycleTimerEventDefinition.update_task`` does when a cycle completes."""
    for output in task.task_spec.outputs:
        child = add_child(task, output, TaskState.FUTURE)
        predict(child)
        update(child)


def add_outputs(task: Any) -> None:
    """Children of ``task`` for its outgoing flows (FUTURE, predicted), as a task spec's own
    prediction makes them; a cycle timer's catching event makes none (``CatchingEvent._predict_hook``)."""
    for output in task.task_spec.outputs:
        predict(add_child(task, output, TaskState.FUTURE))


def update(task: Any) -> None:
    """Let the task's spec re-evaluate the task (``TaskSpec._update``): ready it, or keep it waiting."""
    task.task_spec._update(task)


def predict(task: Any, mask: int = TaskState.NOT_FINISHED_MASK) -> None:
    """Predict the task's outgoing path (``TaskSpec._predict``), as the library does for a new branch."""
    task.task_spec._predict(task, mask=mask)


def make_ready(task: Any) -> None:
    """Ready a waiting task whose event we decided has fired (``Task._ready``: READY, then the
    spec's ready hooks, which take a catching event out of the event manager)."""
    task._ready()


def force_state(task: Any, state: int) -> None:
    """Set a state the public ``Task.state`` setter refuses (it only moves forward)."""
    task._set_state(state)


def mark_complete(workflow: Any, last_task: Any) -> None:
    """Complete a workflow whose end event will never run (``BpmnWorkflow._mark_complete``)."""
    workflow._mark_complete(last_task)


def override_join_check(join_spec: Any, check: Callable[[Any, Any], bool]) -> None:
    """Replace how an unstructured join (a scope's end join) decides that it may fire
    (``UnstructuredJoin._check_threshold_unstructured(my_task)``), for this spec object only."""
    current = join_spec.__dict__.get("_check_threshold_unstructured")
    if not (isinstance(current, types.MethodType) and current.__func__ is check):
        join_spec._check_threshold_unstructured = types.MethodType(check, join_spec)


def subprocess_spec(task_parser: Any, *, several_starts: bool) -> str:
    """The spec id of a sub-process's own spec, as the library's ``SubprocessParser.get_subprocess_spec``
    (pinned in COPIED) makes it. That wants exactly one start event; with ``several_starts`` (an
    event sub-process of a Flowable model, engine.runtime.event_subprocesses) it allows several:
    the library's process parser builds a spec with several start events, as for a process."""
    from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
    from SpiffWorkflow.bpmn.parser.task_parsers import SubprocessParser

    if not several_starts:
        return str(SubprocessParser.get_subprocess_spec(task_parser))
    if not task_parser.xpath("./bpmn:endEvent"):
        raise ValidationException("A SubWorkflow Must contain an End event", node=task_parser.node,
                                  file_name=task_parser.filename)
    task_parser.process_parser.parser.create_parser(task_parser.node, filename=task_parser.filename,
                                                    lane=task_parser.lane)
    spec_id = task_parser.node.get("id")
    task_parser.process_parser.parser.process_parsers[spec_id].parent = task_parser.process_parser
    return str(spec_id)


def update_loop_without_element_variable(loop_spec: Any, my_task: Any) -> None:
    """What the library's Camunda ``update_task_spec`` (pinned in COPIED) does for a collection
    loop, for one without an element variable (where the library reads the missing variable's
    name and fails with an AttributeError): the collection is the loop's input and no instance
    gets an item variable. The caller then runs the BPMN loop's own ``_update_hook``."""
    from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference
    from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin

    if my_task.state != TaskState.WAITING:
        BpmnSpecMixin._update_hook(loop_spec, my_task)
        my_task._set_state(TaskState.WAITING)
    loop_spec.data_input = TaskDataReference(loop_spec.data_output.bpmn_id)
    loop_spec.input_item = None


def join_arrivals(join_spec: Any, my_task: Any) -> list[Any]:
    """The join's task instances a firing join merges, in the order the library merges them
    (``UnstructuredJoin._run_hook``, pinned in COPIED): the other finished instances of the
    join by their last state change, then the firing one."""
    others = [t for t in my_task.workflow.tasks.values()
              if t.task_spec == join_spec and t.has_state(TaskState.FINISHED_MASK) and not my_task.is_descendant_of(t)]
    return [*sorted(others, key=lambda t: t.last_state_change), my_task]


@contextlib.contextmanager
def after_inherit(task: Any, hook: Callable[[Any], None]) -> Iterator[None]:
    """Inside, every merge of the parent's data into ``task`` (``Task._inherit_data``, which a
    spec's update hook runs first, before an event definition spawns a cycle's branch from the
    task's data) is followed by ``hook(task)``."""
    original = task._inherit_data

    def inherit() -> None:
        original()
        hook(task)

    task._inherit_data = inherit
    try:
        yield
    finally:
        del task._inherit_data


def inherit_data(task: Any) -> None:
    """Merge the parent's data into the task (``Task._inherit_data``)."""
    task._inherit_data()


def instances(multi_instance_spec: Any, task: Any) -> list[Any]:
    """The child instances of a multi-instance task (``MultiInstanceTask._instances``)."""
    return list(multi_instance_spec._instances(task))


def create_event_task(parser: Any, event_definition: Any) -> Any:
    """The task spec an event parser builds for ``event_definition`` (``TaskParser._create_task``)."""
    return parser._create_task(event_definition)


def camunda_multi_instance(parser: Any, loop_characteristics: Any) -> None:
    """Build ``parser``'s multi-instance task as SpiffWorkflow's Camunda task parser does
    (camunda:collection, camunda:elementVariable, loopCardinality), for a parser of another class."""
    from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser

    CamundaTaskParser._add_multiinstance_task(parser, loop_characteristics)


def retype(obj: Any, subclass: type) -> None:
    """Give a parsed spec object our subclass of its class (mixins with our behaviour). Safe
    because specs are re-parsed from the stored sources, never serialised by us; the subclass
    must add no state of its own beyond attributes the caller sets."""
    if not issubclass(subclass, type(obj)):
        raise TypeError(f"{subclass.__name__} is not a subclass of {type(obj).__name__}")
    obj.__class__ = subclass


_MIXED: dict[tuple[type, type], type] = {}


def mix_in(obj: Any, mixin: type, prefix: str) -> None:
    """Put ``mixin`` in front of the class of the parsed spec object ``obj`` (see :func:`retype`):
    a subclass made once per mixin and class. It keeps the class's name, which says the BPMN
    kind of the element where the engine shows or checks it (case modification: a user task
    with a listener is still a "UserTask"); ``prefix`` goes into its qualified name. Nothing
    happens if the object has the mixin already (a spec shared by several processes of a
    deployment is prepared once each)."""
    cls = type(obj)
    if issubclass(cls, mixin):
        return
    key = (mixin, cls)
    if key not in _MIXED:
        _MIXED[key] = type(cls.__name__, (mixin, cls),
                           {"__module__": mixin.__module__, "__qualname__": f"{prefix}{cls.__qualname__}"})
    retype(obj, _MIXED[key])


@contextlib.contextmanager
def encoder_mode(serializer: Any) -> Iterator[Any]:
    """The registry in the mode ``serialize_json`` uses (values converted lazily by the JSON
    encoder); yields the encoder class. The flag is shared by every thread: callers hold a lock."""
    registry = serializer.registry
    registry._encoder_mode = True
    try:
        yield serializer._encoder_cls
    finally:
        registry._encoder_mode = False


# The loggers SpiffWorkflow logs the records with these extras to (task.py and specs/Transform.py:
# spiff.task; workflow.py: spiff.workflow; bpmn/specs/data_spec.py: spiff.data).
LOG_EXTRAS_LOGGERS = ("spiff.task", "spiff.workflow", "spiff.data")
_LIBRARY_LOG_EXTRAS: dict[type, Callable[..., dict[str, Any]]] = {}
_log_extras_lock = threading.Lock()


def lazy_log_extras() -> None:
    """Build the extra fields of SpiffWorkflow's log records only when a record can be logged.

    The library computes ``extra=task.collect_log_extras()`` before it calls the logger, also
    when the logger drops the record: a dict per task state change (the state's name, the
    parent's id ...) and, for every new workflow, a list of all its task ids (a walk of its
    tree: ``spiff.workflow`` has no level of its own, so ``logger.level < 20`` holds). That
    was about a quarter of the library's CPU time per case of bench/engine.py's model. Here
    ``Task.collect_log_extras`` and ``Workflow.collect_log_extras`` give the library's extras
    whenever one of LOG_EXTRAS_LOGGERS would log at INFO (a record at DEBUG needs that too),
    and an empty dict otherwise, when every record they are built for is dropped unread.
    Idempotent; the library's own methods stay in _LIBRARY_LOG_EXTRAS (:func:`library_log_extras`).
    Installs the other cuts of the library's per-step cost with it (get_name, update_waiting_tasks)."""
    from SpiffWorkflow.task import Task
    from SpiffWorkflow.workflow import Workflow

    loggers = [logging.getLogger(name) for name in LOG_EXTRAS_LOGGERS]
    with _log_extras_lock:
        for cls in (Task, Workflow):
            if cls in _LIBRARY_LOG_EXTRAS:
                continue
            library = cls.collect_log_extras

            def extras(self: Any, dct: dict[str, Any] | None = None,
                       _library: Callable[..., dict[str, Any]] = library) -> dict[str, Any]:
                for logger in loggers:   # (a loop: no generator per call, the library calls this per state change)
                    if logger.isEnabledFor(logging.INFO):
                        return _library(self, dct)
                return {}

            _LIBRARY_LOG_EXTRAS[cls] = library
            setattr(cls, "collect_log_extras", extras)
        _name_states_once()
        _update_waiting_only_when_waiting()


# The library's Workflow.update_waiting_tasks walks the workflow's whole task tree (its
# TaskIterator: several method calls and a list copy per task) after every task that completes,
# to update the WAITING tasks it finds. Most completions happen while no task of the workflow
# waits: a look at the states of its tasks (every task of its tree is in ``workflow.tasks``)
# decides that first. When one does wait, the library's walk runs as before.
_LIBRARY_UPDATE_WAITING: list[Callable[[Any], None]] = []


def _update_waiting_only_when_waiting() -> None:
    if _LIBRARY_UPDATE_WAITING:
        return
    library = _Workflow.update_waiting_tasks
    waiting = TaskState.WAITING

    def update_waiting_tasks(self: Any) -> None:
        for task in self.tasks.values():
            if task._state & waiting:
                library(self)
                return

    _LIBRARY_UPDATE_WAITING.append(library)
    setattr(_Workflow, "update_waiting_tasks", update_waiting_tasks)


# The library's TaskState.get_name builds a dict of every state's name on each call, and Task's
# _set_state calls it for the message of every state change (an f-string: also when the record
# is dropped). A state's name never changes: each is looked up once.
_LIBRARY_STATE_NAMES: list[Callable[[int], str]] = []


def _name_states_once() -> None:
    from SpiffWorkflow.util.task import TaskState

    if _LIBRARY_STATE_NAMES:
        return
    library = TaskState.get_name
    names: dict[int, str] = {}

    def get_name(cls: type, state: int) -> str:
        try:
            return names[state]
        except (KeyError, TypeError):   # TypeError: not hashable; the library says what it makes of it
            name: str = library(state)
            if isinstance(state, int):
                names[state] = name
            return name

    _LIBRARY_STATE_NAMES.append(library)
    setattr(TaskState, "get_name", classmethod(get_name))


@contextlib.contextmanager
def library_log_extras() -> Iterator[None]:
    """The library's own ``collect_log_extras``, ``TaskState.get_name`` and ``Workflow.update_waiting_tasks`` inside
    the block (bench/engine.py measures raw SpiffWorkflow as shipped); not for use while cases are stepped in other
    threads."""
    from SpiffWorkflow.util.task import TaskState

    installed = {cls: cls.__dict__["collect_log_extras"] for cls in _LIBRARY_LOG_EXTRAS}
    our_names = TaskState.__dict__["get_name"]
    our_update = _Workflow.__dict__["update_waiting_tasks"]
    for cls, library in _LIBRARY_LOG_EXTRAS.items():
        setattr(cls, "collect_log_extras", library)
    if _LIBRARY_STATE_NAMES:
        setattr(TaskState, "get_name", classmethod(_LIBRARY_STATE_NAMES[0].__func__))  # type: ignore[attr-defined]
    if _LIBRARY_UPDATE_WAITING:
        setattr(_Workflow, "update_waiting_tasks", _LIBRARY_UPDATE_WAITING[0])
    try:
        yield
    finally:
        for cls, ours in installed.items():
            setattr(cls, "collect_log_extras", ours)
        setattr(TaskState, "get_name", our_names)
        setattr(_Workflow, "update_waiting_tasks", our_update)


# ------------------------------------------------------------------ the case state's task dicts
# The library's serializer turns every task into a dict through its registry: a lookup of the
# task's class, a partial, a converter method, ``Task.parent`` (a lookup by UUID) twice,
# ``str(UUID)`` four times, the registry's conversion of each data dict. These functions make
# the same dicts (same keys in the same order, the same values) for what a case state holds:
# tasks of the class ``Task`` converted by the library's ``TaskConverter`` (pinned in COPIED).
# Anything else goes through the registry as before.


def fast_tasks(registry: Any) -> bool:
    """Whether tasks_to_dict and tasks_from_dict mirror what this registry does: the library's
    DefaultRegistry (its encoder-mode conversion, its restore) with the library's TaskConverter
    for tasks, and no conversion registered for plain dicts."""
    from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
    from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry

    if type(registry) is not DefaultRegistry or dict in registry.typenames or Task not in registry.typenames:
        return False
    typename = registry.typenames[Task]
    # register() keeps partial(_obj_to_dict, typename, to_dict) and partial(_obj_from_dict, from_dict)
    bound = [getattr(registry.convert_to_dict.get(typename), "args", (None,))[-1],
             getattr(registry.convert_from_dict.get(typename), "args", (None,))[-1]]
    converters = {getattr(method, "__self__", None) for method in bound}
    return len(converters) == 1 and all(type(c) is TaskConverter and c.target_class is Task for c in converters)


def encoding(registry: Any) -> bool:
    """Whether the registry is in the encoder mode ``serialize_json`` uses (see encoder_mode)."""
    return bool(registry._encoder_mode)


def workflow_to_dict(converter: Any, workflow: Any) -> dict[str, Any]:
    """``WorkflowConverter.to_dict`` (pinned in COPIED) of our workflow converters, with
    tasks_to_dict for its tasks when the registry is in encoder mode."""
    registry = converter.registry
    if not (encoding(registry) and converter.fast_tasks):
        from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter

        return WorkflowConverter.to_dict(converter, workflow)  # type: ignore[no-any-return]
    return {
        "data": registry.convert(registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": tasks_to_dict(registry, workflow.tasks),
        "root": str(workflow.task_tree.id),
    }


def tasks_to_dict(registry: Any, tasks: dict[Any, Any]) -> dict[str, Any]:
    """``mapping_to_dict(workflow.tasks)`` in the registry's encoder mode: per task of the class
    ``Task`` what ``TaskConverter.to_dict`` returns plus the typename (``_obj_to_dict``), its
    data as ``DeepMerge.get_updated_keys``/``get_deleted_keys`` find it against the parent's
    (the values themselves are left to the JSON encoder, as the library leaves them)."""

    typename = registry.typenames[Task]
    convert, clean = registry.convert, registry.clean
    # str(UUID) once per task id: by the object (the ids a task's parent and children refer to
    # are usually its id objects: the library's _add_child and tasks_from_dict share them), else
    # by value. Every object remembered by id() is referred to by a task, alive until the end.
    by_value = {key: str(key) for key in tasks}
    texts = {id(key): found for key, found in by_value.items()}

    def text(uuid: Any) -> str:
        found = texts.get(id(uuid))
        if found is None:
            found = by_value.get(uuid)
            if found is None:
                found = by_value[uuid] = str(uuid)
            texts[id(uuid)] = found
        return found

    out: dict[str, Any] = {}
    for key, task in tasks.items():
        if type(task) is not Task:
            out[texts[id(key)]] = convert(task)
            continue
        parent_id = task._parent
        parent = task.workflow.tasks.get(parent_id)   # Task.parent
        if parent is None:
            data, delta = task.data, {}
        else:
            a, b = parent.data, task.data
            data = {}
            delta = {"updates": {k: b[k] for k in b if k not in a or b[k] != a[k]},
                     "deletions": [k for k in a if k not in b]}
        internal = task.internal_data
        out[texts[id(key)]] = {
            "id": text(task.id),
            "parent": text(parent_id) if parent is not None else None,
            "children": [text(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": clean(internal) if type(internal) is dict else convert(internal),
            "data": data,
            "delta": delta,
            "typename": typename,
        }
    return out


def tasks_from_dict(converter: Any, tasks: dict[str, Any], workflow: Any) -> dict[Any, Any]:
    """``mapping_from_dict(tasks, UUID, workflow=workflow)``: ``TaskConverter.from_dict`` for each
    task dict the registry would give to it, the registry for any other; the data of a task
    whose parent is restored before it from the parent's data and its delta (``DeepMerge.merge``
    into an empty dict: a copy of each mutable value), as the library does. Equal task ids
    become one UUID object."""
    registry = converter.registry
    if not converter.fast_tasks:
        return converter.mapping_from_dict(tasks, UUID, workflow=workflow)  # type: ignore[no-any-return]
    typename = registry.typenames[Task]
    uuids: dict[str, UUID] = {}

    def uuid(text: str) -> UUID:
        found = uuids[text] = _uuid(text)
        return found

    specs, top = workflow.spec.task_specs, workflow.top_workflow
    waiting = TaskState.WAITING
    out: dict[Any, Any] = {}
    for key, dct in tasks.items():
        if type(dct) is not dict or dct.get("typename") != typename:
            out[uuids.get(key) or uuid(key)] = registry.restore(dct, workflow=workflow)
            continue
        task_spec = specs.get(dct["task_spec"])
        task = Task(workflow, task_spec, state=dct["state"], id=uuids.get(dct["id"]) or uuid(dct["id"]))
        parent_id = dct["parent"]
        task._parent = (uuids.get(parent_id) or uuid(parent_id)) if parent_id is not None else None
        task._children = [uuids.get(child) or uuid(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = restore_data(registry, dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(waiting):
            top.event_manager.add_task(task)
        delta: Any = dct.get("delta")
        parent = workflow.tasks.get(task._parent) if delta else None   # Task.parent
        if parent is not None:
            data = {k: copy(v) if isinstance(v, (dict, list, set)) else v for k, v in parent.data.items()}
            data.update(restore_data(registry, delta.get("updates", {})))
            for name in delta.get("deletions", {}):
                if name in data:
                    del data[name]
        else:
            data = restore_data(registry, dct["data"])
        task.data = data
        out[uuids.get(key) or uuid(key)] = task
    return out


def _uuid(text: str) -> UUID:
    """``UUID(text)``; for the canonical form str(UUID) writes (8-4-4-4-12 hex digits) without
    the constructor's checks for other spellings, which take most of its time."""
    if len(text) == 36 and text[8] == text[13] == text[18] == text[23] == "-":
        digits = text.replace("-", "")
        if len(digits) == 32:
            value: UUID = object.__new__(UUID)
            object.__setattr__(value, "int", int(digits, 16))   # as UUID.__init__ sets its slots
            object.__setattr__(value, "is_safe", _UNKNOWN)
            return value
    return UUID(text)


def restore_data(registry: Any, value: Any) -> Any:
    """``registry.restore(value)`` (DictionaryConverter.restore) for data read from JSON: dicts
    and lists rebuilt, a dict with a typename handed to the registry (which restores UUIDs,
    dates ... or fails as it does), anything else that is not plain JSON too."""
    kind = type(value)
    if kind is dict:
        if "typename" in value:
            return registry.restore(value)
        return {k: v if type(v) in _PLAIN else restore_data(registry, v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _PLAIN else restore_data(registry, v) for v in value]
    if kind in _PLAIN:
        return value
    return registry.restore(value)


_PLAIN = frozenset({str, int, float, bool, type(None)})
_UNKNOWN = SafeUUID.unknown


# ------------------------------------------------------------------ a workflow's tasks by state


def tasks_in_state(workflow: Any, state: int) -> list[Any]:
    """``workflow.get_tasks(state=state)``: the tasks ``BpmnTaskIterator`` (pinned in COPIED)
    yields from the workflow's root with a filter on the state only (every other filter value
    matches any task), in its order: depth first, sub-workflows of unfinished activities
    before the activity's children, not below a task in a state before ``min_state``, at
    most 1000 levels deep (the depth counted as the iterator counts it). The same work without
    the iterator's method calls per task and its list copies (a stack instead of a list it
    prepends to and pops from the front)."""
    cls = type(workflow)
    if cls.get_tasks is not _Workflow.get_tasks or cls.get_tasks_iterator is not _BpmnBaseWorkflow.get_tasks_iterator:
        return workflow.get_tasks(state=state)  # type: ignore[no-any-return]
    if state & TaskState.PREDICTED_MASK:
        min_state = TaskState.MAYBE
    elif state & TaskState.DEFINITE_MASK:
        min_state = TaskState.FUTURE
    else:
        min_state = TaskState.COMPLETED
    skip_finished = state <= TaskState.FINISHED_MASK
    finished = TaskState.FINISHED_MASK
    found: list[Any] = []
    stack = [workflow.task_tree]   # the iterator's task_list, reversed: its first task is the last here
    depth = 0
    # every task the walk reaches belongs to a workflow below the same top workflow (the walk
    # only reads): its sub-workflows looked up once, and not at all when it has none
    subprocesses = workflow.top_workflow.subprocesses
    while stack:
        task = stack.pop()
        subprocess = subprocesses.get(task.id) if subprocesses else None
        if (task._children or subprocess is not None) and (task.state >= min_state or subprocess is not None) \
                and depth < 1000 and task.task_spec.name is not None:
            tasks = task.workflow.tasks   # task.children, without the property's calls per task
            if subprocess is None or (task.state >= finished and skip_finished):
                stack.extend([tasks.get(child) for child in reversed(task._children)])
            else:
                stack.extend(reversed([subprocess.task_tree, *[tasks.get(child) for child in task._children]]))
            depth += 1
        elif stack:
            ancestor = stack[-1].parent
            current = task.parent
            while current is not None and current != ancestor:
                current = current.parent
                depth -= 1
        if task._state & state and task.last_state_change >= 0:
            found.append(task)
    return found
