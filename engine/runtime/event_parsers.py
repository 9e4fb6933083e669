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
    CamundaBoundaryEventParser, CamundaEndEventParser, CamundaIntermediateThrowEventParser, CamundaStartEventParser)

from engine.runtime.namespaces import CAMUNDA as CAMUNDA_NS
from SpiffWorkflow.spiff.parser.event_parsers import SpiffEndEventParser, SpiffStartEventParser
from engine.runtime import juel, spiff_seam

END_XPATHS = [MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, CANCEL_EVENT_XPATH, ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH,
              TERMINATION_EVENT_XPATH]
START_XPATHS = [MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, TIMER_EVENT_XPATH, CONDITIONAL_EVENT_XPATH,
                ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH]


def _end(parser: Any) -> Any:
    task = spiff_seam.create_event_task(parser, parser.get_event_definition(END_XPATHS))
    task.connect(parser.spec.end)
    return task


def _start(parser: Any) -> Any:
    task = spiff_seam.create_event_task(parser, parser.get_event_definition(START_XPATHS))
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


class _CamundaCodeVariables:
    """Reads camunda:errorCodeVariable / escalationCodeVariable (see engine.runtime.code_events)."""

    def parse_error_event(self, error_event: Any) -> Any:
        from engine.runtime.code_events import read_code_variable

        definition = super().parse_error_event(error_event)  # type: ignore[misc]
        definition.code_variable = read_code_variable(error_event, "error")
        definition.message_variable = error_event.get(f"{{{CAMUNDA_NS}}}errorMessageVariable") or None
        ref = error_event.get("errorRef")
        errors = self.doc_xpath(f'.//bpmn:error[@id="{ref}"]') if ref else []  # type: ignore[attr-defined]
        message = errors[0].get(f"{{{CAMUNDA_NS}}}errorMessage") if errors else None
        if message and juel.is_juel(message):   # evaluated when the error is thrown (code_events.CamundaError)
            try:
                juel.translate(message)
            except juel.JuelError as exc:
                self.raise_validation_exception(f"camunda:errorMessage {message!r}: {exc}")  # type: ignore[attr-defined]
        definition.error_message = message
        return definition

    def parse_escalation_event(self, escalation_event: Any) -> Any:
        from engine.runtime.code_events import read_code_variable

        definition = super().parse_escalation_event(escalation_event)  # type: ignore[misc]
        definition.code_variable = read_code_variable(escalation_event, "escalation")
        return definition


class CamundaBoundary(_CamundaCodeVariables, CamundaBoundaryEventParser):  # type: ignore[misc]
    pass


class CamundaThrow(_CamundaSignalInputs, CamundaIntermediateThrowEventParser):  # type: ignore[misc]
    pass


class CamundaEnd(_CamundaSignalInputs, _CamundaCodeVariables, CamundaEndEventParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        return _end(self)


class SpiffEnd(SpiffEndEventParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        return _end(self)


class CamundaStart(_CamundaCodeVariables, CamundaStartEventParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        return _start(self)


class SpiffStart(SpiffStartEventParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        return _start(self)
