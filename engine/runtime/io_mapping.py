"""Input/output mappings with Camunda 7's variable scopes, run inside SpiffWorkflow.

SpiffWorkflow has no variable scopes: every task carries a flat copy of the data. Camunda 7
gives an activity with ``inputOutput`` its own scope:

* **inputs** are evaluated when the activity is entered, over the data it inherits, and
  become *local* variables: the activity (its form, assignee, script, connector call,
  the tasks inside a sub-process) sees them; they are gone when it ends;
* a variable the activity writes under the name of a local variable stays local (it
  is lost at the end unless an output maps it); other writes reach the enclosing scope;
* **outputs** are evaluated when the activity completes, over everything it sees
  (locals included), and are written to the enclosing scope, one after the other (a later
  output sees an earlier one unless a local of that name shadows it).

With flat data this is: remember which names the inputs created or shadowed, and on
completion evaluate the outputs, drop the locals (restoring a shadowed outer value), then
write the outputs. The bookkeeping lives in the task's ``internal_data`` (serialised with
the case), so a save/restore at a wait keeps it. The mapping itself is attached to the task
spec at deploy time (specs are re-parsed from the stored source, never serialised).

Values (:data:`Value`) are small tuples built by the dialect translation
(:mod:`engine.runtime.camunda_io`): ``("null",)``, ``("text", s)``, ``("expr", python)``,
``("list", [values])``, ``("map", [(key value, value)])``, ``("script", language, source)``,
``("resource", language, path)`` (a script file the deployment lacks: evaluating it fails
the activity, as Camunda fails when it loads the resource).
Expressions and Python scripts run in the safe evaluator; other script languages go to the
runner the script engine registers for them (:meth:`SafeScriptEngine.script_value`).
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Any, Mapping

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from engine.runtime.javascript import JAVASCRIPT_NAMES
from engine.runtime import spiff_seam
from engine.runtime.script_resources import missing_message

Value = tuple[Any, ...]

INPUTS = "io_inputs"        # internal data: {name: value} of the evaluated inputs
SHADOWED = "io_shadowed"    # internal data: {name: outer value} the inputs covered


# Script languages a mapping value may be written in: alias (lower case) -> canonical name.
# Python runs in the safe evaluator. Another language is added here together with a runner
# in SafeScriptEngine.script_runners under its canonical name (the JavaScript sandbox).
SCRIPT_LANGUAGES: dict[str, str] = {"python": "python", "py": "python", "text/x-python": "python",
                                    **{name: "javascript" for name in JAVASCRIPT_NAMES}}


def script_language(name: str | None) -> str | None:
    """Canonical name of a supported script language, or None."""
    return SCRIPT_LANGUAGES.get((name or "").strip().lower())


@dataclass(frozen=True)
class IoMapping:
    inputs: tuple[tuple[str, Value], ...] = ()
    outputs: tuple[tuple[str, Value], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.inputs or self.outputs)


def evaluate(task: Any, value: Value, names: Mapping[str, Any]) -> Any:
    """The value of one mapping value over ``names`` (raises WorkflowTaskException)."""
    kind = value[0]
    if kind == "null":
        return None
    if kind == "text":
        return value[1]
    if kind == "list":
        return [evaluate(task, item, names) for item in value[1]]
    if kind == "map":
        result: dict[str, Any] = {}
        for key, item in value[1]:
            result[str(evaluate(task, key, names))] = evaluate(task, item, names)
        return result
    engine = task.workflow.top_workflow.script_engine
    if kind == "expr":
        return engine.evaluate_over(task, value[1], names)
    if kind == "script":
        return engine.script_value(task, value[1], value[2], names)
    if kind == "resource":
        raise WorkflowTaskException(missing_message(value[2]), task=task)
    raise WorkflowTaskException(f"unknown mapping value {kind!r}", task=task)


def connector_result(task: Any, result: dict[str, Any]) -> bool:
    """Apply a Camunda Connect connector's output parameters (``connector_outputs`` on the task
    spec) over the operation's result and the task's variables; False when it has none.

    One after the other, as Camunda's ConnectorActivityBehavior: each is evaluated in a scope
    holding the response over the activity's variables and written to the activity at once, so
    a later output sees it, unless a response variable of that name shadows it."""
    outputs = getattr(task.task_spec, "connector_outputs", None)
    if not outputs:
        return False
    names = {**task.data, **result}
    for name, value in outputs:
        written = evaluate(task, value, names)
        task.data[name] = written
        if name not in result:
            names[name] = written
    return True


def enter(task: Any, mapping: IoMapping) -> None:
    """Apply the inputs once (the first time the activity is entered); afterwards re-assert
    them, because SpiffWorkflow re-inherits the parent's data while a task waits."""
    stored = task.internal_data.get(INPUTS)
    if stored is None:
        outer = dict(task.data)
        values: dict[str, Any] = {}
        for name, value in mapping.inputs:
            values[name] = evaluate(task, value, outer)   # inputs read the enclosing scope
        task.internal_data[SHADOWED] = {n: outer[n] for n in values if n in outer}
        task.internal_data[INPUTS] = values
        stored = values
    task.data.update(deepcopy(stored))   # a copy: SpiffWorkflow merges parent data into it in place


