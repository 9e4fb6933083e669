"""Camunda 7 execution and task listeners with expressions and scripts.

Deploy time (:mod:`engine.runtime.camunda_listeners`): a listener is an ``expression``
(``${execution.setVariable('a', 1)}``, ``${task.setAssignee(x)}``), or an inline
``camunda:script`` in Python or JavaScript, or Java code (``class``,
``delegateExpression``, a bean expression) mapped to a connector operation in
camunda-mapping.json. Unmapped Java code, script resources and events that do not run
here (``update``) are refused with a message.

A listener mapped to a connector operation does not call out while the engine steps:
its ``camunda:field`` parameters are evaluated at its point in the flow and the call is
queued on the workflow; the command's save writes it as a ``listener`` job that the job
executor runs after the commit (retries with one idempotency key, then an incident). The
case does not wait for it and the answer is not written into the case: fit for
notifications and status updates in other systems, not for values the flow needs (model
those as a service task).

Run time: a task spec with listeners gets the :class:`Listening` mixin (the way
:func:`engine.runtime.io_mapping.attach` adds scopes; specs are re-parsed from the
stored source, never serialised). Listeners run inside the command's unit of work, at the
point Camunda runs them:

* ``take`` of the flow that led to an element, then its ``start``: when the element is
  reached (after its input mappings), before it does anything;
* task ``create``: when the user task becomes open, after ``start``; then ``assignment`` when
  it has an assignee (from the model or set by a create listener), and again whenever a
  person claims, returns or delegates it (:func:`fire_assignment`, a case command);
* task ``complete`` then ``end``: when the element completes (before its output mappings);
* task ``delete`` then ``end``: when an entered element is cancelled (a boundary event, a
  cancelled case);
* process ``start``/``end``: on the process's own start and end;
* task ``timeout``: when its timer fires while the task waits (a generated non-interrupting
  boundary timer whose end event runs the listener with the task as ``task``).

A listener that fails fails the command like a failing script task (an incident).
Task attributes a task listener sets (assignee, candidate groups, name, priority, due
date) are kept in the task's internal data and override the model's when the work item
is projected (:mod:`engine.runtime.waits`).
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from engine.domain.errors import ExpressionError
from engine.runtime import spiff_seam
from engine.runtime import juel, milestones
from engine.runtime.script_resources import missing_message
from engine.runtime.skip_expressions import skipped
from engine.runtime._safe_context import ExecutionContext, ModelScope, ProcessContext, TaskContext
from engine.runtime.camunda_listeners import (
    PROCESS_END, PROCESS_START, ElementListeners, Listener, check_listener, collect, read_listener)

__all__ = ["ElementListeners", "Listener", "check_listener", "collect", "read_listener", "attach", "attach_to_spec",
           "fire_assignment", "listens", "take_calls", "Listening", "STARTED", "ENDED", "TASK_ATTRIBUTES"]

STARTED = "listeners_started"       # internal data: the element was entered (start listeners ran)
ENDED = "listeners_ended"           # internal data: its end listeners ran
TASK_ATTRIBUTES = "task_attributes"  # internal data: task attributes set by task listeners


def _fire(task: Any, listeners: list[Listener], event: str, attributes: dict[str, Any] | None = None, *,
          activity: str | None = None) -> None:
    """Run ``listeners`` at ``task``; ``activity``: the element Camunda's execution is at when it is
    not the task's own (the source of a taken flow, the first/last event for the process)."""
    from engine.runtime.script_engine import authenticated_user, case_facts

    if not listeners:
        return
    engine = task.workflow.top_workflow.script_engine
    facts = {**case_facts(task), "event_name": event}
    if activity is not None:
        facts.update(activity_id=activity, activity_name=activity)
    for listener in listeners:
        try:
            if listener.language == "connector":
                _queue_call(task, listener, event, facts)
                continue
            if listener.language == "resource":  # a script file the deployment lacks
                raise ExpressionError(missing_message(listener.source), element_id=_element_id(task))
            if listener.language == "status":  # amtsflow:status (engine.runtime.milestones)
                milestones.set_status(task, listener.source)
                continue
            if listener.language == "javascript":
                outcome = engine.run_javascript(task, listener.source, event=event, attributes=attributes,
                                                facts=facts)
                if attributes is not None:
                    attributes.update(outcome.task)
                    attributes.setdefault("changed", []).extend(outcome.task)
                continue
            contexts: dict[str, Any] = {"execution": ExecutionContext(task.data, facts),
                                        "process": ProcessContext(lambda value: milestones.set_status(task, value)),
                                        "authenticatedUserId": authenticated_user(task)}
            if attributes is not None:
                contexts["task"] = TaskContext(task.data, facts, attributes)
            scope = ModelScope(task.data, contexts)
            if listener.language == "expression":
                engine.evaluator.evaluate(listener.source, scope, element_id=_element_id(task))
            else:
                engine.evaluator.execute(listener.source, scope, element_id=_element_id(task))
        except ExpressionError as exc:
            raise WorkflowTaskException(f"{listener.kind} listener ({event}): {exc.message}", task=task,
                                        exception=exc) from exc


