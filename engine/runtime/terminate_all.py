"""Flowable's ``terminateAll="true"``: a terminate end event that ends the whole case (every
level: embedded sub-processes, called processes, the top process), not only its own level.

Flowable's ``terminateMultiInstance="true"``: the terminate end event ends its own level (one
instance of a multi-instance sub-process, or a process a multi-instance call activity called)
and then every other instance of that activity, which completes: the flow goes on after it,
as when a completion condition holds (:mod:`engine.runtime.multi_instance` reads the mark
:data:`TERMINATED` the end event leaves on the multi-instance task). Without a multi-instance
activity right above its level it is a plain terminate, as in Flowable.

SpiffWorkflow's terminate end event cancels the tasks of its own (sub-)workflow and marks
that one complete, so the enclosing level goes on. :func:`attach` gives one parsed end-event
spec a subclass whose completion then does the same for the top workflow. Specs are never
serialised (they are re-parsed from the stored source), so the class swap is safe.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.util.task import TaskState
from engine.runtime import spiff_seam

_CLASSES: dict[type, type] = {}
_MI_CLASSES: dict[type, type] = {}
TERMINATED = "terminate_multi_instance"   # internal data of a multi-instance task: an instance ended them all


def _base_hook(self: Any, hook: Any) -> Any:
    """The ``_on_complete_hook`` below the class that put ``hook`` in (``super(type(self), ...)``
    would loop when a later mixin subclasses that class, as engine.runtime.shared_scope does)."""
    for cls in type(self).__mro__:
        if cls.__dict__.get("_on_complete_hook") is hook:
            return getattr(super(cls, self), "_on_complete_hook")
    raise TypeError(f"{type(self).__name__} has no {hook.__name__}")


def _terminate_all(self: Any, my_task: Any) -> None:
    _base_hook(self, _terminate_all)(my_task)
    top = my_task.workflow.top_workflow
    if top is my_task.workflow:
        return
    for task in top.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        task.cancel()
    spiff_seam.mark_complete(top, my_task)


def attach(task_spec: Any) -> None:
    """Make this end event's terminate reach the top workflow."""
    base = type(task_spec)
    if any(cls in _CLASSES.values() for cls in base.__mro__):   # (also when another mixin wrapped it since)
        return
    if base not in _CLASSES:
        _CLASSES[base] = type(f"TerminateAll{base.__name__}", (base,), {"_on_complete_hook": _terminate_all})
    spiff_seam.retype(task_spec, _CLASSES[base])


def _terminate_multi_instance(self: Any, my_task: Any) -> None:
    _base_hook(self, _terminate_multi_instance)(my_task)   # a terminate of its own level
    workflow = my_task.workflow
    if workflow is workflow.top_workflow:
        return
    holder = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
    loop = holder.parent if holder is not None else None
    if loop is not None and isinstance(loop.task_spec, MultiInstanceTask) and \
            holder.task_spec.name == loop.task_spec.task_spec:
        loop.internal_data[TERMINATED] = True


def attach_multi_instance(task_spec: Any) -> None:
    """Make this end event's terminate end every instance of the multi-instance activity it runs in."""
    base = type(task_spec)
    if any(cls in _MI_CLASSES.values() for cls in base.__mro__):
        return
    if base not in _MI_CLASSES:
        _MI_CLASSES[base] = type(f"TerminateMultiInstance{base.__name__}", (base,),
                                 {"_on_complete_hook": _terminate_multi_instance})
    spiff_seam.retype(task_spec, _MI_CLASSES[base])
