"""Event parsers that read what SpiffWorkflow 3.2.0's own parsers drop without a word.

* End events: SpiffWorkflow reads message, cancel, error, escalation and terminate
  definitions, but not signals: a signal end event ran as a none end event. Ours also
  reads ``signalEventDefinition`` (the signal is thrown, see engine.runtime.thrown).
* Start events: SpiffWorkflow reads message, signal, timer and conditional definitions;
  an error or escalation start event of an event sub-process became a *none* start
  event, so the event sub-process ran at once beside the main flow. Ours reads error and
  escalation definitions too, which makes such an event sub-process wait for its event.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.event_parsers import (
    CONDITIONAL_EVENT_XPATH, ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH, MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH, CANCEL_EVENT_XPATH, TERMINATION_EVENT_XPATH)
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaEndEventParser, CamundaIntermediateThrowEventParser, CamundaStartEventParser)
from SpiffWorkflow.spiff.parser.event_parsers import SpiffEndEventParser, SpiffStartEventParser

END_XPATHS = [MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, CANCEL_EVENT_XPATH, ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH,
              TERMINATION_EVENT_XPATH]
START_XPATHS = [MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, TIMER_EVENT_XPATH, CONDITIONAL_EVENT_XPATH,
                ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH]


def _end(parser: Any) -> Any:
    task = parser._create_task(parser.get_event_definition(END_XPATHS))
    task.connect(parser.spec.end)
    return task


def _start(parser: Any) -> Any:
    task = parser._create_task(parser.get_event_definition(START_XPATHS))
    # SpiffWorkflow ignores isInterrupting (every event sub-process ran non-interrupting);
    # engine.runtime.interrupting acts on it. Specs are re-parsed, never stored: the attribute stays.
    container = parser.node.getparent()
    in_event_subprocess = container is not None and container.get("triggeredByEvent") == "true"
    task.interrupting = in_event_subprocess and (parser.node.get("isInterrupting") or "true").lower() != "false"
    parser.spec.start.connect(task)
    return task


class _CamundaSignalInputs:
    """Reads camunda:in on a thrown signal's definition (see engine.runtime.signals)."""

    def parse_signal_event(self, signal_event: Any) -> Any:
        from engine.runtime.signals import SignalInputProblem, signal_inputs

        definition = super().parse_signal_event(signal_event)  # type: ignore[misc]
        try:
            definition.inputs = signal_inputs(signal_event)
        except SignalInputProblem as exc:
            self.raise_validation_exception(str(exc))  # type: ignore[attr-defined]
        return definition


class CamundaThrow(_CamundaSignalInputs, CamundaIntermediateThrowEventParser):  # type: ignore[misc]
    pass


class CamundaEnd(_CamundaSignalInputs, CamundaEndEventParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        return _end(self)


class SpiffEnd(SpiffEndEventParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        return _end(self)


class CamundaStart(CamundaStartEventParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        return _start(self)


class SpiffStart(SpiffStartEventParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        return _start(self)
