"""Parallel multi-instance instances share the case's variables, as in Camunda 7 (and in plain
BPMN, where the instances share the process's data and only their input and output data items
are their own: every dialect's parallel loops share).

In Camunda 7 the instances of a parallel multi-instance activity have local variables only
for the element variable, ``loopCounter`` (and the ``nrOf...`` counters) and what their input
mappings create; any other variable an instance sets (a script, an expression, a listener, an
output mapping, a form, a connector's answer) goes to the nearest scope that has it, else to
the process instance. The instances run one after another in one transaction, so each sees
what the ones before it wrote: five instances counting ``${x + 1}`` end at 5.

SpiffWorkflow 3.2.0 gives every instance its own copy of the data when the loop starts and
merges the copies when they complete: every instance read the value from before the loop and
the last merge won (the count ended at 1), and a waiting instance's stale copy overwrote what
an earlier instance had written.

Here the loop's task (the multi-instance task, whose data flows on after the loop) is the
shared scope of its instances. Every task of an instance (the instance's own task and, for a
sub-process body, every task inside it, nested sub-processes included; a called process is a
scope of its own) syncs with that scope around each step of its life: when it is entered,
made ready, run, completed or cancelled. A sync writes what the task changed since its last
sync to the shared scope and then takes the shared scope's current values. What it changed is
told by fingerprints: ``shared_seen`` in the task's internal data holds a short digest per
variable of the values it last synced (stored with the case, so a save/restore between two
syncs, at a wait, keeps it; state format 3). A task entered after another inherits its data
and its fingerprints together; gateways that merge branches and the loop tasks themselves
only take the shared values (what they merged was written, and synced, by the tasks before).
A nested parallel loop's scope is itself part of the enclosing loop's instance: a write
reaches every enclosing shared scope at once.

Not for a loop with Flowable's variable aggregation (:mod:`engine.runtime.variable_aggregation`):
there every instance keeps its variables to itself, as Flowable stores them on the instance.

Known limits: a variable an instance removes stays in the shared scope (Camunda removes it);
an instance that writes a value equal to the one it last synced writes nothing (Camunda would
set it again, which matters only if another instance changed it in between without this
instance syncing, which a step never allows).
"""

from __future__ import annotations

import hashlib
import json
import weakref
from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import ParallelMultiInstanceTask as ParallelLoop
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.exceptions import TaskNotFoundException

from engine.runtime import loop_index, spiff_seam
from engine.runtime.io_mapping import INPUTS, enclosing_task, in_called_process
from engine.runtime.variable_aggregation import Aggregating

__all__ = ["is_instance", "current_values", "SEEN", "SharedInstance", "attach", "sync", "scope_of", "seen_of_loop"]

SEEN = "shared_seen"   # internal data: {variable: digest of the value this task last synced}
WRITTEN = "shared_written"   # internal data of a running loop: the variables its instances wrote
LEFT = "shared_left"   # internal data while a task completes: its input mappings' names, local until it ended
_DIGESTS: weakref.WeakKeyDictionary[Any, dict[str, tuple[Any, str]]] = weakref.WeakKeyDictionary()


