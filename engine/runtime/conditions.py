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
Conditional start events of event sub-processes in every active scope are evaluated the same
way, over their scope's variables (also over the start variables when a case starts): the
event sub-process starts when its condition holds (an interrupting one once, as it interrupts
its scope; a non-interrupting one again after each change that leaves it holding). Flowable's
variable listener events are conditional events too (:mod:`engine.runtime.variable_listeners`):
they see which variables the command created or updated.
"""

from __future__ import annotations

import copy
import hashlib
import json
import weakref
from typing import Any, Callable

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.util.task import TaskState

from engine.runtime import rearm, spiff_seam, variable_listeners
from engine.runtime import event_subprocesses
from engine.runtime.event_subprocesses import offered_starts

__all__ = ["MAX_ROUNDS", "before", "holds", "offered_conditions", "propagate", "waiting_conditions"]

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


def offered_conditions(wf: Any) -> list[Any]:
    """Conditional start events of event sub-processes that may start now, in every active
    scope (the process, embedded sub-processes, called processes, event sub-processes):
    :class:`engine.runtime.event_subprocesses.OfferedStart` objects."""
    return [o for o in offered_starts(wf) if isinstance(o.definition, ConditionalEventDefinition)]


def _conditional_starts_modelled(wf: Any) -> bool:
    """Whether any event sub-process of the case's models starts on a condition (a scope
    entered during a command offers its conditional starts only then)."""
    return any(isinstance(ts.event_definition, ConditionalEventDefinition) and getattr(ts, "interrupting", None)
               is not None for spec in wf.subprocess_specs.values() for ts in spec.bpmn_start_events)


_MODELLED: "weakref.WeakKeyDictionary[Any, bool]" = weakref.WeakKeyDictionary()


def _spec_has_conditions(spec: Any) -> bool:
    """Whether a process spec (parsed once, shared by its cases) has a conditional event of any
    kind: catch, boundary, event sub-process start, one of a multiple event's definitions."""
    found = _MODELLED.get(spec)
    if found is None:
        found = False
        for ts in getattr(spec, "task_specs", {}).values():
            definition = getattr(ts, "event_definition", None)
            if any(isinstance(d, ConditionalEventDefinition)
                   for d in getattr(definition, "event_definitions", None) or [definition]):
                found = True
                break
        _MODELLED[spec] = found
    return found


def modelled(wf: Any) -> bool:
    """Whether any model of the case (its process, its sub-processes and called processes) has a
    conditional event; without one nothing can wait for a condition or start on one, and the
    walks over the task tree below are skipped (they ran on every command of every case)."""
    return _spec_has_conditions(wf.spec) or any(_spec_has_conditions(s) for s in wf.subprocess_specs.values())


def before(wf: Any, snapshot: Callable[[Any], dict[str, Any]]) -> dict[str, Any] | None:
    """The case's variables now when a condition waits (a copy), else None (nothing to do)."""
    if not modelled(wf):
        return None
    waits = waiting_conditions(wf) or offered_conditions(wf) or _conditional_starts_modelled(wf)
    return copy.deepcopy(snapshot(wf)) if waits else None


def holds(wf: Any, expression: str, names: dict[str, Any]) -> bool:
    """Whether a condition holds over ``names`` (a missing variable: it does not, as in Camunda)."""
    try:
        return bool(wf.script_engine.evaluate_over(wf.task_tree, expression, names))
    except WorkflowTaskException as exc:
        if "is not defined" in str(exc):   # Camunda: a condition over a missing variable does not hold
            return False
        raise


def _fingerprint(names: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(names, sort_keys=True, default=str).encode()).hexdigest()


