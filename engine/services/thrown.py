"""What a case throws to others: messages and signals go out through a job (an outbox row).

A thrown message or signal is written in the thrower's unit of work as a ``throw`` job and
delivered after that commit by the job executor, through the messages service, exactly
like a message from outside: routed by name + correlation key, buffered when nobody waits
yet, idempotent by a message id derived from the job (a retried job delivers nothing
twice). No other case is ever touched inside the thrower's transaction.

Correlation key of a thrown message, first that applies:

1. the throwing element's extension property ``correlationKey`` (``camunda:property`` /
   ``spiffworkflow:property``): a ``${...}`` expression (or, in the spiff dialect, a
   Python-subset expression) evaluated on the thrower's data; in the Camunda dialect a
   value without ``${`` is a literal;
2. the message's correlation properties (``bpmn:correlationProperty``), as the receiver
   computes its own;
3. the thrower's business key.

An error that nothing in the case catches fails the case with an incident (see
:func:`uncaught_error`); an uncaught escalation has no effect.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from engine.domain.errors import ExpressionError
from engine.runtime import juel
from engine.domain.values import jsonable
from engine.runtime.model import INSTANCE_SIGNAL
from engine.runtime.thrown import Thrown

CORRELATION_PROPERTY = "correlationKey"

__all__ = ["CORRELATION_PROPERTY", "uncaught_error", "outbox_jobs"]


def uncaught_error(thrown: list[Thrown]) -> tuple[str, str] | None:
    """(message, element id) of the first error nothing caught, or None."""
    for event in thrown:
        if event.kind == "error":
            where = f"{event.element_id}: " if event.element_id else ""
            return (f"{where}BPMN error '{event.name}' was thrown and nothing catches it "
                    "(no error boundary event or error event sub-process matches)"), event.element_id
    return None


def outbox_jobs(cmd: Any, thrown: list[Thrown], now: datetime) -> tuple[list[dict[str, Any]], str | None]:
    """One ``throw`` job row per message or signal (inserted by the save, run after its commit);
    a correlation key that cannot be evaluated is the case's error instead."""

    jobs: list[dict[str, Any]] = []
    for event in thrown:
        if event.kind not in ("message", "signal"):
            continue
        if event.kind == "signal" and _case_signal(cmd, event):
            continue   # scoped to this case: SpiffWorkflow delivered it inside the case already
        try:
            key = _key(cmd, event) if event.kind == "message" else None
        except (ExpressionError, juel.JuelError) as exc:
            return [], f"{event.element_id}: correlation key of message '{event.name}': {exc}"
        jobs.append(dict(
            id=str(uuid.uuid4()), case_id=cmd.case.id, kind="throw", task_id=None,
            element_id=event.element_id or None, due_at=now, retries=cmd.engine.settings.default_retries,
            attempts=0, suspended=False, created_at=now,
            payload={"kind": event.kind, "name": event.name, "key": key, "data": jsonable(event.payload)}))
    return jobs, None


def _case_signal(cmd: Any, event: Thrown) -> bool:
    model = cmd.parsed.models.get(event.process_key, cmd.parsed.model)
    info = model.elements.get(event.element_id) if event.element_id else None
    return info is not None and info.properties.get(INSTANCE_SIGNAL) == "true"


def _key(cmd: Any, event: Thrown) -> str | None:
    model = cmd.parsed.models.get(event.process_key, cmd.parsed.model)
    expression = model.element(event.element_id).properties.get(CORRELATION_PROPERTY) if event.element_id else None
    if expression:
        if juel.is_juel(expression):
            value = cmd.engine.evaluator.evaluate(juel.translate(expression), event.data, element_id=event.element_id)
        elif model.dialect == "camunda":
            value = expression
        else:
            value = cmd.engine.evaluator.evaluate(expression, event.data, element_id=event.element_id)
        return None if value is None else str(value)
    if event.correlation is not None:
        return event.correlation
    return cmd.case.business_key  # type: ignore[no-any-return]
