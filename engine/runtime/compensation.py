"""BPMN compensation, run as Camunda 7 runs it, on SpiffWorkflow 3.2.0 (which has none).

:mod:`engine.runtime.compensation_model` reads the model. Here:

* **Handlers are parsed.** A compensation handler has no sequence flow, so SpiffWorkflow never
  reaches it; :class:`ParsesHandlers` parses it into its scope's spec beside the flow.
* **Completed activities stay known.** A completed activity with a compensation handler, or an
  embedded sub-process (its "default handler" compensates what completed inside it), is a task
  in the task tree; :func:`keeps_history` tells the tree compaction to keep the history of a
  process that compensates.
* **A compensation throw event** (intermediate throw or end event, :class:`CompensationThrow`)
  looks, when it is reached, for the completed activities of its scope (an event
  sub-process's throw: of the scope around it) that were not compensated yet — only the one
  named by ``activityRef`` if given — and starts their handlers at once, in reverse order of
  completion, as children of the throw task: a multi-instance activity's handler once per
  completed instance, a completed embedded sub-process's inner handlers in reverse order
  (each instance of a multi-instance sub-process in turn). The throw event waits (its task
  is STARTED, as a sub-process task waits) until every handler has finished, then goes on
  with the handlers' variables (Camunda 7 always waits for completion).
* **Variables.** A handler sees the variables of the throw event's scope; a handler of an
  instance of a multi-instance activity or of an activity in a completed sub-process also
  sees that instance's or sub-process's own variables as they were when it completed
  (Camunda's snapshot). What a handler writes reaches the throw event (and goes on with it)
  and the handlers that have not run yet, except the snapshot's own variables.

Activities still running are not compensated, and each completed activity at most once.
"""

from __future__ import annotations

import copy
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.util.task import TaskState

from engine.runtime import spiff_seam
from engine.runtime.compensation_model import CompensationModel
from engine.runtime.reserved_ids import spec_name

__all__ = ["CompensationThrow", "ParsesHandlers", "attach", "keeps_history", "link"]

THROWN = "amtsflow_compensation"       # on a throw task: the ids of the handler tasks it started
DONE = "amtsflow_compensated"          # on a compensated activity's task
SNAPSHOT = "amtsflow_snapshot"         # on a handler task: names of the snapshot's own variables
SCOPE = "amtsflow_compensates_scope"   # on a compensation event sub-process: the sub-process it undoes
_MARK = "amtsflow_compensates"         # on every spec of a process that compensates


class ParsesHandlers:
    """ProcessParser mixin: also parse the scope's compensation handlers (no flow reaches them)."""

    def add_tasks(self) -> None:
        super().add_tasks()  # type: ignore[misc]
        for node in self.xpath("./*[@isForCompensation='true']"):  # type: ignore[attr-defined]
            if node.get("triggeredByEvent") != "true":
                self.parse_node(node)  # type: ignore[attr-defined]


class CompensationThrow:
    """Mixin for an intermediate throw or end event with a compensateEventDefinition."""

    compensate_ref: str | None = None
    cancels_transaction = False

    def _run_hook(self, my_task: Any) -> Any:
        started = my_task.internal_data.get(THROWN)
        if started is None:
            if self.cancels_transaction:
                _cancel_others(my_task)
            started = _start_handlers(my_task, self.compensate_ref)
            my_task.internal_data[THROWN] = started
            if started:
                return None          # STARTED: waits for its handlers
        elif not _handlers_finished(my_task):
            return None
        return super()._run_hook(my_task)  # type: ignore[misc]