_CALLS = "_amtsflow_listener_calls"


def _queue_call(task: Any, listener: Listener, event: str, facts: dict[str, Any]) -> None:
    """A listener mapped to a connector operation: its parameters now, the call after the commit
    (a job; connectors are never called inside the case's transaction)."""
    engine = task.workflow.top_workflow.script_engine
    scope = ModelScope(task.data, {"execution": ExecutionContext(task.data, facts)})
    params = {name: engine.evaluator.evaluate(expression, scope, element_id=_element_id(task))
              for name, expression in listener.params}
    top = task.workflow.top_workflow
    top.__dict__.setdefault(_CALLS, []).append(
        {"operation": listener.source, "params": params, "element_id": _element_id(task), "event": event,
         "kind": listener.kind})


def take_calls(wf: Any) -> list[dict[str, Any]]:
    """Drain the connector calls listeners queued since the last call (see _queue_call)."""
    sink = wf.__dict__.get(_CALLS)
    if not sink:
        return []
    taken = list(sink)
    sink.clear()
    return taken


def _element_id(task: Any) -> str:
    return str(getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name)


def _task_attributes(task: Any, listeners: ElementListeners) -> dict[str, Any]:
    stored = task.internal_data.get(TASK_ATTRIBUTES)
    if stored is not None:
        return dict(stored)
    assignee = listeners.assignee
    if assignee and juel.is_juel(assignee):
        # what a listener sees as task.assignee; one that cannot be worked out is nobody here, and
        # the projection names the problem (engine.services.task_assignment)
        try:
            assignee = task.workflow.top_workflow.script_engine.evaluate(task, juel.translate(assignee))
        except (juel.JuelError, WorkflowTaskException):
            assignee = None
    name = listeners.name
    if name and juel.is_juel(name):
        # as Camunda 7 names the task before its create listeners run (the inbox shows the same,
        # engine.services.task_assignment); one that cannot be worked out stays as written
        try:
            name = juel.as_text(task.workflow.top_workflow.script_engine.evaluate(task, juel.translate(name)))
        except (juel.JuelError, WorkflowTaskException):
            pass
    return {"name": name, "assignee": assignee}


def _run_task_listeners(task: Any, listeners: ElementListeners, event: str, **given: Any) -> dict[str, Any]:
    """Run the task listeners of ``event``; ``given``: attributes as they are now (a new assignee).
    Returns the task's attributes after them."""
    found = listeners.of("task", event)
    attributes = {**_task_attributes(task, listeners), **given}
    if not found:
        return attributes
    _fire(task, found, event, attributes)
    if attributes.pop("changed", None):
        task.internal_data[TASK_ATTRIBUTES] = attributes
    return attributes


def fire_assignment(task: Any, assignee: str | None) -> None:
    """A person claimed, returned or delegated the user task ``task``: its assignment listeners."""
    listeners = getattr(task.task_spec, "listeners", None)
    if isinstance(listeners, ElementListeners):
        _run_task_listeners(task, listeners, "assignment", assignee=assignee)


def listens(task_spec: Any, kind: str, event: str) -> bool:
    listeners = getattr(task_spec, "listeners", None)
    return isinstance(listeners, ElementListeners) and bool(listeners.of(kind, event))


def _first_element(task: Any) -> str | None:
    """The first model element after the process's Start task (its start event)."""
    for child in task.children:
        element = getattr(child.task_spec, "bpmn_id", None)
        if element is not None:
            return str(element)
    return None


def _came_from(task: Any) -> str | None:
    """The element whose outgoing flow led to ``task`` (skipping the library's control tasks)."""
    current = task.parent
    while current is not None and getattr(current.task_spec, "bpmn_id", None) is None:
        current = current.parent
    return None if current is None else str(current.task_spec.bpmn_id)


def _hand_on(task: Any, changes: dict[str, Any]) -> None:
    """Variables set by listeners of a cancelled task belong to the case (Camunda sets them on
    the process scope): give them to the branch that goes on (the interrupting boundary event's)."""
    if not changes or task.parent is None:
        return
    for sibling in task.parent.children:
        if sibling is not task and not sibling.has_state(TaskState.CANCELLED):
            sibling.data.update(changes)
            for child in sibling.children:
                child.data.update(changes)


