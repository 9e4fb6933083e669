"""Event sub-processes in every scope: the process, embedded sub-processes, called processes and
event sub-processes themselves, as Camunda 7 scopes them.

SpiffWorkflow starts an event sub-process only when an event reaches the *top* workflow
(``EventManager.update_collaboration``), looking only at the top process's own event
sub-processes: those inside an embedded sub-process or a called process never started. Their
start events are no waiting tasks either, so the host never saw them. Here:

* :func:`prepare_triggers` moves each spec's ``trigger_specs`` (event sub-processes that wait
  for a message, signal, error, escalation or condition) to ``event_triggers``, so that
  SpiffWorkflow's own collaboration update never fires (it also rewired the *shared* spec on
  the first trigger: every later case started the event sub-process at once);
* :func:`offered_starts` lists, for every active scope instance (a (sub-)workflow that is not
  finished, whose enclosing activity is still open and that was not interrupted), the start
  events of its event sub-processes: they get subscriptions, are caught by thrown errors and
  escalations (:mod:`engine.runtime.event_routing`) and conditions;
* :func:`start` starts one of them in its scope instance, with the scope's current data, and
  lets its start event catch the event; the event sub-process's other start events (Flowable
  allows several, each triggers it on its own) are closed in that instance.

A message or signal name given as an expression (Camunda: ``name="cancel-${orderId}"``) is
resolved when the scope instance starts, from the variables it starts with, and pinned for its
life (:func:`subscribe_scope`, :func:`engine.runtime.event_names.scope_subscribed_name`): the
name an offered start waits under is :attr:`OfferedStart.name`. Camunda 7 documents this ("resolved as
soon as a process reaches the scope"); its code creates the case's own subscriptions before
it sets the start variables (camunda-bpm-platform issue 2981, open), which we do not copy.

Timer start events of event sub-processes are SpiffWorkflow's own: the event sub-process is
started with its scope and waits on the timer; until it fires it does not keep its scope
from ending (the scope's end join passes it by, as Camunda 7 removes the timer with the scope). An interrupting start cancels the rest of its
scope (:mod:`engine.runtime.interrupting`), which marks the scope as interrupted: its other
event sub-processes are no longer offered, as Camunda 7 removes their subscriptions.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.bpmn.specs.control import StartEventSplit
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.util.task import TaskIterator, TaskState

from engine.runtime import event_names, spiff_seam, variable_listeners

__all__ = ["CAUGHT", "INTERRUPTED", "OfferedStart", "mark_caught", "active_scopes", "offered_starts", "prepare_triggers",
           "scope_data", "scope_name_failures", "retry_scope_names", "start", "subscribe_scope"]

INTERRUPTED = "amtsflow_interrupted"   # on a scope instance's root task: an interrupting start fired
RETRIED = "event_start_names_retried"   # on a scope instance's root task: a failed start name is retried
CAUGHT = "_amtsflow_caught"   # on the top workflow while stepping: something may have caught an event


def mark_caught(top: Any) -> None:
    """Something may have become ready to interrupt (engine.runtime.event_routing.interrupting_catches)."""
    top.__dict__[CAUGHT] = True


@dataclass(frozen=True, eq=False)
class OfferedStart:
    wait_id: str          # stable id for the subscription (no task exists yet)
    element_id: str       # the start event
    spec_name: str        # its task spec name (in the event sub-process's spec)
    holder_name: str      # the event sub-process's task spec name in its scope
    definition: Any       # the event definition it catches
    scope: Any            # the (sub-)workflow instance the event sub-process belongs to
    interrupting: bool
    name: str | None = None   # the definition's name as this scope instance subscribed (an expression
                              # resolved; event_names.UNRESOLVED when it failed)


def prepare_triggers(spec: Any) -> None:
    """Take the event-triggered sub-processes away from SpiffWorkflow's collaboration update
    and connect each to the end of its scope once (so that its scope ends after it)."""
    start = spec.start
    names = list(getattr(start, "trigger_specs", None) or []) + list(getattr(start, "event_triggers", None) or [])
    start.trigger_specs = []
    start.event_triggers = list(dict.fromkeys(names))
    start.event_holders = {*start.event_triggers, *(o.name for o in start.outputs if isinstance(o, SubWorkflowTask))}
    if start.event_holders:
        spiff_seam.override_join_check(spec.end, _end_check)
    for name in start.event_triggers:
        holder = spec.task_specs.get(name)
        if holder is None:
            continue
        if spec.end not in holder.outputs:
            holder.connect(spec.end)
        if start not in holder.inputs:  # an input, but no output of start: cases do not start it by themselves
            holder.inputs = [*holder.inputs, start]


def _dormant(task: Any) -> bool:
    """An event sub-process of the scope whose start event still waits (a timer): it does not
    keep its scope from ending, and goes with it."""
    if task.task_spec.name not in getattr(task.workflow.spec.start, "event_holders", ()):
        return False
    sub = task.workflow.top_workflow.subprocesses.get(task.id)
    if sub is None:
        return True
    starts = set(sub.spec.bpmn_start_events)
    active = [t for t in sub.tasks.values() if t.state & _ACTIVE]
    return all(t.task_spec in starts and t.state == TaskState.WAITING for t in active)


_ACTIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR


def _end_check(self: Any, my_task: Any) -> bool:
    """The end join of a scope with event sub-processes: waits for every other unfinished task
    except event sub-processes that have not started (SpiffWorkflow's waits for them too)."""
    skipped: set[Any] = set()
    for task in TaskIterator(my_task.workflow.task_tree, state=TaskState.NOT_FINISHED_MASK, end_at_spec=self.name):
        if task is my_task:
            continue
        if task.parent is not None and task.parent.id in skipped or _dormant(task):
            skipped.add(task.id)
            continue
        return False
    return True


def _holder_open(top: Any, scope: Any) -> bool:
    if scope is top:
        return True
    try:
        holder = top.get_task_from_id(scope.parent_task_id)
    except TaskNotFoundException:
        return False
    return holder is not None and bool(holder.state & TaskState.NOT_FINISHED_MASK)


def active_scopes(top: Any) -> list[Any]:
    """The top workflow and every sub-workflow that is running inside running scopes."""
    if top.completed:
        return []
    found = [top]
    for sub in list(top.subprocesses.values()):
        if sub.completed:
            continue
        current, alive = sub, True
        while current is not top and alive:
            alive = not current.completed and _holder_open(top, current)
            if alive:
                current = current.parent_workflow
        if alive:
            found.append(sub)
    return found


def _interrupted(top: Any, scope: Any) -> bool:
    if scope.task_tree.internal_data.get(INTERRUPTED):
        return True
    for task in scope.tasks.values():   # a triggered interrupting event sub-process still open
        if task.parent is not scope.task_tree or task.task_spec.name not in scope.spec.start.event_triggers:
            continue
        sub_spec = top.subprocess_specs.get(task.task_spec.name)
        if sub_spec is not None and any(getattr(ts, "interrupting", False) for ts in sub_spec.bpmn_start_events):
            return True
    return False


def offered_starts(top: Any, scopes: list[Any] | None = None) -> Iterator[OfferedStart]:
    for scope in active_scopes(top) if scopes is None else scopes:
        triggers = getattr(scope.spec.start, "event_triggers", None)
        if not triggers or _interrupted(top, scope):
            continue
        for name in triggers:
            sub_spec = top.subprocess_specs.get(name)
            if sub_spec is None:
                continue
            for ts in sub_spec.bpmn_start_events:
                definition = ts.event_definition
                wait_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"amtsflow:{scope.task_tree.id}:{ts.name}"))
                element_id = str(getattr(ts, "bpmn_id", None) or ts.name)
                for d in getattr(definition, "event_definitions", [definition]):
                    yield OfferedStart(wait_id, element_id, ts.name, name, d, scope,
                                       bool(getattr(ts, "interrupting", False)),
                                       _subscribed_name(scope, ts.name, element_id, d, _start_task(scope)))


