"""Interrupting event sub-processes, which SpiffWorkflow runs as non-interrupting.

SpiffWorkflow starts an event sub-process beside the flow it belongs to and never looks at
the start event's ``isInterrupting`` (default true in BPMN): the interrupted flow went on.
When the start event of an interrupting event sub-process completes, :func:`interrupt`
cancels every unfinished task of the enclosing workflow except the event sub-process
itself and what follows it, as BPMN prescribes.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.util.task import TaskIterator, TaskState
from engine.runtime import spiff_seam

__all__ = ["complete_if_finished", "interrupt"]


def interrupt(task: Any) -> bool:
    """Called for every completed task; True if it interrupted its enclosing flow. Only start
    events of interrupting event sub-processes carry ``interrupting`` (set by the parser)."""
    if not getattr(task.task_spec, "interrupting", False):
        return False
    sub = task.workflow
    parent_id = getattr(sub, "parent_task_id", None)
    if parent_id is None:
        return False
    holder = sub.top_workflow.get_task_from_id(parent_id)
    if holder is None:
        return False
    if not holder.state & TaskState.NOT_FINISHED_MASK:  # itself interrupted by an earlier trigger
        return False
    keep = {holder.id, *(t.id for t in holder)}          # the event sub-process and what follows it
    keep.update(a.id for a in _ancestors(holder))
    for other in holder.workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        if other.workflow is holder.workflow and other.id not in keep and other.state & TaskState.NOT_FINISHED_MASK:
            other.cancel()
    return True


def complete_if_finished(wf: Any) -> bool:
    """An interrupting event sub-process at process level ends the case when it ends. Its
    path joins SpiffWorkflow's end join, whose task went with the interrupted flow, so the
    workflow's End never runs: a workflow with no unfinished task left is complete, with the
    data of the task that finished last."""
    if wf.completed or wf.last_task is None:
        return False
    if next(iter(TaskIterator(wf.task_tree, state=TaskState.NOT_FINISHED_MASK)), None) is not None:
        return False
    spiff_seam.mark_complete(wf, wf.last_task)
    return True


def _ancestors(task: Any) -> list[Any]:
    found = []
    current = task.parent
    while current is not None:
        found.append(current)
        current = current.parent
    return found
