"""Parallel branches merge what they changed, not their whole copies (issue 11).

In Camunda 7 (and in BPMN, where process data is the process's) every branch of a parallel or
inclusive split writes to the same process variables: a status one branch sets stays set when
the other branch, a clerk's task say, completes later. SpiffWorkflow 3.2.0 gives each branch a
copy of the data at the split and merges the copies at the join in the order the branches
arrived, whole: the last branch's copy, which still held the value from before the split, put
that value back (``status`` set to "geprueft" by a script in one branch was "neu" again after a
user task in the other branch completed).

Here a join (engine.runtime.branch_join) takes the data at the split (the branches' nearest common task) and lays over it,
in the order the branches arrived, only the variables each branch changed there: a variable two
branches changed keeps the later arrival's value, as the later write wins in Camunda. The
library's own merge runs first (it also prunes finished branches) and is then replaced.

Before the join, too, a branch sees what another branch wrote, as every branch reads the one
process scope in Camunda 7: when a task completes, the variables it changed (against the task
it came from) are copied into every task of the case that is still open in another branch:
tasks ready to run, tasks waiting (user tasks, catch events, a join's waiting arrival) and
running sub-processes with the open tasks inside them. A clerk's task in branch b whose form
or gateway reads a status a script set in branch a sees the new status, and a non-interrupting
boundary or event sub-process branch's writes reach the task they are attached to. Names local
to the writer (input mappings of it or of the sub-processes around it, a sequential loop's
counters and element variable) are not copied, nor into a task where they are local (there
the write replaces the case's value the local covers, which comes back when the local scope
ends). A called
process is a scope of its own: nothing is copied into it or out of it. Every open task holds
the current value of what was copied, so the branches' later completions and the merge at the
join keep it. Only processes where branches can run side by side (a split with more than one
outgoing path other than an exclusive gateway, an event sub-process, a cycle timer) get this.

A removal (``del x`` in a Python script, ``execution.removeVariable('x')``) is a change like a
write: a variable the task had from the task it came from (or that another branch wrote into
it) and no longer holds is removed from every open task of the other branches, and a join
removes it where the branch that removed it arrived later than the last write (SpiffWorkflow's
merge never removes, so the other branches' copies brought it back). The later write or
removal wins: a task that sets a variable again after another branch removed it (to the value
it had at the split, too) has changed it. An open task records the removals it was told in its
internal data (:data:`REMOVED`, {name: time}) beside the writes (:data:`SHARED`): an additive
key, which states stored before it lack (no removal told), so the case-state format stays 3.

Known limits: writes inside a parallel multi-instance loop's instances are shared among the
instances by engine.runtime.shared_scope and reach other branches when the loop completes.
"""

from __future__ import annotations

import time
from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask, ParallelMultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from engine.runtime import loop_index, spiff_seam
from engine.runtime.branch_join import REMOVED, SHARED, MergedJoin
from engine.runtime.io_mapping import INPUTS, SHADOWED, enclosing_chain, enclosing_task
from engine.runtime.variable_aggregation import Aggregating

__all__ = ["attach", "changes", "removals", "share"]

OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_GONE = object()   # what a task was told of a removed name (see :func:`_told`)


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and bool(a == b)


def _loop_instances(task: Any) -> list[Any]:
    """The multi-instance loop tasks whose instances ``task`` runs in, innermost first (through
    embedded sub-processes, up to its process)."""
    loops = []
    for holder in enclosing_chain(task):
        current = holder
        while current is not None and current.parent is not None:
            parent = current.parent
            if isinstance(parent.task_spec, MultiInstanceTask) and current.task_spec.name == parent.task_spec.task_spec:
                loops.append(parent)
            current = parent
    return loops


def _local_names(task: Any) -> set[str]:
    """Names local to ``task``: its and its enclosing sub-processes' input mappings, and the
    counters and element variable of the loop instances it runs in (up to its process)."""
    names: set[str] = set()
    for holder in enclosing_chain(task):
        names.update(holder.internal_data.get(INPUTS) or ())
    for loop in _loop_instances(task):
        names.update(loop_index.loop_locals(loop.task_spec))
        names.update(ref.bpmn_id for ref in (loop.task_spec.input_item, loop.task_spec.output_item) if ref is not None)
    return names