def _start_offered(wf: Any, entering: bool = False) -> int:
    """Start each event sub-process whose conditional start event's condition now holds over
    its scope's variables, when they changed since it last looked (a variable was set in its
    scope; the first look is when the scope is there). An interrupting one interrupts its
    scope: what that scope offered goes. A variable listener start fires on a change of its
    variable (:func:`_variable_changes`)."""
    started = 0
    for offered in offered_conditions(wf):
        if not any(o.wait_id == offered.wait_id for o in offered_conditions(wf)):
            continue   # its scope was interrupted by one started before it
        names = event_subprocesses.scope_data(offered.scope)
        if variable_listeners.is_marker(offered.definition.expression):
            changes = _variable_changes(wf, offered, names, entering)
            if changes is not None and event_subprocesses.start(wf, offered, BpmnEvent(offered.definition),
                                                                changes=changes) is not None:
                started += 1
            continue
        seen, key = _fingerprint(names), _SEEN + offered.holder_name
        if offered.scope.task_tree.internal_data.get(key) == seen:
            continue
        offered.scope.task_tree.internal_data[key] = seen
        found = getattr(offered.definition, "variable_filter", None)   # camunda:variableName/variableEvents
        if found is not None:
            kinds = _scope_changes(offered, names)
            if kinds is not None and not found.matches(kinds):
                continue
        if not holds(wf, offered.definition.expression, names):
            continue
        if event_subprocesses.start(wf, offered, BpmnEvent(offered.definition)) is not None:
            started += 1
    return started


_SEEN = "amtsflow_condition_seen:"   # on a scope's root task: fingerprint of the variables last looked at
_VALUES = "amtsflow_variables_seen:"  # ... per variable listener start: fingerprint per variable last looked at


def _scope_changes(offered: Any, names: dict[str, Any]) -> dict[str, str] | None:
    """The variables of an offered start's scope created, updated or deleted since the start
    last looked (None at its first look, which Camunda makes when the scope is entered)."""
    key = _VALUES + offered.spec_name
    now = {name: _fingerprint({"v": value}) for name, value in names.items()}
    before = offered.scope.task_tree.internal_data.get(key)
    offered.scope.task_tree.internal_data[key] = now
    if before is None:
        return None
    kinds = {name: "update" if name in before else "create" for name, seen in now.items() if before.get(name) != seen}
    kinds.update({name: "delete" for name in before if name not in now})
    return kinds


def _variable_changes(wf: Any, offered: Any, names: dict[str, Any], entering: bool) -> dict[str, str] | None:
    """Flowable's variable listener on an event sub-process start: the variables created or
    updated since the start last looked, when its variable is among them (else None). The
    case's own scope first looks when the case starts (its start variables are created then, as
    in Flowable); a scope entered later first looks when it is there, and that look fires nothing."""
    root = offered.scope.task_tree
    key = _VALUES + offered.spec_name
    now = {name: _fingerprint({"v": value}) for name, value in names.items()}
    before = root.internal_data.get(key)
    root.internal_data[key] = now
    if before is None:
        if not (entering and offered.scope is wf):
            return None
        before = {}
    kinds = {name: "update" if name in before else "create" for name, seen in now.items() if before.get(name) != seen}
    return kinds if variable_listeners.fires_on(offered.definition.expression, kinds) else None


def propagate(wf: Any, previous: dict[str, Any], snapshot: Callable[[Any], dict[str, Any]], *,
              entering: bool = False) -> dict[str, Any] | None:
    """Hand the variables changed since ``previous`` to the waiting conditional events and start
    the event sub-processes whose condition holds (``entering``: the case was just started, so
    they are evaluated even when no variable was given); the variables now when anything
    changed or started (the caller steps the workflow), else None."""
    if not modelled(wf):
        return None
    waiting = waiting_conditions(wf)
    if not waiting and not offered_conditions(wf) and not _conditional_starts_modelled(wf):
        return None
    now = copy.deepcopy(snapshot(wf))
    changed = {k: copy.deepcopy(v) for k, v in now.items() if k not in previous or previous[k] != v}
    removed = [k for k in previous if k not in now]
    if not changed and not removed and not entering:
        return now if _start_offered(wf, entering) else None   # a variable set inside a sub-process's scope
    kinds = {k: "update" if k in previous else "create" for k in changed}
    kinds.update({k: "delete" for k in removed})
    for task in waiting:
        if task.state == TaskState.WAITING:   # an earlier one of this round may have cancelled it
            task.data.update(changed)
            for name in removed:
                task.data.pop(name, None)
            task.internal_data[variable_listeners.CHANGES] = kinds   # what Flowable's variable listeners see
            # TaskSpec._update would re-inherit the parent's (old) data first: evaluate directly
            fired = task.task_spec.event_definition.has_fired(task)
            task.internal_data.pop(variable_listeners.CHANGES, None)
            if fired:
                spiff_seam.make_ready(task)
                rearm.rearm_non_interrupting(task, variable_listeners.AFTER_CHANGE)
    started = _start_offered(wf, entering)
    return now if changed or removed or started else None
