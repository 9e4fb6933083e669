"""Camunda 7's multi-instance variables in completion conditions.

A Camunda completion condition reads ``nrOfInstances``, ``nrOfCompletedInstances`` and
``nrOfActiveInstances`` (``${nrOfCompletedInstances/nrOfInstances >= 0.5}``); SpiffWorkflow
evaluates the condition on the last finished instance's data, where these names do not
exist, so such a case failed. :func:`prepare_multi_instance` makes every multi-instance
task of a spec evaluate its condition with the three counters added (for that evaluation
only: they do not become process variables). For a sequential multi-instance activity
``nrOfActiveInstances`` is 1 while instances remain, as in Camunda.

Variables an instance writes. SpiffWorkflow's Camunda multi-instance writes only the element
variable back (into the collection) and drops everything else an instance set: a service
task's connector result, a script's ``execution.setVariable``, a person's form data on a
multi-instance user task. Camunda sets such a variable in the highest scope (the case, unless
an enclosing scope has it), so the next sequential instance and the activities after the loop
see it. :func:`prepare_multi_instance` makes the Camunda dialect's multi-instance tasks merge an
instance's variables into the loop's scope when it completes, except its own local ones: the
element variable (local to each instance in Camunda; the collection is not changed) and the
counters.

``loopCounter``: each instance of a Camunda multi-instance activity sees its index (0, 1, ...)
as the local variable ``loopCounter`` (``camunda:assignee="kermit_${loopCounter}"``; Flowable's
``elementIndexVariable`` renames it, :mod:`engine.runtime.loop_index`); it is never written to
the loop's scope.

A collection without an element variable (``flowable:collection="list"`` or
``camunda:collection="${list}"`` alone: one instance per item, none of them told which):
SpiffWorkflow's Camunda multi-instance reads the element variable's name on every update and
failed with an AttributeError, for an empty collection too. Such a loop runs here with no
element variable, as in Flowable and Camunda (MultiInstanceTest.testParallelEmptyCollection).
"""

from __future__ import annotations

import types
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import (
    MultiInstanceTask, ParallelMultiInstanceTask)
from SpiffWorkflow.camunda.specs.multiinstance_task import (
    ParallelMultiInstanceTask as CamundaParallel, SequentialMultiInstanceTask as CamundaSequential)
from SpiffWorkflow.util.task import TaskState
from engine.runtime import loop_index, shared_scope, spiff_seam
from engine.runtime.terminate_all import TERMINATED

__all__ = ["prepare_multi_instance", "counters"]

COUNTERS = loop_index.COUNTERS


def counters(spec: Any, my_task: Any) -> dict[str, int]:
    merged = my_task.internal_data.get("merged", [])
    instances = spiff_seam.instances(spec, my_task)
    if isinstance(spec, ParallelMultiInstanceTask):
        total = len(instances)
        active = sum(1 for c in instances if c.state & TaskState.NOT_FINISHED_MASK)
    else:
        if spec.data_input is not None:
            total = len(merged) + len(my_task.internal_data.get("remaining", []))
        else:
            total = int(my_task.internal_data.get("cardinality", 0) or 0)
        active = 1 if len(merged) < total else 0
    return {"nrOfInstances": total, "nrOfCompletedInstances": len(merged), "nrOfActiveInstances": active}


def _check_completion_condition(self: Any, my_task: Any) -> Any:
    if my_task.internal_data.pop(TERMINATED, False):
        return True   # an instance reached a terminate end event with flowable:terminateMultiInstance
    merged = my_task.internal_data.get("merged", [])
    if not merged or self.condition is None:
        return None
    last_child = [c for c in my_task.children if str(c.id) == merged[-1]][0]
    extra = counters(self, my_task)
    saved = {k: last_child.data[k] for k in COUNTERS if k in last_child.data}
    last_child.data.update(extra)
    try:
        return my_task.workflow.script_engine.evaluate(last_child, self.condition)
    finally:
        for name in COUNTERS:
            last_child.data.pop(name, None)
        last_child.data.update(saved)


def _merge_instance_variables(self: Any, workflow: Any, child: Any) -> None:
    """An instance's variables reach the loop's scope before SpiffWorkflow's own merge (which
    then starts the next sequential instance from that scope, or checks completion). A parallel
    instance wrote to the loop's scope as it went (:mod:`engine.runtime.shared_scope`): it syncs
    what its last hooks wrote, and then holds the shared values, so merging it changes nothing
    another instance wrote meanwhile."""
    if isinstance(self, CamundaParallel):
        shared_scope.sync(child)
    index = loop_index.name_of(self)
    local = {getattr(ref, "bpmn_id", None) for ref in (self.input_item, self.output_item)} | loop_index.loop_locals(self)
    parent = child.parent
    had, before = index in parent.data, parent.data.get(index)
    for name, value in child.data.items():
        if name not in local:
            parent.data[name] = value
    type(self).merge_child(self, workflow, child)
    _restore(parent.data, index, had, before)   # SpiffWorkflow's own merge copies every variable of a counted loop


def _restore(data: dict[str, Any], index: str, had: bool, before: Any) -> None:
    if had:
        data[index] = before
    else:
        data.pop(index, None)


def _create_child_with_counter(self: Any, my_task: Any, *args: Any, **kwargs: Any) -> None:
    """The new instance inherits the loop's scope: for that moment it holds the instance's index."""
    index = loop_index.name_of(self)
    had, before = index in my_task.data, my_task.data.get(index)
    my_task.data[index] = len(spiff_seam.instances(self, my_task))
    try:
        type(self).create_child(self, my_task, *args, **kwargs)
    finally:
        _restore(my_task.data, index, had, before)


_WITHOUT_ITEM: dict[type, type] = {}


def _without_element_variable(cls: type) -> type:
    """``cls`` (a Camunda loop class) with the Camunda layer's ``_update_hook`` replaced for a
    collection without an element variable; mixins retyped on later still run around it."""
    if cls not in _WITHOUT_ITEM:
        camunda = CamundaParallel if issubclass(cls, CamundaParallel) else CamundaSequential

        def _update_hook(self: Any, my_task: Any) -> Any:
            spiff_seam.update_loop_without_element_variable(self, my_task)
            return super(camunda, self)._update_hook(my_task)

        _WITHOUT_ITEM[cls] = type(f"{cls.__name__}WithoutElementVariable", (cls,), {"_update_hook": _update_hook})
    return _WITHOUT_ITEM[cls]


def prepare_multi_instance(spec: Any) -> None:
    """Specs are shared and re-parsed, never stored: patching them at parse time is enough."""
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, MultiInstanceTask):
            task_spec.check_completion_condition = types.MethodType(_check_completion_condition, task_spec)
        if isinstance(task_spec, (CamundaParallel, CamundaSequential)):
            task_spec.merge_child = types.MethodType(_merge_instance_variables, task_spec)
            task_spec.create_child = types.MethodType(_create_child_with_counter, task_spec)
            if task_spec.cardinality is None and task_spec.output_item is None and task_spec.data_output is not None:
                spiff_seam.retype(task_spec, _without_element_variable(type(task_spec)))