def leave(task: Any, mapping: IoMapping) -> None:
    """Evaluate the outputs over the activity's view, drop the locals, write the outputs.

    One after the other, as Camunda's IoMapping: each output is evaluated in the activity's
    scope and written to the enclosing scope at once, so a later output sees it, unless a local
    of the activity (an input) has that name and shadows it."""
    inputs = task.internal_data.get(INPUTS) or {}
    outputs = []
    for name, value in mapping.outputs:
        result = evaluate(task, value, task.data)
        outputs.append((name, result))
        if name not in inputs:
            task.data[name] = result
    locals_ = task.internal_data.pop(INPUTS, None) or {}
    shadowed = task.internal_data.pop(SHADOWED, None) or {}
    for name in locals_:
        if name in shadowed:
            task.data[name] = shadowed[name]
        else:
            task.data.pop(name, None)
    for name, value in outputs:
        task.data[name] = value


def outer_view(task: Any) -> dict[str, Any]:
    """A task's data as the case sees it: without the local variables of the activity and of
    the sub-processes around it (a shadowed case variable shows its case value)."""
    data = dict(task.data)
    current: Any = task
    while current is not None:
        locals_ = current.internal_data.get(INPUTS)
        if locals_:
            shadowed = current.internal_data.get(SHADOWED) or {}
            for name in locals_:
                if name in shadowed:
                    data[name] = shadowed[name]
                else:
                    data.pop(name, None)
        current = _enclosing_task(current)
        if current is not None and getattr(current.task_spec, "call_mapping", None) is not None:
            break  # a called process is a scope of its own: what it was given is its own data
    return data


def enclosing_chain(task: Any) -> list[Any]:
    """The task and the sub-process tasks around it, innermost first, up to its process's
    boundary (a called process is a scope of its own)."""
    chain = [task]
    current = _enclosing_task(task)
    while current is not None and getattr(current.task_spec, "call_mapping", None) is None:
        chain.append(current)
        current = _enclosing_task(current)
    return chain


def in_called_process(task: Any) -> bool:
    """True when the task runs inside a process called by a call activity (its own scope)."""
    current = _enclosing_task(task)
    while current is not None:
        if getattr(current.task_spec, "call_mapping", None) is not None:
            return True
        current = _enclosing_task(current)
    return False


def _enclosing_task(task: Any) -> Any:
    """The sub-process or call activity task whose sub-workflow ``task`` runs in, or None."""
    workflow = task.workflow
    top = workflow.top_workflow
    if workflow is top:
        return None
    parent_id = getattr(workflow, "parent_task_id", None)
    parent_workflow = getattr(workflow, "parent_workflow", None) or top
    return parent_workflow.get_task_from_id(parent_id) if parent_id is not None else None


enclosing_task = _enclosing_task


class _Leave:
    io_mapping: IoMapping

    def _on_complete_hook(self, my_task: Any) -> None:
        leave(my_task, self.io_mapping)
        super()._on_complete_hook(my_task)  # type: ignore[misc]


class IoScope(_Leave):
    """Mixin for a task spec with an input/output mapping (``io_mapping`` attribute)."""

    def _update_hook(self, my_task: Any) -> Any:
        if my_task.internal_data.get(INPUTS) is None:
            spiff_seam.inherit_data(my_task)
        enter(my_task, self.io_mapping)   # locals in place before an event definition reads the data
        result = super()._update_hook(my_task)  # type: ignore[misc]
        enter(my_task, self.io_mapping)   # SpiffWorkflow re-inherited the parent's data: assert them again
        return result


class IoSubProcess(_Leave):
    """Sub-process or call activity: the inputs must be in place before the data is copied
    into the sub-workflow; the outputs run after its data has come back."""

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        enter(my_task, self.io_mapping)
        super().copy_data(my_task, subworkflow)  # type: ignore[misc]


def attach(task_spec: Any, mapping: IoMapping) -> None:
    """Give ``task_spec`` the mapping and the scope behaviour (a subclass of its class)."""
    from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

    cls = type(task_spec)
    if issubclass(cls, _Leave):   # a spec shared by several processes is prepared once each
        task_spec.io_mapping = mapping
        return
    spiff_seam.mix_in(task_spec, IoSubProcess if issubclass(cls, SubWorkflowTask) else IoScope, "Io")
    task_spec.io_mapping = mapping


__all__ = ["enclosing_task", "connector_result", "outer_view", "SCRIPT_LANGUAGES", "script_language", "IoMapping", "Value", "attach", "enter", "leave", "evaluate", "IoScope", "IoSubProcess"]