def _keeps_writes(task: Any) -> bool:
    """Whether what ``task`` writes stays inside a loop for now: in a parallel loop's instance
    (shared among the instances by engine.runtime.shared_scope, or kept per instance by
    Flowable's variable aggregation) or a sequential loop's with aggregation."""
    return any(isinstance(loop.task_spec, (ParallelMultiInstanceTask, Aggregating)) for loop in _loop_instances(task))


def _call_scope(task: Any) -> Any:
    """The call activity task whose called process ``task`` runs in (None: the case's process)."""
    chain = enclosing_chain(task)
    return enclosing_task(chain[-1])


def _told(task: Any) -> dict[str, Any]:
    """What other branches told the open ``task``: name -> the value written, or ``_GONE``."""
    told = {name: entry[0] for name, entry in (task.internal_data.get(SHARED) or {}).items()}
    told.update(dict.fromkeys(task.internal_data.get(REMOVED) or (), _GONE))
    return told


def changes(task: Any, told: dict[str, Any] | None = None) -> dict[str, Any]:
    """The variables ``task`` changed against the task it came from (the sub-process task
    around it for the first task of a sub-process), without the names local to it; with
    ``told`` (:func:`_told`), also a variable it set again after another branch removed it or
    set back after another branch wrote it (to the value the task it came from holds)."""
    source = task.parent if task.parent is not None else enclosing_task(task)
    if source is None:
        return {}
    base, told = source.data, told or {}
    found = {n: v for n, v in task.data.items() if n not in base or not _same(base[n], v)
             or (n in told and (told[n] is _GONE or not _same(told[n], v)))}
    if found:
        for name in _local_names(task):
            found.pop(name, None)
    return found


def removals(task: Any, told: dict[str, Any] | None = None) -> set[str]:
    """The variables ``task`` removed: held by the task it came from (within its process) or
    written into it by another branch, and no longer held; not a removal it was told of, nor
    a name local to it."""
    told = told or {}
    if task.parent is None:
        return set()
    held = {*task.parent.data, *(n for n, v in told.items() if v is not _GONE)}
    gone = {n for n in held if n not in task.data and told.get(n) is not _GONE}
    return gone - _local_names(task) if gone else gone


def _open_tasks(task: Any) -> list[Any]:
    top = task.workflow.top_workflow
    workflows = [top, *top.subprocesses.values()]
    return [t for workflow in workflows for t in workflow.tasks.values() if t.state & OPEN]


def share(task: Any, told: dict[str, Any] | None = None) -> None:
    """Copy what ``task`` changed into every open task of its process in another branch, and
    remove there what it removed (``told``: what other branches had told it, :func:`_told`)."""
    try:
        if _keeps_writes(task):
            return
        found = changes(task, told)
        gone = removals(task, told)
        if not found and not gone:
            return
        scope = _call_scope(task)
    except TaskNotFoundException:
        return   # the writer runs in a sub-workflow whose activity is gone from the tree (being dropped)
    now = time.time()   # SpiffWorkflow's clock for a task's last_state_change
    for other in _open_tasks(task):
        # (an open task the writer descends from is included: a cycle timer spawns its next
        # branch from its own data, a sequential loop its next instance)
        if other is task:
            continue
        try:
            if _call_scope(other) is not scope:
                continue
            local = _local_names(other)
        except TaskNotFoundException:
            continue   # a sub-workflow whose activity is gone from the tree (being dropped): nothing to tell
        for name, value in found.items():
            if name in local:
                _cover(other, name, value)
                continue
            if not (name in other.data and _same(other.data[name], value)):
                other.data[name] = deepcopy(value)
            # kept to be laid over again when it re-inherits (a waiting task is updated again
            # while it waits) and, with the time of the copy, for a join's merge
            other.internal_data.setdefault(SHARED, {})[name] = [deepcopy(value), now]
            (other.internal_data.get(REMOVED) or {}).pop(name, None)
        for name in gone:
            _remove(other, name, local, now)


