"""Interrupting event sub-processes, which SpiffWorkflow runs as non-interrupting.

SpiffWorkflow starts an event sub-process beside the flow it belongs to and never looks at
the start event's ``isInterrupting`` (default true in BPMN): the interrupted flow went on.
When the start event of an interrupting event sub-process completes, :func:`interrupt`
cancels every unfinished task of the enclosing scope instance (the process, an embedded
sub-process, a called process) except the event sub-process itself and what follows it, as
BPMN prescribes, and marks the scope as interrupted (its other event sub-processes are no
longer offered). Tasks outside that scope are not touched.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.util.task import TaskIterator, TaskState

from engine.runtime import spiff_seam
from engine.runtime.event_subprocesses import INTERRUPTED

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
    scope = holder.workflow
    scope.task_tree.internal_data[INTERRUPTED] = True
    keep = {holder.id, *(t.id for t in holder)}          # the event sub-process and what follows it
    keep.update(a.id for a in _ancestors(holder))
    for other in list(scope.tasks.values()):
        if other.id not in keep and other.state & TaskState.NOT_FINISHED_MASK:
            other.cancel()
    return True


def complete_if_finished(wf: Any) -> bool:
    """A scope instance whose interrupting event sub-process has ended ends with it. Its path
    joins SpiffWorkflow's end join, whose task went with the interrupted flow, so the scope's
    End never runs: an interrupted scope with no unfinished task left is complete, with the
    data of the task that finished last (a sub-workflow's enclosing activity then goes on)."""
    done = False
    for sub in sorted(wf.subprocesses.values(), key=lambda s: s.depth, reverse=True):
        if _finished(sub):
            spiff_seam.mark_complete(sub, sub.last_task)
            sub.completed_event(sub)
            done = True
    if _finished(wf, marked=False):
        spiff_seam.mark_complete(wf, wf.last_task)
        done = True
    return done


def _finished(wf: Any, marked: bool = True) -> bool:
    if wf.completed or wf.last_task is None or (marked and not wf.task_tree.internal_data.get(INTERRUPTED)):
        return False
    return next(iter(TaskIterator(wf.task_tree, state=TaskState.NOT_FINISHED_MASK)), None) is None


def _ancestors(task: Any) -> list[Any]:
    found = []
    current = task.parent
    while current is not None:
        found.append(current)
        current = current.parent
    return found
