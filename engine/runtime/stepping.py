"""One layer of engine steps, as ``BpmnWorkflow._do_engine_steps`` does it, minus its crash.

SpiffWorkflow 3.2.0 lists the active sub-workflows once, then steps each and looks up its
parent task. When a task of one sub-workflow interrupts another (an interrupting boundary
event on a multi-instance sub-process, say), that other sub-workflow and its parent task are
gone by the time their turn comes, and the library raises TaskNotFoundException: the case
failed although the model is fine. Here a sub-workflow removed meanwhile is skipped, and a
task cancelled meanwhile is not run.

An interrupted multi-instance activity drops its instances from the task tree, but SpiffWorkflow
keeps their sub-workflows (a cancelled activity's ``_on_cancel`` would remove them; dropped
children get none): such an orphan is removed before its turn and stops between two of its
tasks, so the instances after the one that threw an error caught by the activity's boundary
event never run (they threw the error again, with nothing left to catch it: an incident).
"""

from __future__ import annotations

from typing import Any, Callable

from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState
from engine.runtime import spiff_seam
from engine.runtime.event_subprocesses import subscribe_scope
from engine.runtime.shared_scope import is_instance
from engine.runtime.skip_expressions import skipped

__all__ = ["drop_orphan_waits", "engine_steps"]


def _any_ready(workflow: Any) -> bool:
    """Whether a task that ``workflow.get_tasks(state=READY)`` could find is READY. That walk
    visits the workflow's tree and the sub-workflows below it, each one of the top workflow's
    ``subprocesses``; every task it reaches is in its workflow's ``tasks``. The last round of
    every step finds nothing ready: a look at the tasks' states is far cheaper than the walk."""
    for wf in (workflow, *workflow.top_workflow.subprocesses.values()):
        for task in wf.tasks.values():
            if task.state == TaskState.READY:
                return True
    return False


def _run_ready(workflow: Any, did_complete: Callable[[Any], None], blocked: set[int]) -> int:
    if not _any_ready(workflow):
        return 0
    count = 0
    for task in spiff_seam.tasks_in_state(workflow, TaskState.READY):   # workflow.get_tasks(state=READY)
        if task.state != TaskState.READY:   # cancelled by an earlier task of this round
            continue
        if count and not _alive(workflow):   # an earlier task's event interrupted an activity around it
            break
        if task.task_spec.manual and not skipped(task):   # a person's task (a skipped one runs through)
            continue
        if id(task.workflow) in blocked:   # its scope could not subscribe (see engine_steps)
            continue
        task.run()
        count += 1
        did_complete(task)
    return count


def engine_steps(wf: Any, did_complete: Callable[[Any], None]) -> bool:
    """Run the READY engine tasks of every active sub-workflow (deepest first), then of the
    top workflow; True if anything ran or a sub-workflow was started."""
    active = [sub for sub in wf.get_active_subprocesses() if _kept(wf, sub)]
    started_with = len(wf.get_active_subprocesses())   # after the orphans went: a count that only a start raises
    # A scope instance subscribes for its event sub-processes before its activities run; when a
    # name cannot be evaluated, none of them runs (the case fails; a retry subscribes again).
    blocked = {id(sub) for sub in active if not subscribe_scope(sub)}
    if not subscribe_scope(wf):
        return False
    for sub in sorted(active, key=lambda v: v.depth, reverse=True):
        if wf.subprocesses.get(sub.parent_task_id) is not sub or id(sub) in blocked or not _kept(wf, sub):
            continue  # removed by an interruption earlier in this round, or could not subscribe
        while _run_ready(sub, did_complete, blocked) > 0:
            pass
        if sub.parent_task_id is None:
            continue
        try:
            parent = wf.get_task_from_id(sub.parent_task_id)
        except TaskNotFoundException:
            continue
        spiff_seam.update(parent)
        if parent.state == TaskState.READY and is_instance(parent):
            # Camunda completes a parallel instance as soon as its body ends: the loop merges it and
            # checks its completion condition before the next instance's body runs
            parent.run()
            did_complete(parent)
    count = _run_ready(wf, did_complete, blocked)
    return count > 0 or len(wf.get_active_subprocesses()) > started_with


def _alive(workflow: Any) -> bool:
    """Whether every activity around ``workflow`` (a sub-workflow or the top one) is still in
    the tree and not cancelled."""
    current = workflow
    while current.parent_task_id is not None:
        try:
            holder = current.top_workflow.get_task_from_id(current.parent_task_id)
        except TaskNotFoundException:
            return False
        if holder is None or holder.state == TaskState.CANCELLED:
            return False
        current = holder.workflow
    return True


def _kept(wf: Any, sub: Any) -> bool:
    """False for (and forget) a sub-workflow whose activity was dropped from the tree."""
    if _alive(sub):
        return True
    if wf.subprocesses.get(sub.parent_task_id) is sub:
        try:
            wf.get_task_from_id(sub.parent_task_id)
        except TaskNotFoundException:
            del wf.subprocesses[sub.parent_task_id]   # an orphan: nothing refers to it any more
    return False


def drop_orphan_waits(wf: Any) -> int:
    """Cancel waiting events whose enclosing sub-process is over. SpiffWorkflow leaves the
    boundary events inside the instances of a multi-instance sub-process waiting when the
    sub-process is interrupted (their subscriptions would stay and could catch messages
    for a scope that no longer exists)."""
    dropped = 0
    for task in list(wf.event_manager.tasks.values()):
        if _enclosing_scope_over(wf, task):
            wf.event_manager.remove_task(task)
            if task.state & TaskState.NOT_FINISHED_MASK:
                task.cancel()
            dropped += 1
    return dropped


def _enclosing_scope_over(wf: Any, task: Any) -> bool:
    workflow = task.workflow
    while workflow is not wf and workflow is not None:
        parent_id = workflow.parent_task_id
        try:
            holder = wf.get_task_from_id(parent_id) if parent_id is not None else None
        except TaskNotFoundException:
            return True
        if holder is None or not holder.state & TaskState.NOT_FINISHED_MASK:
            return True
        workflow = holder.workflow
    return False