def digest(value: Any) -> str:
    try:
        text = json.dumps(value, sort_keys=True, default=repr, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(value)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


class Scope:
    """The shared scope of a task inside a parallel loop's instance: the loop's task, the
    instance's root task, and the names local to the instance at the task."""

    def __init__(self, loop: Any, root: Any, local: set[str], left: set[str]) -> None:
        self.loop, self.root, self.local, self.left = loop, root, local, left


def _is_call(task_spec: Any) -> bool:
    """A call activity of the model (a called process is a scope of its own). SpiffWorkflow
    builds a multi-instance sub-process's instance as a CallActivity too: the model's call
    activities are the ones with Camunda's call mapping (:mod:`engine.runtime.call_activity`)."""
    return getattr(task_spec, "call_mapping", None) is not None


def _element_variable(loop_spec: Any) -> set[str]:
    return {ref.bpmn_id for ref in (loop_spec.input_item, loop_spec.output_item) if ref is not None}


def scope_of(task: Any) -> Scope | None:
    """The innermost parallel loop whose instance ``task`` belongs to (through embedded
    sub-processes, not through a call activity), or None."""
    chain = [task]
    current = task
    while current is not None:
        parent = current.parent
        if parent is None:   # the root of a sub-workflow: go on at the sub-process task around it
            try:
                current = enclosing_task(current)
            except TaskNotFoundException:
                return None   # the sub-process around it is gone (being cancelled): nothing to share with
            if current is None or _is_call(current.task_spec):
                return None
            chain.append(current)
            continue
        spec = parent.task_spec
        if isinstance(spec, ParallelLoop) and current.task_spec.name == spec.task_spec:
            if isinstance(spec, Aggregating):
                return None   # Flowable's variable aggregation: an instance's variables stay its own
            local = loop_index.loop_locals(spec) | _element_variable(spec)
            for scoped in chain:
                local.update(scoped.internal_data.get(INPUTS) or ())
            return Scope(parent, current, local, set(task.internal_data.get(LEFT) or ()) - local)
        current = parent
    return None


def is_instance(task: Any) -> bool:
    """Whether ``task`` is an instance of a parallel loop (the loop's own child)."""
    parent = task.parent
    return parent is not None and isinstance(parent.task_spec, ParallelLoop) and \
        task.task_spec.name == parent.task_spec.task_spec


def seen_of_loop(loop: Any) -> dict[str, str]:
    """Fingerprints of the loop's (shared) data: what a new instance inherits."""
    return {name: _shared_digest(loop, name) for name in loop.data}


def _inherited_seen(task: Any, scope: Scope) -> dict[str, str] | None:
    if task is scope.root:
        return seen_of_loop(scope.loop)
    parent = task.parent
    if parent is not None and SEEN in parent.internal_data:
        return dict(parent.internal_data[SEEN])
    if parent is None or parent.parent is None:   # first task of a sub-workflow: data of the sub-process task
        holder = enclosing_task(task)
        if holder is not None and SEEN in holder.internal_data:
            return dict(holder.internal_data[SEEN])
    return None


def _write(scope: Scope, name: str, value: Any) -> None:
    """Set ``name`` in the shared scope and in every enclosing one it is not local to."""
    scope.loop.data[name] = deepcopy(value)
    written = scope.loop.internal_data.setdefault(WRITTEN, [])
    if name not in written:
        written.append(name)
    outer = scope_of(scope.loop)
    if outer is not None and name not in outer.local:
        scope.loop.internal_data.setdefault(SEEN, {})[name] = _shared_digest(scope.loop, name)
        _write(outer, name, value)


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and bool(a == b)


def _shared_digest(loop: Any, name: str) -> str:
    """The digest of the loop's value of ``name``, computed once per value (a loop's values are
    read at every sync of every instance; equality is checked far faster than a digest)."""
    cache = _DIGESTS.setdefault(loop, {})
    value = loop.data[name]
    known = cache.get(name)
    if known is not None and _same(known[0], value):
        return known[1]
    fingerprint = digest(value)
    cache[name] = (deepcopy(value), fingerprint)
    return fingerprint


def sync(task: Any, *, writes: bool = True) -> None:
    """Write what ``task`` changed since its last sync to its shared scope (unless ``writes`` is
    False: what it holds came from tasks that synced already), then take the shared values."""
    scope = scope_of(task)
    if scope is None:
        return
    outer = scope_of(scope.loop)
    if outer is not None:
        sync(scope.loop, writes=False)   # a nested loop's scope takes the enclosing one's values
    shared = scope.loop.data
    seen = task.internal_data.get(SEEN)
    if seen is None:   # state stored before format 3 (or no predecessor): what it holds counts as synced
        seen = {n: digest(v) for n, v in task.data.items() if n in shared}
    fresh: dict[str, str] = {}
    for name, value in list(task.data.items()):
        if name in scope.local:
            continue
        if name in shared and _same(value, shared[name]):
            continue   # the current value: nothing to write, taken below
        now = digest(value)
        # a local an input mapping created is dropped when the task ends, a covered outer value
        # is put back as it was when the task was entered: neither is a write
        if writes and name not in scope.left and seen.get(name) != now:
            _write(scope, name, value)
        else:
            fresh[name] = now   # a value only this task holds (no write, or one that reached no scope)
    for name, value in shared.items():
        if name in scope.local:
            continue
        if not (name in task.data and _same(task.data[name], value)):
            task.data[name] = deepcopy(value)
        fresh[name] = _shared_digest(scope.loop, name)
    task.internal_data[SEEN] = fresh


def current_values(open_tasks: list[Any]) -> dict[str, Any]:
    """The variables the instances of the running parallel loops among ``open_tasks`` wrote,
    with their current values (held by the loop's task; the outermost loop's last): what the
    case view shows over the instances' own, possibly older, copies."""
    loops = [t for t in open_tasks if t.internal_data.get(WRITTEN) and not in_called_process(t)]
    loops.sort(key=lambda t: t.workflow.depth, reverse=True)
    values: dict[str, Any] = {}
    for loop in loops:
        values.update({n: loop.data[n] for n in loop.internal_data[WRITTEN] if n in loop.data})
    return values


class SharedInstance:
    """Mixin for the task specs of a parallel loop's instances (its own task, everything inside
    a sub-process body): sync with the shared scope around every hook that may read or write."""

    def _writes_on_run(self) -> bool:
        return not isinstance(self, (UnstructuredJoin, MultiInstanceTask))

    def _update_hook(self, my_task: Any) -> Any:
        if SEEN not in my_task.internal_data:
            scope = scope_of(my_task)
            inherited = _inherited_seen(my_task, scope) if scope is not None else None
            if inherited is not None:
                my_task.internal_data[SEEN] = inherited
        result = super()._update_hook(my_task)  # type: ignore[misc]
        sync(my_task, writes=not isinstance(self, MultiInstanceTask))
        return result

    def _on_ready_hook(self, my_task: Any) -> None:
        super()._on_ready_hook(my_task)  # type: ignore[misc]
        sync(my_task, writes=not isinstance(self, MultiInstanceTask))

    def _run_hook(self, my_task: Any) -> Any:
        sync(my_task, writes=not isinstance(self, MultiInstanceTask))
        result = super()._run_hook(my_task)  # type: ignore[misc]
        sync(my_task, writes=self._writes_on_run())
        return result

    def _on_complete_hook(self, my_task: Any) -> None:
        sync(my_task, writes=not isinstance(self, MultiInstanceTask))
        mapping = getattr(self, "io_mapping", None)
        outputs = {name for name, _value in mapping.outputs} if mapping else set()
        inputs = set(my_task.internal_data.get(INPUTS) or ()) - outputs
        if inputs:
            my_task.internal_data[LEFT] = sorted(inputs)
        try:
            # a loop merges its instance inside this call (SpiffWorkflow's completed event)
            super()._on_complete_hook(my_task)  # type: ignore[misc]
            sync(my_task, writes=not isinstance(self, MultiInstanceTask))
        finally:
            my_task.internal_data.pop(LEFT, None)

    def _on_cancel(self, my_task: Any) -> None:
        super()._on_cancel(my_task)  # type: ignore[misc]
        sync(my_task, writes=not isinstance(self, MultiInstanceTask))

    def update_data(self, my_task: Any, subworkflow: Any) -> None:
        """An embedded sub-process's data comes back from its last task, which synced it: its
        fingerprints come with it (a called process's outputs are the call's own writes)."""
        super().update_data(my_task, subworkflow)  # type: ignore[misc]
        last = subworkflow.last_task
        if not _is_call(self) and last is not None and SEEN in last.internal_data:
            my_task.internal_data[SEEN] = dict(last.internal_data[SEEN])


def _bind(task_spec: Any) -> None:
    spiff_seam.mix_in(task_spec, SharedInstance, "Shared")


def _bind_body(spec: Any, subprocess_specs: dict[str, Any], done: set[str]) -> None:
    for task_spec in spec.task_specs.values():
        _bind_task(task_spec, subprocess_specs, done)


def _bind_task(task_spec: TaskSpec, subprocess_specs: dict[str, Any], done: set[str]) -> None:
    _bind(task_spec)
    if isinstance(task_spec, SubWorkflowTask) and not _is_call(task_spec):
        body = subprocess_specs.get(task_spec.spec)
        if body is not None and task_spec.spec not in done:
            done.add(task_spec.spec)
            _bind_body(body, subprocess_specs, done)


def attach(spec: Any, subprocess_specs: dict[str, Any]) -> None:
    """Bind the instance specs of every parallel loop of a process (its own spec and
    its sub-process specs), after every other behaviour is attached: the sync runs around it."""
    done: set[str] = set()
    for owner in [spec, *subprocess_specs.values()]:
        for task_spec in list(owner.task_specs.values()):
            if isinstance(task_spec, ParallelLoop) and not isinstance(task_spec, Aggregating):
                instance = owner.task_specs.get(task_spec.task_spec)
                if instance is not None:
                    _bind_task(instance, subprocess_specs, done)
