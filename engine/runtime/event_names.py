"""Message and signal names given as expressions (Camunda 7: ``name="alert-${var}"``).

Camunda resolves such a name per case: a catch event, receive task or boundary event
subscribes under the name its expression yields from the case's variables when it starts to
wait; a throw event, send task or end event throws under the name it yields when it throws.
Here the waiting task keeps the resolved name in its internal data (so it survives
save/restore and later variable changes do not move the subscription); everything that
matches a subscription by name asks :func:`subscribed_name`. A signal name whose expression
reads no variable (``alert-${'foo'}``) is a constant: :func:`fold_constant_names` replaces it by
its value at deploy, as Camunda evaluates a signal start event's name without variables
(SignalEventExpressionNameTest.testSignalStartEvent). Other expression names on a process's
start events are refused at deploy (there are no case variables yet), and a message start event
refuses every expression, constant or not, as Camunda does ("expressions in the message start
event name are not allowed").

The start event of an event sub-process has no task while it waits: its scope instance (the
case, an embedded sub-process or called process instance, an event sub-process instance)
subscribes for it when the scope starts, as Camunda 7 creates the subscription with the scope
execution. :func:`scope_subscribed_name` keeps the name resolved then in the internal data of
the scope's root task (:data:`SCOPE_PINNED`), and a failure beside it (:data:`SCOPE_FAILED`),
reported and retried like a waiting task's (:func:`take_new_scope_failures`,
:func:`clear_scope_failures`).
"""

from __future__ import annotations

import ast
import copy
from typing import Any, Callable

from lxml import etree

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from engine.domain.errors import ExpressionError
from engine.runtime import juel
from engine.runtime.namespaces import tag

__all__ = ["ExpressionNamed", "clear_failures", "clear_scope_failures", "fold_constant_names", "is_expression",
           "name_failure", "resolved_definition", "scope_subscribed_name", "subscribed_name", "take_new_failures",
           "take_new_scope_failures", "throw_resolved", "thrown_name"]

PINNED = "event_names"     # task.internal_data: {name expression: resolved name}
NAME_FAILED = "event_name_failed"   # task.internal_data: {"message": ..., "reported": bool}
UNRESOLVED = "\x00unresolved"     # the name a task whose name failed waits under: no message has it
SCOPE_PINNED = "event_start_names"        # a scope's root task: {start spec name: {name expression: resolved}}
SCOPE_FAILED = "event_start_name_failed"  # a scope's root task: {start spec name: {"element", "message", "reported"}}


def is_expression(name: Any) -> bool:
    return isinstance(name, str) and juel.is_juel(name)


def constant_value(name: str) -> str | None:
    """The value of a name expression that reads no variable (text, string and number
    literals joined with ``+``), else None."""
    try:
        tree = ast.parse(juel.translate(name), mode="eval").body
    except (juel.JuelError, SyntaxError):
        return None

    def value(node: ast.expr) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)) \
                and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = value(node.left), value(node.right)
            if isinstance(left, str) != isinstance(right, str):
                raise ValueError("mixed")
            return left + right
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "juel_arith" \
                and len(node.args) == 3 and not node.keywords and isinstance(node.args[0], ast.Constant) \
                and node.args[0].value == "+":   # JUEL's + (juel.translate)
            left, right = value(node.args[1]), value(node.args[2])
            if isinstance(left, str) != isinstance(right, str):
                raise ValueError("mixed")
            return left + right
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("str", "juel_text") \
                and len(node.args) == 1 and not node.keywords:
            return str(value(node.args[0]))
        raise ValueError("not a constant")

    try:
        return str(value(tree))
    except ValueError:
        return None


def fold_constant_names(root: etree._Element) -> None:
    """Signal names whose expression reads no variable become their value."""
    for node in root.iter(tag("signal")):
        name = node.get("name") or ""
        if is_expression(name):
            folded = constant_value(name)
            if folded is not None:
                node.set("name", folded)


def _evaluate(task: Any, name: str) -> str:
    value = task.workflow.script_engine.evaluate(task, juel.translate(name))
    return "" if value is None else str(value)


def subscribed_name(task: Any, definition: Any) -> str:
    """The name ``task`` waits under for ``definition``: fixed, or its expression resolved
    once, with the task's variables, when first asked (when the task subscribes).

    An expression that cannot be evaluated (a variable the case does not have) leaves the task
    waiting under no name: nothing reaches it, and the failure is kept in its internal data
    (:data:`NAME_FAILED`) until a retry clears it (:func:`clear_failures`); the command reports
    it once as the step's failure (:func:`take_new_failures`), so the case gets an incident.
    Camunda fails the command there too; raising here would lose the command instead (a
    citizen's application among them)."""
    name = getattr(definition, "name", None) or ""
    if not is_expression(name) or task is None:
        return name
    if task.internal_data.get(NAME_FAILED):
        return UNRESOLVED
    pinned = task.internal_data.get(PINNED) or {}
    if name not in pinned:
        try:
            resolved = _evaluate(task, name)
        except (WorkflowTaskException, ExpressionError, juel.JuelError) as exc:
            element = getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name
            reason = str(getattr(exc, "message", None) or exc).strip().removeprefix(f"{element}: ")
            task.internal_data[NAME_FAILED] = {"message": f"the name {name!r} of the event it waits for could not "
                                                          f"be evaluated: {reason}", "reported": False}
            return UNRESOLVED
        pinned = {**pinned, name: resolved}
        task.internal_data[PINNED] = pinned
    return str(pinned[name])


