"""Where a case started directly (``start_case``, the REST start) begins when its process has
no none or timer start event (only conditional, message or signal ones), as in Camunda 7.

Camunda's BpmnParse.selectInitial makes the none start event or the timer start event the
process's initial activity, else its only start event whatever its type; every process start
event behaves as NoneStartEventActivityBehavior. So ``startProcessInstanceByKey`` passes
through a process's only conditional start event without evaluating its condition (only
``evaluateStartConditions`` does), and refuses a process that has several start events but
neither a none nor a timer one (ProcessDefinitionImpl.ensureDefaultInitialExists). A call
activity starts its called process at that initial activity too
(PvmExecutionImpl.createSubProcessInstance). The same holds for a process's only message or
signal start event (MessageStartEventTest.testSingleMessageStartEvent: "using
startProcessInstanceByKey also triggers the message event, if there is a single start event";
testMultipleMessageStartEvents: "has no default start activity"). Flowable's
StartEventParseHandler makes a none start event the initial activity, else the first start event
of the process: a Flowable model with several start events and no none start event starts
directly at the first one (in document order), the others stay shut. SpiffWorkflow made the case
(or the call) wait at the start event until its condition held or its message or signal came,
with nothing listed as waiting.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.control import BpmnStartTask, StartEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

from engine.domain.errors import InvalidState
from engine.runtime import spiff_seam

__all__ = ["conditional_starts", "enter_at", "enter_initial", "open_start_events", "pass_only_start"]


def _start_events(spec: Any) -> list[Any]:
    return [s for s in spec.task_specs.values() if isinstance(s, StartEvent)]


def _conditional(spec: Any) -> bool:
    definition = spec.event_definition
    return any(isinstance(d, ConditionalEventDefinition)
               for d in getattr(definition, "event_definitions", None) or [definition])


def enter_initial(wf: Any, parsed: Any, key: str) -> None:
    """A direct start of a Camunda process without a none or timer start event (the caller
    checked): its only start event (conditional, message or signal) is passed through; several
    start events are refused (no initial activity). Plain BPMN passes through its only start
    event the same way (as a call activity already began its called process there, whatever the
    dialect); several start events there keep SpiffWorkflow's reading (the case waits for
    whichever comes first)."""
    starts = _start_events(parsed.spec)
    if parsed.model.dialect != "camunda":
        if len(starts) == 1 and (_conditional(starts[0]) or _awaits_event(starts[0])):
            open_start_events(wf)
            _pass(wf)
        return
    if not starts:
        return
    if len(starts) > 1 and getattr(parsed.spec, "first_start_is_initial", False):
        open_start_events(wf)   # Flowable: the first start event is the initial one, the others stay shut
        _pass(wf, only=starts[0])
        return
    if len(starts) > 1:
        raise InvalidState(f"process '{key}' has no default start activity (none start event): start it through "
                           "one of its start events",
                           user_message="Dieser Prozess hat kein Startereignis für einen direkten Start; er beginnt "
                                        "nur, wenn eines seiner Startereignisse (Bedingung, Nachricht oder Signal) "
                                        "eintritt.")
    open_start_events(wf)
    _pass(wf)


def open_start_events(wf: Any) -> None:
    """Run the process's start task, then the split of several start events (if any): its
    start events are then open (waiting or ready), none of them run yet."""
    for _ in range(2):
        opening = [t for t in wf.get_tasks(state=TaskState.READY)
                   if t.workflow is wf and isinstance(t.task_spec, (BpmnStartTask, StartEventSplit))]
        if not opening:
            break
        for task in opening:
            task.run()


def _pass(wf: Any, only: Any = None) -> None:
    for task in wf.get_tasks(state=TaskState.WAITING):
        if task.workflow is wf and isinstance(task.task_spec, StartEvent):
            if only is None or task.task_spec is only:
                spiff_seam.make_ready(task)   # Camunda evaluates no condition and awaits no message here
            else:
                task.cancel()


def pass_only_start(subworkflow: Any) -> None:
    """A called Camunda process (its start task has run) whose only start event is conditional,
    a message or a signal begins there without evaluating the condition or awaiting the event."""
    starts = _start_events(subworkflow.spec)
    if len(starts) == 1 and (_conditional(starts[0]) or _awaits_event(starts[0])):
        _pass(subworkflow)


def _awaits_event(spec: Any) -> bool:
    definition = spec.event_definition
    return any(isinstance(d, (MessageEventDefinition, SignalEventDefinition))
               for d in getattr(definition, "event_definitions", None) or [definition])


def conditional_starts(spec: Any) -> list[tuple[str, Any]]:
    """(element id, conditional event definition) of the process's own conditional start events
    (not those of its event sub-processes), in document order: what Camunda's
    ``evaluateStartConditions`` evaluates."""
    found = []
    for start in _start_events(spec):
        definition = start.event_definition
        for d in getattr(definition, "event_definitions", None) or [definition]:
            if isinstance(d, ConditionalEventDefinition):
                found.append((getattr(start, "bpmn_id", None) or start.name, d))
                break
    return found


def enter_at(wf: Any, element_id: str) -> bool:
    """A case started because the condition of its start event ``element_id`` held
    (``evaluateStartConditions``): it begins there, without evaluating the condition again; the
    process's other start events stay shut. False if no such start event is open."""
    open_start_events(wf)
    found = False
    for task in wf.get_tasks(state=TaskState.WAITING | TaskState.READY):
        if task.workflow is wf and isinstance(task.task_spec, StartEvent):
            if (getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name) == element_id and not found:
                found = True
                if task.state == TaskState.WAITING:
                    spiff_seam.make_ready(task)
            else:
                task.cancel()
    return found
