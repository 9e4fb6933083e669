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
Conditional start events of event sub-processes are not re-evaluated this way. Flowable's
variable listener events are conditional events too (:mod:`engine.runtime.variable_listeners`):
they see which variables the command created or updated.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.runtime import rearm, spiff_seam, variable_listeners

__all__ = ["MAX_ROUNDS", "before", "propagate", "waiting_conditions"]

MAX_ROUNDS = 20


def waiting_conditions(wf: Any) -> list[Any]:
    """Tasks that wait for a condition to hold."""
    found = []
    for task in wf.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if any(isinstance(d, ConditionalEventDefinition) for d in getattr(definition, "event_definitions",
                                                                             [definition])):
            found.append(task)
    return found


def before(wf: Any, snapshot: Callable[[Any], dict[str, Any]]) -> dict[str, Any] | None:
    """The case's variables now when a condition waits (a copy), else None (nothing to do)."""
    return copy.deepcopy(snapshot(wf)) if waiting_conditions(wf) else None


def propagate(wf: Any, previous: dict[str, Any], snapshot: Callable[[Any], dict[str, Any]]) -> dict[str, Any] | None:
    """Hand the variables changed since ``previous`` to the waiting conditional events; the
    variables now when anything changed (the caller steps the workflow), else None."""
    waiting = waiting_conditions(wf)
    if not waiting:
        return None
    now = copy.deepcopy(snapshot(wf))
    changed = {k: copy.deepcopy(v) for k, v in now.items() if k not in previous or previous[k] != v}
    if not changed:
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

    return now