def attach(spec: Any, model: CompensationModel) -> None:
    """Give one parsed (sub-)process spec its compensation: handlers named on the activities
    they undo, the throw events' behaviour, the handlers' completion callback."""
    file = getattr(spec, "file", "")
    handlers = {spec_name(h) for (f, _), h in model.handlers.items() if f == file}
    for task_spec in list(spec.task_specs.values()):
        element = getattr(task_spec, "bpmn_id", None)
        if element is None:
            continue
        handler = model.handlers.get((file, element))
        if handler is not None:
            task_spec.compensation_handler = spec_name(handler)
        if (file, element) in model.scopes and isinstance(task_spec, SubWorkflowTask):
            task_spec.compensation_scope = True
        if (file, element) in model.event_scopes and isinstance(task_spec, SubWorkflowTask):
            task_spec.compensation_event_scope = True
        if (file, element) in model.scope_handlers and isinstance(task_spec, SubWorkflowTask):
            task_spec.compensation_scope_handler = True
        if (file, element) in model.throws and not isinstance(task_spec, CompensationThrow):
            spiff_seam.mix_in(task_spec, CompensationThrow, "Compensating")
            task_spec.compensate_ref = model.throws[(file, element)]
            task_spec.cancels_transaction = (file, element) in model.cancels
    for name in handlers:   # a boundary event's handler is its activity's sibling; an event sub-process, inside
        handler_spec = spec.task_specs.get(name)
        if handler_spec is not None and not handler_spec.completed_event.is_connected(_handler_finished):
            handler_spec.completed_event.connect(_handler_finished)
            if not handler_spec.inputs:   # an input, no output of start: no case starts it by itself
                handler_spec.inputs = [spec.start]


def link(specs: list[Any]) -> None:
    """A throw event also starts the handlers of activities inside the completed sub-processes
    of its scope, as children of its own task: every spec of the process knows every handler
    (task specs are looked up by name in the task's own workflow's spec when a case is read)."""
    handlers = [ts for s in specs for ts in list(s.task_specs.values())
                if ts.completed_event.is_connected(_handler_finished)]
    compensates = bool(handlers) or any(isinstance(ts, CompensationThrow) for s in specs for ts in s.task_specs.values())
    for s in specs:
        if compensates:
            setattr(s, _MARK, True)
        for handler in handlers:
            s.task_specs.setdefault(handler.name, handler)


def keeps_history(wf: Any) -> bool:
    """Whether the workflow may compensate, so that its completed tasks must stay in the tree."""
    return bool(getattr(wf.spec, _MARK, False))


def _scopes(task: Any) -> list[Any]:
    """The workflows whose activities a throw event compensates: its own; in an event
    sub-process also the scope around it."""
    wf = task.workflow
    top = wf.top_workflow
    if wf is top or wf.parent_task_id is None:
        return [wf]
    holder = top.get_task_from_id(wf.parent_task_id)
    if getattr(holder.task_spec, "compensation_event_scope", False):
        return [wf, holder.workflow]
    compensated = holder.internal_data.get(SCOPE)   # a compensation event sub-process: its sub-process
    if compensated is not None:
        sub = top.subprocesses.get(UUID(compensated))
        return [wf, sub] if sub is not None else [wf]
    return [wf]


def _cancel_others(task: Any) -> None:
    """A cancel end event: what else runs in the transaction is cancelled before the
    transaction's completed activities are compensated (then the cancel boundary event fires)."""
    for other in list(task.workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK)):
        if other is not task and other.state & TaskState.NOT_FINISHED_MASK and not other.is_descendant_of(task):
            other.cancel()


def _is_instance(task: Any) -> bool:
    parent = task.parent
    return parent is not None and isinstance(parent.task_spec, LoopTask) and task.triggered


def _is_scope(task_spec: Any) -> bool:
    """An embedded sub-process (SpiffWorkflow's Camunda parser gives it the call activity's class)."""
    return bool(getattr(task_spec, "compensation_scope", False))


def _compensable(task: Any) -> bool:
    spec = task.task_spec
    child = task.workflow.spec.task_specs.get(spec.task_spec) if isinstance(spec, LoopTask) else spec
    return getattr(spec, "compensation_handler", None) is not None or (child is not None and _is_scope(child))


def _own(data: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in base}


