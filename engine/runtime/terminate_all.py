"""Flowable's ``terminateAll="true"``: a terminate end event that ends the whole case (every
level: embedded sub-processes, called processes, the top process), not only its own level.

SpiffWorkflow's terminate end event cancels the tasks of its own (sub-)workflow and marks
that one complete, so the enclosing level goes on. :func:`attach` gives one parsed end-event
spec a subclass whose completion then does the same for the top workflow. Specs are never
serialised (they are re-parsed from the stored source), so the class swap is safe.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.util.task import TaskState
from engine.runtime import spiff_seam

_CLASSES: dict[type, type] = {}


def _terminate_all(self: Any, my_task: Any) -> None:
    super(type(self), self)._on_complete_hook(my_task)
    top = my_task.workflow.top_workflow
    if top is my_task.workflow:
        return
    for task in top.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        task.cancel()
    spiff_seam.mark_complete(top, my_task)


def attach(task_spec: Any) -> None:
    """Make this end event's terminate reach the top workflow."""
    base = type(task_spec)
    if base in _CLASSES.values():
        return
    if base not in _CLASSES:
        _CLASSES[base] = type(f"TerminateAll{base.__name__}", (base,), {"_on_complete_hook": _terminate_all})
    spiff_seam.retype(task_spec, _CLASSES[base])