def _subscribed_name(scope: Any, key: str, element_id: str, definition: Any, start_task: Any) -> str | None:
    """The name the start ``key`` of scope instance ``scope`` waits under for ``definition``. An
    expression is resolved once, with the data of the scope's start task (the variables the
    scope started with, see :func:`subscribe_scope`), or, without one (a retry after a failure,
    the start task compacted away), with the scope's variables now."""
    name = getattr(definition, "name", None)
    if not event_names.is_expression(name):
        return None if name is None else str(name)
    root = scope.task_tree
    if root.internal_data.get(RETRIED):
        start_task = None

    def evaluate(expression: str) -> Any:
        at, names = (start_task, start_task.data) if start_task is not None else (root, {**root.data,
                                                                                           **scope_data(scope)})
        engine = scope.top_workflow.script_engine
        if hasattr(engine, "evaluate_over"):
            return engine.evaluate_over(at, expression, names)
        return engine.evaluate(at, expression)

    return event_names.scope_subscribed_name(root, key, element_id, definition, evaluate)


def _start_task(scope: Any) -> Any:
    """The task the scope instance started with (its root), while it still holds the data the
    scope started with."""
    root = scope.task_tree
    return root if root.task_spec is scope.spec.start else None


def subscribe_scope(scope: Any) -> bool:
    """Before the activities of scope instance ``scope`` run: resolve the names of its event
    sub-processes' message and signal starts given as expressions, from the variables the scope
    starts with (its first activities may change them before anything waits). Resolved names
    are pinned: a later call costs a look-up. False if a name could not be evaluated: then the
    scope's activities do not run until a retry resolves it (Camunda fails the command that
    starts the scope, so nothing in it happens)."""
    triggers = getattr(scope.spec.start, "event_triggers", None)
    if not triggers:
        return True
    top, start_task, ok = scope.top_workflow, None, True
    for name in triggers:
        sub_spec = top.subprocess_specs.get(name)
        for ts in sub_spec.bpmn_start_events if sub_spec is not None else []:
            definition = ts.event_definition
            for d in getattr(definition, "event_definitions", [definition]):
                if event_names.is_expression(getattr(d, "name", None)):
                    start_task = start_task or _start_task(scope)
                    element_id = str(getattr(ts, "bpmn_id", None) or ts.name)
                    ok = _subscribed_name(scope, ts.name, element_id, d, start_task) != event_names.UNRESOLVED and ok
    return ok


