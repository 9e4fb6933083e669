"""Where an event thrown inside a case is caught, scope by scope, as Camunda 7 routes it.

SpiffWorkflow hands an error or escalation to any waiting task of the thrower's workflow,
then of each enclosing workflow, and starts event sub-processes of the top process only.
Camunda 7 walks the thrower's scopes from the inside out and, in each scope instance, looks
at that scope's own catchers only:

1. the event sub-processes of the scope (one whose start names the code before a catch-all);
2. the boundary events attached to the activity that *is* the scope (an embedded sub-process,
   a call activity, an event sub-process has none), code before catch-all;

then goes on to the enclosing scope. An event sub-process never catches what comes out of
itself (a re-thrown error or escalation goes to the next catcher out). A boundary event on some other activity of the scope
never catches what a sibling threw. An error nothing catches escapes the case (an incident,
see :mod:`engine.runtime.thrown`); an escalation nothing catches has no effect.

Messages and signals thrown inside the case also start the event sub-processes of every
active scope that wait for them (SpiffWorkflow started those of the top process only).

:func:`routing` installs this on a workflow while it steps; :func:`route_code` is also
used for a business error a connector reports for a parked service task.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    CodeEventDefinition, ErrorEventDefinition, EscalationEventDefinition, SignalEventDefinition)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from engine.runtime import event_subprocesses, loop_index, spiff_seam
from engine.runtime.call_activity import THROWER_DATA, outputs_on_error
from engine.runtime.io_mapping import INPUTS

__all__ = ["attached_boundaries", "interrupting_catches", "route_code", "routing", "start_waiting"]


def _rank(catcher: Any, event: Any) -> int | None:
    """0: the catcher names the event's code; 1: a catch-all; None: it does not catch it."""
    thrown = event.event_definition
    for kind in (ErrorEventDefinition, EscalationEventDefinition):
        if isinstance(thrown, kind) != isinstance(catcher, kind):
            return None
    if not isinstance(catcher, CodeEventDefinition):
        return None
    if catcher.code is None:
        return 1
    return 0 if catcher.code == getattr(thrown, "code", None) else None


def attached_boundaries(holder: Any) -> list[Any]:
    """The boundary-event tasks attached to ``holder`` that wait (not those that caught already) (for an instance of a
    multi-instance activity: those of the activity)."""
    node = holder
    for _ in range(2):
        parent = node.parent
        if parent is None:
            return []
        if isinstance(parent.task_spec, BoundaryEventSplit):
            waiting = holder.workflow.top_workflow.event_manager.tasks
            return [t for t in parent.children if t is not node and t.id in waiting]
        if not isinstance(parent.task_spec, MultiInstanceTask):
            return []
        node = parent
    return []


def _best(candidates: list[tuple[int | None, Any]]) -> Any:
    ranked = [c for c in candidates if c[0] is not None]
    return min(ranked, key=lambda c: c[0] or 0)[1] if ranked else None


def route_code(top: Any, event: Any, level: Any) -> bool:
    """Catch the error or escalation ``event`` thrown inside scope instance ``level`` (a
    workflow) at the nearest scope that catches it; False if none does."""
    came_through = None   # the event sub-process of this scope the event comes out of: never its own catcher
    thrown = dict(event.payload) if isinstance(event.payload, dict) else None   # the thrower's data
    while level is not None:
        offered = [o for o in event_subprocesses.offered_starts(top, [level])
                   if o.holder_name != came_through] if _alive(top, level) else []
        starter = _best([(_rank(o.definition, event), o) for o in offered])
        if starter is not None:
            event_subprocesses.start(top, starter, event)
            return True
        if level is top:
            return False
        try:
            holder = top.get_task_from_id(level.parent_task_id)
        except TaskNotFoundException:
            return False
        if holder is None:
            return False
        if isinstance(event.payload, dict) and _is_loop_instance(holder):
            event.payload = _without_instance_locals(holder, event.payload)
        catcher = _best([(_rank(t.task_spec.event_definition, event), t) for t in attached_boundaries(holder)])
        if catcher is not None:
            if thrown is not None and getattr(holder.task_spec, "call_mapping", None) is not None:
                catcher.internal_data[THROWER_DATA] = thrown   # the call activity's out mappings read it
            catcher.task_spec.catch(catcher, event)
            spiff_seam.update(catcher)
            return True
        if getattr(holder.task_spec, "call_mapping", None) is not None:
            event.payload = outputs_on_error(holder, thrown)   # Camunda applies the out mappings on the way out
        came_through = holder.task_spec.name if holder.task_spec.name in _triggers(holder.workflow) else None
        level = holder.workflow
    return False


