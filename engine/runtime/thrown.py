"""Events a case throws beyond itself, recorded with the element that threw them.

SpiffWorkflow hands a thrown event to the catchers inside the same workflow and queues
the rest in ``wf.bpmn_events``; it does not say which task threw what, and a signal that
one of the case's own tasks caught never reaches other cases. While the engine steps, a
:class:`ThrowRecorder` wraps the workflow's ``catch`` and attributes every thrown event to
the task that completed with it:

* messages nobody in the case caught go to other cases (through the messages service);
* signals always go to other cases too (a signal is a broadcast);
* an error nobody caught fails the case (an incident), as Camunda 7 does with
  ``enableExceptionsAfterUnhandledBpmnError``; it never ends "completed";
* an escalation nobody caught has no effect (BPMN and Camunda 7: the path goes on).

Recorded events collect on the workflow object until :func:`take_thrown` drains them in
the command's save, in the same unit of work (a thrown message becomes a job there).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition, EscalationEventDefinition, SignalEventDefinition)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition

__all__ = ["Thrown", "ThrowRecorder", "take_thrown"]

_SINK = "_amtsflow_thrown"


@dataclass(frozen=True)
class Thrown:
    kind: str                      # message, signal, error, escalation
    name: str                      # message or signal name; error or escalation code
    element_id: str                # the throwing element ("" if unknown)
    process_key: str
    payload: Any                   # what the event carries (JSON-like)
    data: dict[str, Any] = field(default_factory=dict)   # the thrower's data (correlation-key expressions)
    correlation: str | None = None  # from the message's correlation properties


def _kind(definition: Any) -> str | None:
    if isinstance(definition, MessageEventDefinition):
        return "message"
    if isinstance(definition, SignalEventDefinition):
        return "signal"
    if isinstance(definition, ErrorEventDefinition):
        return "error"
    if isinstance(definition, EscalationEventDefinition):
        return "escalation"
    return None


def _correlation(definition: Any, event: Any) -> str | None:
    """The message's correlation-property values in model order, joined like a subscription's."""
    props = getattr(definition, "correlation_properties", None) or []
    if not props:
        return None
    values = []
    for prop in props:
        found = [v[prop.name] for v in (event.correlations or {}).values() if isinstance(v, dict) and prop.name in v]
        if not found:
            return None
        values.append(str(found[0]))
    return "|".join(values)


def _payload(definition: Any, payload: Any) -> Any:
    """Camunda-dialect messages wrap an expression's value as {payload, result_var}."""
    if isinstance(payload, dict) and set(payload) == {"payload", "result_var"}:
        return payload["payload"]
    return payload


class ThrowRecorder:
    """Context manager around stepping: records what tasks of ``wf`` throw."""

    def __init__(self, wf: Any) -> None:
        self.wf = wf
        self.log: list[tuple[Any, bool]] = []       # (event, escaped the workflow)
        sink = wf.__dict__.get(_SINK)
        if sink is None:
            sink = []
            wf.__dict__[_SINK] = sink
        self.sink: list[Thrown] = sink

    def __enter__(self) -> "ThrowRecorder":
        original = self.wf.__dict__.get("catch") or type(self.wf).catch.__get__(self.wf)

        def catch(event: Any) -> None:
            before = len(self.wf.bpmn_events)
            original(event)
            escaped = len(self.wf.bpmn_events) > before
            if escaped:  # ours to route: out of SpiffWorkflow's own queue
                del self.wf.bpmn_events[before:]
            self.log.append((event, escaped))

        self.wf.catch = catch
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wf.__dict__.pop("catch", None)
        self.completed(None)

    def completed(self, task: Any) -> None:
        """Attribute the events logged since the last completed task to ``task``."""
        log, self.log = self.log, []
        for event, escaped in log:
            self._record(task, event, escaped)

    def _record(self, task: Any, event: Any, escaped: bool) -> None:
        definition = event.event_definition
        kind = _kind(definition)
        if kind is None or (kind != "signal" and not escaped):
            return
        if kind in ("message", "signal") and not definition.name:
            return  # no messageRef/signalRef: nothing to address (Camunda runs such an event as a none event)
        spec = getattr(task, "task_spec", None)
        element_id = str(getattr(spec, "bpmn_id", None) or "") if spec is not None else ""
        process_key = str(task.workflow.spec.name) if task is not None else str(self.wf.spec.name)
        name = getattr(definition, "code", None) if kind in ("error", "escalation") else definition.name
        data = copy.deepcopy(task.data) if task is not None else {}
        self.sink.append(Thrown(kind, str(name or getattr(definition, "name", "") or ""), element_id, process_key,
                                copy.deepcopy(_payload(definition, event.payload)), data,
                                _correlation(definition, event) if kind == "message" else None))


def take_thrown(wf: Any) -> list[Thrown]:
    """Drain what the workflow threw since the last call."""
    sink = wf.__dict__.get(_SINK)
    if not sink:
        return []
    taken = list(sink)
    sink.clear()
    return taken