Plan = list[tuple[str, dict[str, Any], str | None]]   # handler, snapshot, sub-process it undoes


def _plan(scopes: list[Any], ref: str | None, base: dict[str, Any], outer: dict[str, Any]) -> Plan:
    units = [t for wf in scopes for t in wf.tasks.values()
             if t.state == TaskState.COMPLETED and not t.internal_data.get(DONE) and not _is_instance(t)
             and (ref is None or getattr(t.task_spec, "bpmn_id", None) == ref) and _compensable(t)]
    units.sort(key=lambda t: (t.last_state_change, t.depth), reverse=True)
    top = scopes[0].top_workflow
    plan: Plan = []
    for unit in units:
        unit.internal_data[DONE] = True
        handler = getattr(unit.task_spec, "compensation_handler", None)
        instances = [c for c in unit.children if c.triggered and c.state == TaskState.COMPLETED] \
            if isinstance(unit.task_spec, LoopTask) else [unit]
        item = getattr(getattr(unit.task_spec, "input_item", None), "bpmn_id", None)
        for instance in sorted(instances, key=lambda t: t.last_state_change, reverse=True):
            snapshot = {**outer, **(_own(instance.data, base) if instance is not unit else {})}
            if instance is not unit and item is not None and item in instance.data:
                snapshot[item] = instance.data[item]   # the instance's element variable
            if handler is not None:
                scope_id = str(instance.id) if top.subprocesses.get(instance.id) is not None else None
                plan.append((handler, snapshot, scope_id))
                continue
            sub = top.subprocesses.get(instance.id)
            if sub is not None and _is_scope(instance.task_spec):
                inner = sub.last_task.data if sub.last_task is not None else {}
                plan.extend(_plan([sub], None, base, {**snapshot, **_own(inner, base)}))
    return plan


def _start_handlers(throw: Any, ref: str | None) -> list[str]:
    started = []
    for name, snapshot, scope_id in _plan(_scopes(throw), ref, throw.data, {}):
        spec = throw.workflow.spec.task_specs[name]
        child = spiff_seam.add_child(throw, spec, TaskState.FUTURE)
        child.triggered = True
        child.internal_data[SNAPSHOT] = sorted(snapshot)
        if scope_id is not None and getattr(spec, "compensation_scope_handler", False):
            child.internal_data[SCOPE] = scope_id
        child.data.update(copy.deepcopy(snapshot))
        spiff_seam.update(child)
        if child.state == TaskState.READY:
            child.data.update(copy.deepcopy(snapshot))
        started.append(str(child.id))
    return started


def _handler_tasks(throw: Any) -> list[Any]:
    ids = set(throw.internal_data.get(THROWN) or [])
    return [c for c in throw.children if str(c.id) in ids]


def _handlers_finished(throw: Any) -> bool:
    return all(c.state & (TaskState.COMPLETED | TaskState.CANCELLED) for c in _handler_tasks(throw))


def _handler_finished(workflow: Any, task: Any) -> None:
    """A handler's variables reach the throw event and the handlers that have not run yet (as
    Camunda's handlers share their scope's variables); the last one lets the throw go on."""
    throw = task.parent
    if throw is None or SNAPSHOT not in task.internal_data or throw.state != TaskState.STARTED:
        return
    own = set(task.internal_data.get(SNAPSHOT) or [])
    changed = {k: v for k, v in task.data.items() if k not in own and (k not in throw.data or throw.data[k] != v)}
    throw.data.update(copy.deepcopy(changed))
    for sibling in _handler_tasks(throw):
        if sibling is not task and sibling.state & (TaskState.FUTURE | TaskState.READY | TaskState.WAITING):
            theirs = set(sibling.internal_data.get(SNAPSHOT) or [])
            sibling.data.update({k: copy.deepcopy(v) for k, v in changed.items() if k not in theirs})
    if _handlers_finished(throw):
        spiff_seam.force_state(throw, TaskState.READY)