def _remove(task: Any, name: str, local: set[str], now: float) -> None:
    """Another branch removed ``name``: from ``task`` (kept, with the time, for the same reasons
    as a copied write), or, where ``name`` is local to it, from the case's value its local covers."""
    if name in local:
        holders = [h for h in enclosing_chain(task) if name in (h.internal_data.get(INPUTS) or ())]
        if holders:   # the outermost local scope then drops the name instead of putting a value back
            (holders[-1].internal_data.get(SHADOWED) or {}).pop(name, None)
        return
    task.data.pop(name, None)
    (task.internal_data.get(SHARED) or {}).pop(name, None)
    task.internal_data.setdefault(REMOVED, {})[name] = now


def _cover(task: Any, name: str, value: Any) -> None:
    """``name`` is local to ``task`` (an input mapping of it or of a sub-process around it):
    the case's value it covers, put back when that local scope ends, becomes ``value``."""
    holders = [h for h in enclosing_chain(task) if name in (h.internal_data.get(INPUTS) or ())]
    if holders:   # the outermost local scope puts the case's value back
        holders[-1].internal_data.setdefault(SHADOWED, {})[name] = deepcopy(value)


def _lay_over(task: Any) -> None:
    """After ``task`` merged its parent's data in: what other branches copied into it, where
    the parent's (older) value came back, not where the task holds a value of its own."""
    parent = task.parent.data if task.parent is not None else {}
    for name, (value, _at) in (task.internal_data.get(SHARED) or {}).items():
        if name not in task.data or (name in parent and _same(task.data[name], parent[name])):
            task.data[name] = deepcopy(value)
    for name in task.internal_data.get(REMOVED) or ():
        if name in task.data and name in parent and _same(task.data[name], parent[name]):
            del task.data[name]


class SharedWrites:
    """Mixin for the task specs of a process whose branches can run side by side: a completed
    task's changes reach the open tasks of the other branches (joins merge instead)."""

    def _update_hook(self, my_task: Any) -> Any:
        """A waiting task is updated again while it waits, and SpiffWorkflow then merges its
        parent's (older) data into it: what other branches wrote is laid over again at once
        (a cycle timer spawns its next branch from the task's data in the same update)."""
        if not (my_task.internal_data.get(SHARED) or my_task.internal_data.get(REMOVED)):
            return super()._update_hook(my_task)  # type: ignore[misc]
        with spiff_seam.after_inherit(my_task, _lay_over):
            return super()._update_hook(my_task)  # type: ignore[misc]

    def _on_cancel(self, my_task: Any) -> None:
        # A cancelled task stays in the stored tree: it drops what it was told, unless it is
        # a join's waiting arrival, which the next arrival cancels and whose firing merge reads
        # what it was told (MergedJoin, which then drops it).
        if not isinstance(self, UnstructuredJoin):
            my_task.internal_data.pop(SHARED, None)
            my_task.internal_data.pop(REMOVED, None)
        super()._on_cancel(my_task)  # type: ignore[misc]

    def _on_complete_hook(self, my_task: Any) -> None:
        told = _told(my_task)
        my_task.internal_data.pop(SHARED, None)
        my_task.internal_data.pop(REMOVED, None)
        super()._on_complete_hook(my_task)  # type: ignore[misc]
        if not isinstance(self, UnstructuredJoin):   # a join's data is the merge of writes shared already
            share(my_task, told)


def _concurrent(specs: list[Any]) -> bool:
    """Whether branches of these process specs can run side by side."""
    for spec in specs:
        start = getattr(spec, "start", None)
        if getattr(start, "event_triggers", None) or getattr(start, "trigger_specs", None):
            return True   # event sub-processes (engine.runtime.event_subprocesses)
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, EventSubprocess):
                return True
            if isinstance(getattr(task_spec, "event_definition", None), CycleTimerEventDefinition):
                return True   # each firing of a cycle timer starts a branch of its own
            if len(task_spec.outputs) > 1 and not isinstance(task_spec, ExclusiveGateway):
                return True
    return False


def attach(specs: list[Any]) -> None:
    """Give every join of these process specs the merge of changes and, where branches can run
    side by side, every task the sharing of its writes."""
    concurrent = _concurrent(specs)
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, UnstructuredJoin):
                spiff_seam.mix_in(task_spec, MergedJoin, "Merged")
            if concurrent:
                spiff_seam.mix_in(task_spec, SharedWrites, "Sharing")