def _fire_timeout(timer: Any, task_id: str, index: int) -> None:
    """A generated timeout timer fired: run timeout listener ``index`` of the waiting user task
    ``task_id`` with that task as ``task``; its variables are case data (the timer's branch too)."""
    candidates = [*(timer.parent.children if timer.parent is not None else []),
                  *timer.workflow.get_tasks(state=TaskState.READY)]
    task = next((t for t in candidates if getattr(t.task_spec, "bpmn_id", None) == task_id
                 and t.state == TaskState.READY), None)
    listeners = getattr(task.task_spec, "listeners", None) if task is not None else None
    if task is None or not isinstance(listeners, ElementListeners):
        return  # the task is gone: nothing to time out
    found = listeners.of("task", "timeout")
    if index >= len(found):
        return
    before = dict(task.data)
    attributes = _task_attributes(task, listeners)
    _fire(task, [found[index]], "timeout", attributes)
    if attributes.pop("changed", None):
        task.internal_data[TASK_ATTRIBUTES] = attributes
    timer.data.update({k: v for k, v in task.data.items() if k not in before or before[k] is not v})


class Listening:
    """Mixin for a task spec with listeners (``listeners``: :class:`ElementListeners`)."""

    listeners: ElementListeners
    manual: bool

    def _update_hook(self, my_task: Any) -> Any:
        result = super()._update_hook(my_task)  # type: ignore[misc]
        # an element is entered when it becomes ready or starts waiting (a catch event, a join);
        # a boundary event only when it is triggered (Camunda: its execution arrives then)
        entered = result or (my_task.state == TaskState.WAITING and not isinstance(self, BoundaryEvent))
        if entered and not my_task.internal_data.get(STARTED):
            my_task.internal_data[STARTED] = True
            source = _came_from(my_task)
            if source is not None and source in self.listeners.take:
                _fire(my_task, self.listeners.take[source], "take", activity=source)
            _fire(my_task, self.listeners.of("execution", "start"), "start")
        return result

    def _on_ready_hook(self, my_task: Any) -> None:
        super()._on_ready_hook(my_task)  # type: ignore[misc]
        if self.manual and not skipped(my_task):   # a skipped user task is never created (Flowable)
            attributes = _run_task_listeners(my_task, self.listeners, "create")
            if attributes.get("assignee"):  # Camunda: assignment follows create when the task has an assignee
                _run_task_listeners(my_task, self.listeners, "assignment")

    def _on_complete_hook(self, my_task: Any) -> None:
        if self.listeners.timeout_of is not None:
            _fire_timeout(my_task, *self.listeners.timeout_of)
        for listener in self.listeners.process:  # on the Start and End tasks of the process spec
            at = _first_element(my_task) if listener.event == "start" else _came_from(my_task)
            _fire(my_task, [listener], listener.event, activity=at)
        if self.manual and not skipped(my_task):
            _run_task_listeners(my_task, self.listeners, "complete")
        my_task.internal_data[ENDED] = True
        _fire(my_task, self.listeners.of("execution", "end"), "end")
        super()._on_complete_hook(my_task)  # type: ignore[misc]

    def _on_cancel(self, my_task: Any) -> None:
        # Task.cancel() marks the task CANCELLED first: whether it was entered and not yet
        # ended is in its internal data
        if my_task.internal_data.get(STARTED) and not my_task.internal_data.get(ENDED):
            my_task.internal_data[ENDED] = True
            before = dict(my_task.data)
            if self.manual:
                _run_task_listeners(my_task, self.listeners, "delete")
            _fire(my_task, self.listeners.of("execution", "end"), "end")
            _hand_on(my_task, {k: v for k, v in my_task.data.items() if k not in before or before[k] is not v})
        super()._on_cancel(my_task)  # type: ignore[misc]


def attach_to_spec(spec: Any, found: dict[str, ElementListeners]) -> None:
    """Attach the listeners of ``found`` (from :func:`collect`, for the spec's file) to the task
    specs of ``spec``; a process's own listeners to its Start and End tasks."""
    if not found:
        return
    from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask

    for task_spec in list(spec.task_specs.values()):
        element = getattr(task_spec, "bpmn_id", None)
        # multi-instance: Camunda runs an activity's listeners per instance, not for the body
        if element is not None and element in found and not isinstance(task_spec, MultiInstanceTask):
            attach(task_spec, found[element])
    for key, name in ((PROCESS_START, "Start"), (PROCESS_END, "End")):
        if key + spec.name in found and name in spec.task_specs:
            attach(spec.task_specs[name], found[key + spec.name])


def attach(task_spec: Any, listeners: ElementListeners) -> None:
    """Give ``task_spec`` its listeners (a subclass of its class with :class:`Listening`)."""
    spiff_seam.mix_in(task_spec, Listening, "Listening")
    task_spec.listeners = listeners