def _is_loop_instance(holder: Any) -> bool:
    parent = holder.parent
    return parent is not None and isinstance(parent.task_spec, MultiInstanceTask) and \
        holder.task_spec.name == parent.task_spec.task_spec


def _without_instance_locals(instance: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """The thrower's variables as they leave an instance of a multi-instance activity: without
    the instance's own (its element variable, ``loopCounter`` and the counters, its input
    mappings), which Camunda keeps on the instance's execution."""
    loop = instance.parent.task_spec
    local = loop_index.loop_locals(loop) | {ref.bpmn_id for ref in (loop.input_item, loop.output_item) if ref is not None}
    local.update(instance.internal_data.get(INPUTS) or ())
    return {name: value for name, value in payload.items() if name not in local}


def _triggers(workflow: Any) -> list[str]:
    return list(getattr(workflow.spec.start, "event_triggers", None) or [])


def _alive(top: Any, level: Any) -> bool:
    return any(scope is level for scope in event_subprocesses.active_scopes(top))


def start_waiting(top: Any, event: Any) -> int:
    """Start every event sub-process of an active scope that waits for the message or signal
    ``event``; how many started."""
    definition = event.event_definition
    wanted = [o for o in event_subprocesses.offered_starts(top)
              if type(o.definition) is type(definition) or _named_alike(o.definition, definition)]
    started = 0
    for offered in wanted:
        if offered.name == getattr(definition, "name", None) and \
                _alive(top, offered.scope):
            if event_subprocesses.start(top, offered, event) is not None:
                started += 1
    return started


def _named_alike(a: Any, b: Any) -> bool:
    for kind in (MessageEventDefinition, SignalEventDefinition):
        if isinstance(a, kind) and isinstance(b, kind):
            return True
    return False


def interrupting_catches(top: Any) -> list[Any]:
    """The catchers that became ready since the last call (an event was thrown or caught, an
    activity with boundary events was entered) and that interrupt: a boundary event that cancels
    its activity, the start event of an interrupting event sub-process. The stepper runs them
    at once, before any other token moves: BPMN (and Camunda 7) interrupts the moment the event
    is caught, so nothing after an escalation or signal throw event inside the interrupted scope
    runs, and an activity entered while its conditional boundary event's condition holds does
    not start its work (SpiffWorkflow ran the deeper tasks first)."""
    if not top.__dict__.pop(event_subprocesses.CAUGHT, False):
        return []
    return [t for t in top.get_tasks(state=TaskState.READY)
            if getattr(t.task_spec, "cancel_activity", False) or getattr(t.task_spec, "interrupting", False)]


@contextlib.contextmanager
def routing(top: Any) -> Iterator[None]:
    """While stepping: errors and escalations go scope by scope; messages and signals also
    start event sub-processes of inner scopes."""
    original: Callable[[Any], Any] = top.__dict__.get("catch") or type(top).catch.__get__(top)

    def catch(event: Any) -> None:
        event_subprocesses.mark_caught(top)
        definition = event.event_definition
        if isinstance(definition, CodeEventDefinition) and event.target is not None:
            if not route_code(top, event, event.target):
                event.target = None
                top.bpmn_events.append(event)   # nothing in the case catches it: it escapes
            return
        if event.target is None and isinstance(definition, (MessageEventDefinition, SignalEventDefinition)):
            before = len(top.bpmn_events)
            started = start_waiting(top, event)
            original(event)
            if started and len(top.bpmn_events) > before and isinstance(definition, MessageEventDefinition):
                del top.bpmn_events[before:]   # an event sub-process of the case caught it
            return
        original(event)

    top.catch = catch
    try:
        yield
    finally:
        top.__dict__.pop(event_subprocesses.CAUGHT, None)
        if top.__dict__.get("catch") is catch:
            del top.__dict__["catch"]
