"""BPMN errors thrown by a script task's script, caught like an error end event's.

Camunda 7 scripts throw ``new BpmnError("code")``; a script here calls the engine function
``throw_bpmn_error(code, message=None)`` (Python) or throws ``new BpmnError(code, message)``
(JavaScript, :mod:`engine.runtime.javascript`). The script stops there; what it wrote before
goes with the error to the catching path (as an error end event hands over its data). The
error travels as a connector's business error does: to the error boundary events of the
script task, then scope by scope to event sub-processes and boundary events around it
(:mod:`engine.runtime.event_routing`). Nothing catches it: the task fails with an incident
(a retry runs the script again).

Only a script task's own script may throw (not a condition, a mapping or a listener: those
fail their step with an ExpressionError). The task spec's script stops with
:class:`BpmnErrorThrown`; :func:`park` keeps the error on the task, which stays started, and
:func:`raise_pending`, called by the stepper once ``task.run()`` returned, throws it: routing
it before the task is marked started would let that mark undo the interruption.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
from collections.abc import Iterator
from typing import Any, NoReturn

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition

from engine.domain.errors import ExpressionError
from engine.runtime import spiff_seam
from engine.runtime._safe_errors import BpmnErrorThrown
from engine.runtime.event_routing import attached_boundaries, route_code

__all__ = ["BpmnErrorThrown", "THROW_FUNCTION", "catch_error_at", "error_definition", "main_script", "park",
           "raise_pending", "throw_bpmn_error"]

THROW_FUNCTION = "throw_bpmn_error"
_PENDING = "amtsflow_script_error"
_MAIN: contextvars.ContextVar[bool] = contextvars.ContextVar("amtsflow_main_script", default=False)


def throw_bpmn_error(code: Any, message: Any = None) -> NoReturn:
    """The engine function models call: ``throw_bpmn_error("ABGELEHNT", "Frist versäumt")``."""
    if not isinstance(code, str) or not code.strip():
        raise ExpressionError(f"{THROW_FUNCTION}(code, message=None): the error code must be a non-empty text, "
                              f"not {code!r}")
    raise BpmnErrorThrown(code.strip(), None if message is None else str(message))


@contextlib.contextmanager
def main_script() -> Iterator[None]:
    """While a script task runs its own script (a BPMN error may leave it)."""
    token = _MAIN.set(True)
    try:
        yield
    finally:
        _MAIN.reset(token)


def may_throw(task: Any, script: str) -> bool:
    """Is ``script`` the script of the script task ``task`` (not a pre-/post-script)?"""
    from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptEngineTask

    return _MAIN.get() or (isinstance(task.task_spec, ScriptEngineTask)
                           and script == getattr(task.task_spec, "script", None))


def not_here(thrown: BpmnErrorThrown) -> ExpressionError:
    return ExpressionError(f"BPMN error '{thrown.code}' thrown where no error can leave: {THROW_FUNCTION}() and "
                           "JavaScript's BpmnError work in a script task's script only (not in conditions, "
                           "mappings, listeners or pre-/post-scripts)")


def park(task: Any, thrown: BpmnErrorThrown) -> None:
    """Keep the error on the task (which then stays started) for :func:`raise_pending`."""
    task.internal_data[_PENDING] = [thrown.code, thrown.message]


def raise_pending(wf: Any, task: Any) -> None:
    """Throw the error a script task's script left (nothing when it left none)."""
    pending = task.internal_data.pop(_PENDING, None)
    if pending is None:
        return
    code, message = pending
    payload = copy.deepcopy(task.data)
    if message is not None:
        payload["error_message"] = message
    definition = error_definition(wf, code) or ErrorEventDefinition(code, code=code)
    if not catch_error_at(wf, task, BpmnEvent(definition, payload)):
        task.error()
        raise WorkflowTaskException(f"BPMN error '{code}' was thrown by the script and nothing catches it (no error "
                                    "boundary event or error event sub-process matches)", task=task)


def catch_error_at(wf: Any, task: Any, event: Any) -> bool:
    """Let the error travel from the task to its boundary events, then scope by scope to the
    event sub-processes and boundary events that enclose it (engine.runtime.event_routing)."""
    for sibling in attached_boundaries(task):
        spec = sibling.task_spec
        if spec.event_definition.catches(sibling, event):
            spec.catch(sibling, event)
            spiff_seam.update(sibling)
            return True
    return bool(route_code(wf, event, task.workflow))


def error_definition(wf: Any, code: str) -> Any:
    """The model's own error definition for ``code`` (catching compares definition classes)."""
    catch_all = None
    for spec in [wf.spec, *wf.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            for d in getattr(definition, "event_definitions", [definition]):
                if isinstance(d, ErrorEventDefinition) and d.code == code:
                    return copy.copy(d)
                if isinstance(d, ErrorEventDefinition) and not d.code and catch_all is None:
                    catch_all = d
    if catch_all is None:
        return None
    thrown = copy.copy(catch_all)   # only a catch-all boundary event (no errorRef) waits for it
    thrown.code = code
    return thrown
