"""Camunda 7 execution and task listeners with expressions and scripts.

Deploy time (:func:`check_listener`, :func:`collect`): a listener is an ``expression``
(``${execution.setVariable('a', 1)}``, ``${task.setAssignee(x)}``), or an inline
``camunda:script`` in Python or JavaScript. Listeners that call Java code
(``class``/``delegateExpression``), load a script from a resource, or listen to events
that do not run here (``assignment``, ``timeout``, ``update``) are refused with a message.

Run time: a task spec with listeners gets the :class:`Listening` mixin (the way
:func:`engine.runtime.io_mapping.attach` adds scopes; specs are re-parsed from the
stored source, never serialised). Listeners run inside the command's unit of work, at the
point Camunda runs them:

* ``take`` of the flow that led to an element, then its ``start``: when the element is
  reached (after its input mappings), before it does anything;
* task ``create``: when the user task becomes open, after ``start``;
* task ``complete`` then ``end``: when the element completes (before its output mappings);
* task ``delete`` then ``end``: when an entered element is cancelled (a boundary event, a
  cancelled case);
* process ``start``/``end``: on the process's own start and end.

A listener that fails fails the command like a failing script task (an incident).
Task attributes a task listener sets (assignee, candidate groups, name, priority, due
date) are kept in the task's internal data and override the model's when the work item
is projected (:mod:`engine.runtime.waits`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.util.task import TaskState

from engine.domain.errors import ExpressionError
from engine.runtime import juel
from engine.runtime._safe_context import ExecutionContext, ModelScope, TaskContext
from engine.runtime.checks import foreign_script_message
from engine.runtime.javascript import JAVASCRIPT_NAMES
from engine.runtime.namespaces import CAMUNDA, tag

EXECUTION_EVENTS = ("start", "end", "take")
TASK_EVENTS = ("create", "complete", "delete")
STARTED = "listeners_started"       # internal data: the element was entered (start listeners ran)
ENDED = "listeners_ended"           # internal data: its end listeners ran
TASK_ATTRIBUTES = "task_attributes"  # internal data: task attributes set by task listeners
_PYTHON = ("python", "py", "text/x-python")

Fail = Callable[[etree._Element, str], None]


@dataclass(frozen=True)
class Listener:
    kind: str        # "execution" or "task"
    event: str
    language: str    # "expression", "python" or "javascript"
    source: str      # the translated expression or the script


@dataclass
class ElementListeners:
    own: list[Listener] = field(default_factory=list)
    take: dict[str, list[Listener]] = field(default_factory=dict)   # source element id -> take listeners
    name: str = ""
    assignee: str | None = None
    process: list[Listener] = field(default_factory=list)  # the process's own start/end (Start/End specs)

    def of(self, kind: str, event: str) -> list[Listener]:
        return [x for x in self.own if x.kind == kind and x.event == event]


# ---------------------------------------------------------------------------- deploy time

def _describe(node: etree._Element) -> str:
    kind = "execution listener" if node.tag == tag("executionListener", CAMUNDA) else "task listener"
    return f"{kind} ({node.get('event') or '?'})"


def read_listener(node: etree._Element) -> Listener:
    """The listener of one camunda:executionListener/taskListener element; raises ValueError
    with the reason when it cannot run here."""
    kind = "execution" if node.tag == tag("executionListener", CAMUNDA) else "task"
    event = (node.get("event") or ("take" if _on_flow(node) else "")).strip()
    allowed = EXECUTION_EVENTS if kind == "execution" else TASK_EVENTS
    if event not in allowed:
        more = {"assignment": "claims and delegations do not run the model, so it would not fire; use a create "
                              "listener", "timeout": "model a non-interrupting timer boundary event instead"}
        raise ValueError(f"the event '{event or '(none)'}' is not supported for {kind} listeners"
                         + (f" ({more[event]})" if event in more else f" (supported: {', '.join(allowed)})"))
    for attr in ("class", "delegateExpression"):
        if node.get(attr):
            raise ValueError(f"{attr}='{node.get(attr)}' is Java code and cannot run here; write the listener as "
                             "an expression or a JavaScript/Python script, or model the call as a service task "
                             "mapped to a connector operation")
    expression = node.get("expression")
    if expression is not None:
        try:
            return Listener(kind, event, "expression", juel.translate(expression.strip()))
        except juel.JuelError as exc:
            raise ValueError(f"expression {expression!r}: {exc}") from None
    script = node.find(tag("script", CAMUNDA))
    if script is None:
        raise ValueError("names neither an expression nor a script")
    if script.get("resource"):
        raise ValueError(f"the script is loaded from the resource '{script.get('resource')}'; write it inline")
    language = (script.get("scriptFormat") or "").strip().lower()
    if language in JAVASCRIPT_NAMES:
        return Listener(kind, event, "javascript", script.text or "")
    if language in _PYTHON:
        return Listener(kind, event, "python", script.text or "")
    raise ValueError(foreign_script_message(script.get("scriptFormat") or "unnamed"))


def _on_flow(node: etree._Element) -> bool:
    owner = node.getparent().getparent() if node.getparent() is not None else None  # type: ignore[union-attr]
    return owner is not None and owner.tag == tag("sequenceFlow")


def check_listener(node: etree._Element, fail: Fail) -> None:
    try:
        read_listener(node)
    except ValueError as exc:
        fail(node, f"{_describe(node)}: {exc}")


def _own(node: etree._Element) -> list[Listener]:
    ext = node.find(tag("extensionElements"))
    if ext is None:
        return []
    found = []
    for child in ext.findall(tag("executionListener", CAMUNDA)) + ext.findall(tag("taskListener", CAMUNDA)):
        try:
            found.append(read_listener(child))
        except ValueError:
            continue  # reported by check_listener
    return found


PROCESS_START, PROCESS_END = "process:start:", "process:end:"   # + process id


def collect(process: etree._Element) -> dict[str, ElementListeners]:
    """Listeners of a process: element id -> its listeners and the take listeners of its
    incoming flows; the process's own start and end listeners under PROCESS_START and
    PROCESS_END (run by the process spec's Start and End tasks)."""
    result: dict[str, ElementListeners] = {}
    own = _own(process)
    for key, event in ((PROCESS_START, "start"), (PROCESS_END, "end")):
        found = [x for x in own if x.kind == "execution" and x.event == event]
        if found:
            result[key + process.get("id", "")] = ElementListeners(process=found)
    for node in process.iter():
        if not isinstance(node.tag, str) or not node.get("id") or node.tag == tag("sequenceFlow") \
                or node is process:
            continue
        own = _own(node)
        if own:
            result[node.get("id", "")] = ElementListeners(own, {}, str(node.get("name") or node.get("id") or ""),
                                                          node.get(tag("assignee", CAMUNDA)))
    for flow in process.iter(tag("sequenceFlow")):
        take = [x for x in _own(flow) if x.event == "take"]
        target = flow.get("targetRef", "")
        if take and target:
            entry = result.setdefault(target, ElementListeners(name=target))
            entry.take.setdefault(flow.get("sourceRef", ""), []).extend(take)
    return result


# ---------------------------------------------------------------------------- run time

def _fire(task: Any, listeners: list[Listener], event: str, attributes: dict[str, Any] | None = None) -> None:
    from engine.runtime.script_engine import case_facts

    engine = task.workflow.top_workflow.script_engine
    for listener in listeners:
        try:
            if listener.language == "javascript":
                outcome = engine.run_javascript(task, listener.source, event=event, attributes=attributes)
                if attributes is not None:
                    attributes.update(outcome.task)
                    attributes.setdefault("changed", []).extend(outcome.task)
                continue
            facts = {**case_facts(task), "event_name": event}
            contexts: dict[str, Any] = {"execution": ExecutionContext(task.data, facts)}
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


def _element_id(task: Any) -> str:
    return str(getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name)


def _task_attributes(task: Any, listeners: ElementListeners) -> dict[str, Any]:
    stored = task.internal_data.get(TASK_ATTRIBUTES)
    if stored is not None:
        return dict(stored)
    assignee = listeners.assignee
    if assignee and juel.is_juel(assignee):
        try:
            assignee = task.workflow.top_workflow.script_engine.evaluate(task, juel.translate(assignee))
        except (juel.JuelError, WorkflowTaskException):
            assignee = None
    return {"name": listeners.name, "assignee": assignee}


def _run_task_listeners(task: Any, listeners: ElementListeners, event: str) -> None:
    found = listeners.of("task", event)
    if not found:
        return
    attributes = _task_attributes(task, listeners)
    _fire(task, found, event, attributes)
    if attributes.pop("changed", None):
        task.internal_data[TASK_ATTRIBUTES] = attributes


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


class Listening:
    """Mixin for a task spec with listeners (``listeners``: :class:`ElementListeners`)."""

    listeners: ElementListeners
    manual: bool

    def _update_hook(self, my_task: Any) -> Any:
        result = super()._update_hook(my_task)  # type: ignore[misc]
        if (result or my_task.state == TaskState.WAITING) and not my_task.internal_data.get(STARTED):
            my_task.internal_data[STARTED] = True
            source = _came_from(my_task)
            if source is not None and source in self.listeners.take:
                _fire(my_task, self.listeners.take[source], "take")
            _fire(my_task, self.listeners.of("execution", "start"), "start")
        return result

    def _on_ready_hook(self, my_task: Any) -> None:
        super()._on_ready_hook(my_task)  # type: ignore[misc]
        if self.manual:
            _run_task_listeners(my_task, self.listeners, "create")

    def _on_complete_hook(self, my_task: Any) -> None:
        for listener in self.listeners.process:
            _fire(my_task, [listener], listener.event)
        if self.manual:
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


_CLASSES: dict[type, type] = {}


def attach_to_spec(spec: Any, found: dict[str, ElementListeners]) -> None:
    """Attach the listeners of ``found`` (from :func:`collect`, for the spec's file) to the task
    specs of ``spec``; a process's own listeners to its Start and End tasks."""
    if not found:
        return
    for task_spec in list(spec.task_specs.values()):
        element = getattr(task_spec, "bpmn_id", None)
        if element is not None and element in found:
            attach(task_spec, found[element])
    for key, name in ((PROCESS_START, "Start"), (PROCESS_END, "End")):
        if key + spec.name in found and name in spec.task_specs:
            attach(spec.task_specs[name], found[key + spec.name])


def attach(task_spec: Any, listeners: ElementListeners) -> None:
    """Give ``task_spec`` its listeners (a subclass of its class with :class:`Listening`)."""
    cls = type(task_spec)
    if cls not in _CLASSES:
        _CLASSES[cls] = type(f"Listening{cls.__name__}", (Listening, cls), {"__module__": __name__})
    task_spec.__class__ = _CLASSES[cls]
    task_spec.listeners = listeners