def scope_name_failures(top: Any) -> list[tuple[str, str]]:
    """(start event id, message) of event sub-process starts whose name could not be evaluated
    since the last call (each reported once)."""
    return event_names.take_new_scope_failures(s.task_tree for s in active_scopes(top))


def retry_scope_names(top: Any) -> None:
    """A retry: failed start names are evaluated again, with the scopes' variables of then."""
    for scope in active_scopes(top):
        if scope.task_tree.internal_data.get(event_names.SCOPE_FAILED):
            scope.task_tree.internal_data[RETRIED] = True
    event_names.clear_scope_failures(s.task_tree for s in active_scopes(top))


def scope_data(scope: Any) -> dict[str, Any]:
    """The variables of a scope instance as its activities see them now: the data of its last
    finished task overlaid with that of its open tasks (branches keep their own data)."""
    data: dict[str, Any] = {}
    last = scope.last_task
    if last is not None and last.workflow is scope:
        data.update(last.data)
    elif scope.parent_task_id is not None:
        holder = scope.top_workflow.get_task_from_id(scope.parent_task_id)
        if holder is not None:
            data.update(holder.data)
    triggers = set(getattr(scope.spec.start, "event_triggers", None) or [])
    for task in scope.tasks.values():
        if task.state & (TaskState.READY | TaskState.STARTED | TaskState.WAITING) and \
                task.task_spec.name not in triggers and task.parent is not None:
            data.update(task.data)
    if last is not None and last.workflow is scope and getattr(last.task_spec, "bpmn_id", None) is not None:
        data.update(last.data)
    return data


def start(top: Any, offered: OfferedStart, event: Any, *, changes: dict[str, str] | None = None) -> Any:
    """Start the event sub-process of ``offered`` in its scope instance and let its start event
    catch ``event``; returns the started start-event task (None if the model changed under us).
    ``changes``: the variable changes a variable listener start fired on (it checks them again)."""
    scope = offered.scope
    holder_spec = scope.spec.task_specs.get(offered.holder_name)
    if holder_spec is None:
        return None
    data = scope_data(scope)
    child = spiff_seam.add_child(scope.task_tree, holder_spec, TaskState.FUTURE)
    child.triggered = True
    spiff_seam.update(child)   # inherits the (empty) data of the scope's root: given the scope's data below
    child.data = copy.deepcopy(data)
    sub = top.subprocesses.get(child.id)
    if sub is None:
        return None
    for task in list(sub.tasks.values()):
        if task.task_spec.name == "Start":
            task.data = copy.deepcopy(data)
    for task in list(sub.tasks.values()):
        if isinstance(task.task_spec, StartEventSplit) and task.state == TaskState.READY:
            # several start events (Flowable): the split before them runs first, so that running it
            # later does not re-check the start event that caught (a condition would not hold again)
            task.data = copy.deepcopy(data)
            task.run()
    for task in list(sub.tasks.values()):
        if task.task_spec.name == offered.spec_name and task.state & TaskState.NOT_FINISHED_MASK:
            task.data = copy.deepcopy(data)   # a condition is checked again on the start event's data
            task.task_spec.catch(task, event)
            if changes is not None:
                task.internal_data[variable_listeners.CHANGES] = changes
            spiff_seam.update(task)
            task.internal_data.pop(variable_listeners.CHANGES, None)
            mark_caught(top)
            _close_other_starts(sub, task)
            return task
    return None


def _close_other_starts(sub: Any, started: Any) -> None:
    """A Flowable event sub-process with several start events runs from the one that caught:
    the others do not wait in this instance (they stay offered by the scope, see
    :func:`offered_starts`), so they neither catch there nor keep it from completing."""
    starts = set(sub.spec.bpmn_start_events)
    for task in list(sub.tasks.values()):
        if task is not started and task.task_spec in starts and task.state & TaskState.NOT_FINISHED_MASK:
            task.cancel()