def _failure_text(name: str, exc: Exception, element: str) -> str:
    reason = str(getattr(exc, "message", None) or exc).strip()
    for prefix in (f"{element}: ", "Start: ", "Root: "):
        reason = reason.removeprefix(prefix)
    return f"the name {name!r} of the event it waits for could not be evaluated: {reason}"


def scope_subscribed_name(root: Any, key: str, element_id: str, definition: Any,
                          evaluate: Callable[[str], Any]) -> str:
    """The name the start event ``key`` (its task spec name) of an event sub-process of the scope
    whose root task is ``root`` waits under for ``definition``: fixed, or its expression resolved
    once, by ``evaluate`` (translated expression -> value), when first asked; the scope asks when
    it starts (:func:`engine.runtime.event_subprocesses.subscribe_scope`). A failure leaves the
    start waiting under no name (:data:`UNRESOLVED`) until a retry clears it."""
    name = getattr(definition, "name", None) or ""
    if not is_expression(name):
        return name
    if key in (root.internal_data.get(SCOPE_FAILED) or {}):
        return UNRESOLVED
    pinned = root.internal_data.get(SCOPE_PINNED) or {}
    mine = pinned.get(key) or {}
    if name not in mine:
        try:
            value = evaluate(juel.translate(name))
        except (WorkflowTaskException, ExpressionError, juel.JuelError) as exc:
            failed = root.internal_data.get(SCOPE_FAILED) or {}
            root.internal_data[SCOPE_FAILED] = {**failed, key: {"element": element_id, "reported": False,
                                                                "message": _failure_text(name, exc, element_id)}}
            return UNRESOLVED
        mine = {**mine, name: "" if value is None else str(value)}
        root.internal_data[SCOPE_PINNED] = {**pinned, key: mine}
    return str(mine[name])


def take_new_scope_failures(roots: Any) -> list[tuple[str, str]]:
    """Name failures of event sub-process starts of the scopes with these root tasks not
    reported yet, now marked reported: (start event id, message)."""
    found = []
    for root in roots:
        failed = root.internal_data.get(SCOPE_FAILED)
        if not failed:
            continue
        for key, failure in list(failed.items()):
            if not failure.get("reported"):
                failed = {**failed, key: {**failure, "reported": True}}
                found.append((str(failure["element"]), str(failure["message"])))
        root.internal_data[SCOPE_FAILED] = failed
    return found


def clear_scope_failures(roots: Any) -> None:
    """A retry: failed start names of these scopes are evaluated again (with the scope's
    variables of then) when next asked."""
    for root in roots:
        root.internal_data.pop(SCOPE_FAILED, None)


def name_failure(task: Any) -> str | None:
    """Why ``task`` waits under no name (see :func:`subscribed_name`), or None."""
    failed = task.internal_data.get(NAME_FAILED)
    return str(failed["message"]) if failed else None


def take_new_failures(tasks: Any) -> list[tuple[Any, str]]:
    """Name failures of ``tasks`` not reported yet, now marked reported: (task, message)."""
    found = []
    for task in tasks:
        failed = task.internal_data.get(NAME_FAILED)
        if failed and not failed.get("reported"):
            task.internal_data[NAME_FAILED] = {**failed, "reported": True}
            found.append((task, str(failed["message"])))
    return found


def clear_failures(tasks: Any) -> None:
    """A retry: the names of failed tasks are evaluated again when next asked."""
    for task in tasks:
        task.internal_data.pop(NAME_FAILED, None)


def thrown_name(task: Any, definition: Any) -> str:
    """The name ``task`` throws ``definition`` under now."""
    name = getattr(definition, "name", None) or ""
    return _evaluate(task, name) if is_expression(name) else name


def resolved_definition(task: Any, definition: Any) -> Any:
    """``definition`` itself, or a copy named as ``task`` throws it now."""
    if not is_expression(getattr(definition, "name", None)):
        return definition
    resolved = copy.copy(definition)
    resolved.name = thrown_name(task, definition)
    return resolved


def throw_resolved(definition: Any, my_task: Any) -> bool:
    """For a ``throw`` method: throw a copy named as resolved now (True), or nothing (False)
    when the name is fixed. The event then carries the resolved name to every catcher."""
    if not is_expression(getattr(definition, "name", None)):
        return False
    resolved = resolved_definition(my_task, definition)
    type(definition).throw(resolved, my_task)
    return True


class ExpressionNamed:
    """Mixin for the engine's message and signal event definitions (whose ``throw`` calls
    :func:`throw_resolved`): on the catching side a name expression is compared by the name
    the waiting task subscribed under."""

    name: str

    def catches(self, my_task: Any, event: Any) -> bool:
        if not is_expression(self.name):
            return bool(super().catches(my_task, event))  # type: ignore[misc]
        other = event.event_definition
        return type(other) is type(self) and subscribed_name(my_task, self) == other.name

    def catch(self, my_task: Any, event: Any = None) -> None:
        if event is not None and is_expression(self.name) and event.event_definition.name != self.name:
            renamed = copy.copy(event.event_definition)   # the payload is kept under the model's name
            renamed.name = self.name
            event = type(event)(renamed, event.payload, event.correlations, event.target)
        super().catch(my_task, event)  # type: ignore[misc]
