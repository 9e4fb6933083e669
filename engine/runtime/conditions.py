"""Conditional events re-evaluated when a command changes variables, as Camunda 7 does.

Camunda evaluates a waiting conditional event (intermediate catch or boundary event) again
whenever a variable of its scope is set. SpiffWorkflow evaluates it only over the data the
waiting task was given when it was reached, so a variable set in another branch (a user task
completed beside it, a message's data, a service task's answer) never reached it and the case
waited forever.

Here every command remembers the case's variables before it runs when something waits on a
condition (:func:`before`); after the command stepped, :func:`propagate` hands the variables
it changed to every waiting conditional event and the workflow is stepped again, so those
whose condition now holds fire in the same unit of work. That repeats while firing events
change variables (bounded by the command's step budget and :data:`MAX_ROUNDS`).
Conditional start events of event sub-processes at process level are evaluated the same way
over the case's variables (also over the start variables when a case starts): the event
sub-process starts when its condition holds. Flowable's
variable listener events are conditional events too (:mod:`engine.runtime.variable_listeners`):
they see which variables the command created or updated.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.util.task import TaskState

from engine.runtime import rearm, spiff_seam, variable_listeners
from engine.runtime.event_subprocesses import offered_starts

__all__ = ["MAX_ROUNDS", "before", "offered_conditions", "propagate", "waiting_conditions"]

MAX_ROUNDS = 20


def _in_called_process(task: Any) -> bool:
    """Inside a call activity's process: a scope of its own, which the case's variables do not reach."""
    top = task.workflow.top_workflow
    workflow = task.workflow
    while workflow is not top:
        parent = top.get_task_from_id(workflow.parent_task_id)
        if isinstance(parent.task_spec, CallActivity):
            return True
        workflow = parent.workflow
    return False


def waiting_conditions(wf: Any) -> list[Any]:
    """Tasks of the case's own scopes (process, embedded sub-processes) that wait for a condition."""
    found = []
    for task in wf.get_tasks(state=TaskState.WAITING):
        if _in_called_process(task):
            continue
        definition = getattr(task.task_spec, "event_definition", None)
        if any(isinstance(d, ConditionalEventDefinition) for d in getattr(definition, "event_definitions",
                                                                             [definition])):
            found.append(task)
    return found


def offered_conditions(wf: Any) -> list[tuple[str, Any]]:
    """Conditional start events of event sub-processes at process level that may start now:
    (the event sub-process's spec name, the start event's task spec)."""
    found = []
    for offered in offered_starts(wf):
        if not isinstance(offered.definition, ConditionalEventDefinition):
            continue
        for name in wf.spec.start.trigger_specs:
            sub_spec = wf.subprocess_specs.get(name)
            if sub_spec is not None and any(ts.name == offered.spec_name for ts in sub_spec.bpmn_start_events):
                found.append((name, sub_spec.task_specs[offered.spec_name]))
    return found


def before(wf: Any, snapshot: Callable[[Any], dict[str, Any]]) -> dict[str, Any] | None:
    """The case's variables now when a condition waits (a copy), else None (nothing to do)."""
    return copy.deepcopy(snapshot(wf)) if waiting_conditions(wf) or offered_conditions(wf) else None


def _holds(wf: Any, expression: str, names: dict[str, Any]) -> bool:
    try:
        return bool(wf.script_engine.evaluate_over(wf.task_tree, expression, names))
    except WorkflowTaskException as exc:
        if "is not defined" in str(exc):   # Camunda: a condition over a missing variable does not hold
            return False
        raise


def _start_offered(wf: Any, now: dict[str, Any]) -> int:
    """Start each event sub-process whose conditional start event's condition now holds."""
    started = 0
    for sub_name, start_spec in offered_conditions(wf):
        if not _holds(wf, start_spec.event_definition.expression, now):
            continue
        child_id = wf.spec.start.trigger_wf(wf.task_tree, sub_name)
        sub = wf.subprocesses.get(child_id)
        start = sub.get_next_task(spec_name=start_spec.name) if sub is not None else None
        if start is None:
            continue
        start.data.update(copy.deepcopy(now))    # it inherited the data of the case's start
        if start.state == TaskState.WAITING:      # evaluated over that data: now over the case's
            if start_spec.event_definition.has_fired(start):
                spiff_seam.make_ready(start)
        started += 1
    return started


def propagate(wf: Any, previous: dict[str, Any], snapshot: Callable[[Any], dict[str, Any]], *,
              entering: bool = False) -> dict[str, Any] | None:
    """Hand the variables changed since ``previous`` to the waiting conditional events and start
    the event sub-processes whose condition holds (``entering``: the case was just started, so
    they are evaluated even when no variable was given); the variables now when anything
    changed or started (the caller steps the workflow), else None."""
    waiting = waiting_conditions(wf)
    if not waiting and not offered_conditions(wf):
        return None
    now = copy.deepcopy(snapshot(wf))
    changed = {k: copy.deepcopy(v) for k, v in now.items() if k not in previous or previous[k] != v}
    if not changed and not entering:
        return None
    kinds = {k: "update" if k in previous else "create" for k in changed}
    for task in waiting:
        if task.state == TaskState.WAITING:   # an earlier one of this round may have cancelled it
            task.data.update(changed)
            task.internal_data[variable_listeners.CHANGES] = kinds   # what Flowable's variable listeners see
            # TaskSpec._update would re-inherit the parent's (old) data first: evaluate directly
            fired = task.task_spec.event_definition.has_fired(task)
            task.internal_data.pop(variable_listeners.CHANGES, None)
            if fired:
                spiff_seam.make_ready(task)
                rearm.rearm_non_interrupting(task, variable_listeners.AFTER_CHANGE)
    started = _start_offered(wf, now)
    return now if changed or started else None
