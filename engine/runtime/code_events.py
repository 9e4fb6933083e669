"""Camunda 7 error and escalation catches that name variables for what they caught.

``camunda:errorCodeVariable`` and ``camunda:escalationCodeVariable`` on a catching error or
escalation event definition (boundary event, event sub-process start) receive the code of
the error or escalation caught; ``camunda:errorMessageVariable`` the error's message (the
thrower's ``camunda:errorMessage`` on its error element, a connector's business-error
message, else null). SpiffWorkflow ignored them (the variables never existed).
"""

from __future__ import annotations

import copy
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition, EscalationEventDefinition)

from engine.runtime import juel
from engine.runtime.namespaces import CAMUNDA

__all__ = ["CamundaError", "CamundaEscalation", "CodeVariables"]

_CAUGHT = "amtsflow_caught_code"


class CodeVariables:
    """Mixin: remembers the caught code (and message) and writes them to ``code_variable``
    (``message_variable``) when the catching task runs."""

    code_variable: str | None = None
    message_variable: str | None = None
    error_message: str | None = None      # on a throwing definition: camunda:errorMessage

    def catch(self, my_task: Any, event: Any = None) -> None:
        super().catch(my_task, event)  # type: ignore[misc]
        if event is not None:
            payload = event.payload if isinstance(event.payload, dict) else {}
            message = getattr(event.event_definition, "error_message", None) or payload.get("error_message")
            my_task.internal_data[_CAUGHT] = [getattr(event.event_definition, "code", None), message]

    def update_task_data(self, my_task: Any) -> None:
        super().update_task_data(my_task)  # type: ignore[misc]
        caught = my_task.internal_data.pop(_CAUGHT, None)
        if caught is None:
            return
        if self.code_variable:
            my_task.data[self.code_variable] = caught[0]
        if self.message_variable:
            my_task.data[self.message_variable] = caught[1]


class CamundaError(CodeVariables, ErrorEventDefinition):  # type: ignore[misc]
    def throw(self, my_task: Any) -> None:
        """A ``camunda:errorMessage`` given as an expression (``Fehler: ${grund}``) is evaluated with
        the thrower's variables when the error is thrown; the catcher's errorMessageVariable gets
        that text."""
        if not (self.error_message and juel.is_juel(self.error_message)):
            super().throw(my_task)
            return
        value = my_task.workflow.script_engine.evaluate(my_task, juel.translate(self.error_message))
        resolved = copy.copy(self)
        resolved.error_message = None if value is None else str(value)
        super(CamundaError, resolved).throw(my_task)


class CamundaEscalation(CodeVariables, EscalationEventDefinition):  # type: ignore[misc]
    pass


def read_code_variable(node: Any, kind: str) -> str | None:
    return node.get(f"{{{CAMUNDA}}}{kind}CodeVariable") or None
