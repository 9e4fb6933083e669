"""Our task-spec and parser substitutions for SpiffWorkflow.

* Service tasks never call out while the engine steps: ``_execute`` returns None, which
  leaves the task STARTED ("parked"). The host writes a job in the same commit and the job
  executor completes the task later, outside any database transaction.
* Timer event definitions read the time from the engine's Clock (attached to the script
  engine) instead of ``datetime.now()``, so tests drive time and storage stays in UTC.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.event_parsers import ReceiveTaskParser, SendTaskParser
from SpiffWorkflow.bpmn.specs.defaults import NoneTask, ReceiveTask, SendTask
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition, EscalationEventDefinition, SignalEventDefinition)
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask as ServiceTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaEventDefinitionParser
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition as CamundaMessageEventDefinition
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser as SpiffServiceTaskParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask as SpiffServiceTask
from SpiffWorkflow.spiff.specs.event_definitions import (
    ErrorEventDefinition as SpiffErrorEventDefinition, EscalationEventDefinition as SpiffEscalationEventDefinition)

from engine.runtime import spiff_seam
from engine.runtime import event_parsers, variable_listeners
from engine.runtime.compensation import ParsesHandlers
from engine.runtime import cron, cycle_end
from engine.runtime.bounded import TimerTooLong, check_date, check_duration
from engine.runtime.code_events import CamundaError, CamundaEscalation
from engine.runtime.signals import CamundaSignal
from engine.runtime.event_names import ExpressionNamed, throw_resolved
from engine.runtime.namespaces import BPMN as BPMN_NS, CAMUNDA as CAMUNDA_NS
from engine.runtime.camunda_tasks import EXPRESSION_PROPERTY, TRIGGERABLE_PROPERTY
from engine.runtime.camunda_decisions import CamundaDecisionTask, CamundaDecisionTaskParser
from engine.runtime.script_tasks import CamundaScriptTask, CamundaScriptTaskParser


AWAITING_TRIGGER = "awaiting_trigger"   # internal data: a triggerable service task made its call


class ParkedSpiffServiceTask(SpiffServiceTask):
    """spiff dialect service task that parks instead of calling out."""

    def _execute(self, my_task: Any) -> None:
        return None


class ParkedServiceTask(ServiceTaskMixin, BpmnSpecMixin):
    """Service task of the Camunda/plain dialect; the operation comes from element metadata.
    A Camunda expression task (``camunda:expression="${...}"`` that calls no Java bean) is
    no call out: its translated ``expression`` is evaluated at once, the value goes to
    ``result_variable``."""

    expression: str | None = None
    result_variable = ""
    triggerable = False   # Flowable: after its call it waits for its trigger (AWAITING_TRIGGER)

    def _execute(self, my_task: Any) -> Any:
        if self.expression is None:
            return None
        value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        if self.result_variable:
            my_task.data[self.result_variable] = value
        if self.triggerable:
            my_task.internal_data[AWAITING_TRIGGER] = True
            return None   # stays parked until its trigger arrives
        return True


class PlainServiceTaskParser(TaskParser):
    def create_task(self) -> Any:
        spec = self.spec_class(self.spec, self.bpmn_id, **self.bpmn_attributes)
        for prop in self.node.iter(f"{{{CAMUNDA_NS}}}property"):
            if prop.get("name") == EXPRESSION_PROPERTY:  # recorded by the Camunda translation
                spec.expression = prop.get("value")
                spec.result_variable = self.node.get(f"{{{CAMUNDA_NS}}}resultVariable") or ""
            elif prop.get("name") == TRIGGERABLE_PROPERTY and prop.get("value") == "true":
                spec.triggerable = True
        return spec


def _clock_now(my_task: Any) -> datetime:
    engine = my_task.workflow.top_workflow.script_engine
    clock = getattr(engine, "clock", None)
    return clock.now() if clock is not None else datetime.now(timezone.utc)


def _timer_value(my_task: Any, value: Any) -> str:
    """A timer expression must yield ISO-8601 text (or a date-time); anything else is a model error."""
    if isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str):
        raise WorkflowTaskException(f"timer expression gave {type(value).__name__} {value!r}, not an ISO-8601 text",
                                    task=my_task)
    try:
        parsed = TimerEventDefinition.parse_time_or_duration(value)
    except Exception:  # noqa: BLE001 - SpiffWorkflow raises bare Exception / ValueError
        raise WorkflowTaskException(f"timer value {value!r} is not an ISO-8601 date-time or duration",
                                    task=my_task) from None
    try:  # before anything counts the months of P999999999Y
        if isinstance(parsed, datetime):
            check_date(parsed, _clock_now(my_task), value)
        else:
            check_duration(parsed, value)
    except TimerTooLong as exc:
        raise WorkflowTaskException(str(exc), task=my_task) from None
    return value


class ClockTimeDate(TimeDateEventDefinition):
    """A date timer; a duration as its value (``PT1H``) is counted from the moment the timer is
    reached, as Camunda 7's and Flowable's DueDateBusinessCalendar read a value starting with P
    (BoundaryTimerEventTest.testRecalculateUnchangedExpressionOnTimerCurrentDateBased)."""

    def has_fired(self, my_task: Any) -> bool:
        event_value = my_task.internal_data.get("event_value")
        if event_value is None:
            event_value = _timer_value(my_task, my_task.workflow.script_engine.evaluate(my_task, self.expression))
            parsed = TimerEventDefinition.parse_time_or_duration(event_value)
            if not isinstance(parsed, datetime):
                now = _clock_now(my_task)
                event_value = (now + TimerEventDefinition.get_timedelta_from_start(parsed, now)).isoformat()
            my_task.internal_data["event_value"] = event_value
        if TimerEventDefinition.parse_time_or_duration(event_value) <= _clock_now(my_task):
            my_task.internal_data["event_fired"] = True
        return bool(my_task.internal_data.get("event_fired", False))


class ClockDuration(DurationTimerEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        event_value = my_task.internal_data.get("event_value")
        now = _clock_now(my_task)
        if event_value is None:
            expression = _timer_value(my_task, my_task.workflow.script_engine.evaluate(my_task, self.expression))
            parsed = TimerEventDefinition.parse_time_or_duration(expression)
            if isinstance(parsed, datetime):  # a date in a duration timer: wait until then
                my_task.internal_data["event_value"] = parsed.isoformat()
                return self.has_fired(my_task)
            due = now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
            event_value = due.isoformat()
            my_task.internal_data["event_value"] = event_value
        if TimerEventDefinition.get_datetime(event_value) <= now:
            my_task.internal_data["event_fired"] = True
        return bool(my_task.internal_data.get("event_fired", False))


class ClockCycle(CycleTimerEventDefinition):
    """A cycle repeats only where Camunda 7 (and Flowable) repeat it: on a start event (of the
    process or of an event sub-process) and on a non-interrupting boundary event. An intermediate
    catch event (also after an event-based gateway) and an interrupting boundary event fire once,
    at the cycle's first due time, and go on (Camunda's TimerDeclarationImpl sets no repeat for
    them; IntermediateTimerEventTest.testTimeCycle, EventBasedGatewayTest.testTimeCycle).
    SpiffWorkflow spawned a new token at every cycle there and never completed the event: an
    intermediate timer's path ran again every cycle, an interrupting boundary timer never
    interrupted its activity, and a cycle after an event-based gateway never fired.

    Plain BPMN (the spiff dialect) keeps SpiffWorkflow's reading for an intermediate catch
    event in the sequence flow (:func:`repeat_in_flow`): each cycle sends a token down the
    path, as the BPMN conformance suite betsy expects (Timer_IntermediateTimeCycleEvent: R4
    runs the path four times)."""

    def has_fired(self, my_task: Any) -> bool:
        if not _repeats(my_task) and not my_task.internal_data.get("event_fired", False):
            event_value = self._event_value(my_task, _clock_now(my_task))
            if event_value["cycles"] == 0 or datetime.fromisoformat(event_value["next"]) <= _clock_now(my_task):
                my_task.internal_data.pop("event_value", None)
                my_task.internal_data["event_fired"] = True
                if my_task.task_spec.event_definition is self and not my_task.children:
                    spiff_seam.add_outputs(my_task)   # the path goes on once (a gateway's task has its own)
            else:
                my_task.internal_data["event_value"] = event_value
        return bool(my_task.internal_data.get("event_fired", False))

    def update_task(self, my_task: Any) -> None:
        if _repeats(my_task):
            super().update_task(my_task)

    def _event_value(self, my_task: Any, now: datetime) -> dict[str, Any]:
        event_value = my_task.internal_data.get("event_value")
        if event_value is not None:
            return dict(event_value)
        expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        if not isinstance(expression, str):
            raise WorkflowTaskException(f"timer cycle gave {expression!r}, not an ISO-8601 text", task=my_task)
        if cron.is_cron(expression):   # a Quartz cron: the times it describes, without end (engine.runtime.cron)
            text = " ".join(expression.split())
            value: dict[str, Any] = {"cycles": -1, "next": _cron_next(my_task, text, now).isoformat(),
                                     "duration": 0.0, "cron": text}
        else:
            value = self._iso_value(my_task, expression, now)
        end = self._end(my_task)
        if end is not None:
            value["end"] = end.isoformat()
        return value

    def _iso_value(self, my_task: Any, expression: str, now: datetime) -> dict[str, Any]:
        try:
            cycles, start, duration = _parse_cycle(expression, now)
        except TimerTooLong as exc:
            raise WorkflowTaskException(str(exc), task=my_task) from None
        except Exception:  # noqa: BLE001 - SpiffWorkflow raises bare Exception / ValueError
            raise WorkflowTaskException(f"timer cycle {expression!r} is not an ISO-8601 cycle such as R3/PT10M",
                                        task=my_task) from None
        return {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}

    def _end(self, my_task: Any) -> datetime | None:
        """Flowable's endDate of the cycle, evaluated when the timer starts waiting (engine.runtime.cycle_end)."""
        expression = cycle_end.attached(self)
        if expression is None:
            return None
        value = my_task.workflow.script_engine.evaluate(my_task, expression)
        try:
            return cycle_end.end_of(value)
        except ValueError as exc:
            raise WorkflowTaskException(f"timer cycle endDate: {exc}", task=my_task) from None

    def cycle_complete(self, my_task: Any) -> bool:
        now = _clock_now(my_task)
        event_value = self._event_value(my_task, now)
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= now:
                following = _cron_next(my_task, event_value["cron"], next_event) if "cron" in event_value \
                    else next_event + timedelta(seconds=event_value["duration"])
                event_value["next"] = following.isoformat()
                event_value["cycles"] -= 1
                ready = True
                end = event_value.get("end")
                if end is not None and datetime.fromisoformat(event_value["next"]) > datetime.fromisoformat(end):
                    # past the end date no further firing is scheduled: the cycle ends at once
                    event_value["cycles"], event_value["next"] = 0, now.isoformat()
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task.internal_data["event_value"] = event_value
        return ready


def _cron_next(my_task: Any, text: str, after: datetime) -> datetime:
    """The first time after ``after`` a Quartz cron matches, in the authority's zone."""
    zone = getattr(my_task.workflow.top_workflow.script_engine, "zone", "UTC")
    try:
        return cron.next_fire(text, after, zone)
    except ValueError as exc:
        raise WorkflowTaskException(f"timer cycle: {exc}", task=my_task) from None


def _repeats(my_task: Any) -> bool:
    """Whether a cycle timer on this task repeats (see :class:`ClockCycle`)."""
    from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
    from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

    spec = my_task.task_spec
    return (isinstance(spec, StartEvent) or (isinstance(spec, BoundaryEvent) and not spec.cancel_activity)
            or getattr(spec, "cycle_repeats", False))


def repeat_in_flow(task_spec: Any) -> None:
    """Plain BPMN: a cycle timer on an intermediate catch event in the sequence flow (not after
    an event-based gateway, where a repeating cycle never fired) repeats, each cycle a token
    down the path (see :class:`ClockCycle`). Specs are re-parsed from the stored source, so the
    mark never enters a case's state."""
    from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway, IntermediateCatchEvent

    if (isinstance(task_spec, IntermediateCatchEvent)
            and isinstance(getattr(task_spec, "event_definition", None), CycleTimerEventDefinition)
            and not any(isinstance(before, EventBasedGateway) for before in task_spec.inputs)):
        task_spec.cycle_repeats = True


def _parse_cycle(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
    """Like SpiffWorkflow's parser, but a cycle without start begins at the clock's now."""
    parts = expression.upper().replace("--", "/").strip("R").split("/")
    for part in parts[1:]:
        if part.startswith("P"):
            check_duration(TimerEventDefinition.parse_iso_duration(part), part)
    if len(parts) == 2 and parts[1].startswith("P"):
        cycles = int(parts[0]) if parts[0] else -1
        duration = TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(parts[1]), now)
        return cycles, now + duration, duration
    cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
    return cycles, start, duration


class TolerantConditional(ConditionalEventDefinition):
    """A conditional event whose condition names a variable that does not exist yet is not
    triggered (Camunda 7's semantics), instead of failing the case."""

    def has_fired(self, my_task: Any) -> bool:
        if variable_listeners.waits_for_change(my_task):
            my_task.internal_data["has_fired"] = False
            return False
        first = variable_listeners.first_look(my_task)
        if not variable_listeners.filter_allows(self, my_task, first):   # camunda:variableName/variableEvents
            my_task.internal_data["has_fired"] = False
            return False
        listener = variable_listeners.fires(self.expression, my_task)   # Flowable's variable listener
        if listener is not None:
            my_task.internal_data["has_fired"] = listener
            return listener
        try:
            fired = bool(super().has_fired(my_task))
        except WorkflowTaskException as exc:
            if "is not defined" not in str(exc):
                raise
            my_task.internal_data["has_fired"] = False
            return False
        if fired and first:
            # fired when its activity was entered: a non-interrupting boundary event stays
            # subscribed (Camunda), and waits beside itself for the next change of variables
            from engine.runtime import rearm
            rearm.rearm_non_interrupting(my_task, variable_listeners.AFTER_CHANGE)
        return fired


class ConditionalMultiple(MultipleEventDefinition):
    """The events an event-based gateway waits for: a conditional event among them fires when
    its condition holds (when the gateway is reached, and when a command changes variables,
    :mod:`engine.runtime.conditions`). SpiffWorkflow's MultipleEventDefinition looks at its
    timers only, so a conditional event after an event-based gateway never fired and the case
    waited forever (InputOutputEventTest.testConditionalCatchAfterEventGateway)."""

    def has_fired(self, my_task: Any) -> bool:
        seen = list(my_task.internal_data.get("seen_events", []))
        for definition in self.event_definitions:
            if isinstance(definition, ConditionalEventDefinition) and \
                    not any(event.event_definition is definition for event in seen) and definition.has_fired(my_task):
                seen.append(BpmnEvent(definition))
                my_task.internal_data["seen_events"] = seen
                if not self.parallel:
                    break
        return bool(super().has_fired(my_task))


class CamundaMessage(ExpressionNamed, CamundaMessageEventDefinition):
    """Camunda-dialect message event that also accepts a message delivered by the host: its
    payload's fields become process variables (Camunda's correlate-with-variables). Thrown
    without ``camunda:expression``, the message carries the thrower's variables."""

    def throw(self, my_task: Any) -> None:
        if throw_resolved(self, my_task):
            return
        if self.expression is not None:
            super().throw(my_task)
            return
        my_task.workflow.top_workflow.catch(BpmnEvent(self, payload=copy.deepcopy(my_task.data)))

    def update_task_data(self, my_task: Any) -> None:
        event_data = my_task.internal_data.get(self.name) or {}
        if set(event_data) == {"payload", "result_var"}:  # thrown with camunda:expression
            super().update_task_data(my_task)
            return
        my_task.data.update({k: v for k, v in event_data.items() if k != "result_var"})


class _ThrownFromItsScope:
    """spiff dialect errors and escalations, thrown from the thrower's scope. SpiffWorkflow's spiff
    package throws them without a target (BPMN's own classes name the thrower's workflow), so the
    scope-by-scope routing (engine.runtime.event_routing) never saw them: an error end event in an
    embedded sub-process was not caught by that sub-process's error event sub-process, escaped the
    case as uncaught, and the sub-process went on as if it had ended normally."""

    expression: Any

    def throw(self, my_task: Any) -> None:
        payload = (my_task.workflow.script_engine.evaluate(my_task, self.expression)
                   if self.expression is not None else None)
        my_task.workflow.top_workflow.catch(BpmnEvent(self, payload=payload, target=my_task.workflow))


class SpiffError(_ThrownFromItsScope, SpiffErrorEventDefinition):
    pass


class SpiffEscalation(_ThrownFromItsScope, SpiffEscalationEventDefinition):
    pass


CLOCKED = {
    TimeDateEventDefinition: ClockTimeDate,
    DurationTimerEventDefinition: ClockDuration,
    CycleTimerEventDefinition: ClockCycle,
    ConditionalEventDefinition: TolerantConditional,
    MultipleEventDefinition: ConditionalMultiple,
    CamundaMessageEventDefinition: CamundaMessage,
    SignalEventDefinition: CamundaSignal,   # the plain classes are the Camunda dialect's (spiff has its own)
    ErrorEventDefinition: CamundaError,
    EscalationEventDefinition: CamundaEscalation,
    SpiffErrorEventDefinition: SpiffError,
    SpiffEscalationEventDefinition: SpiffEscalation,
}


def use_engine_clock(event_definition: Any) -> None:
    """Swap a parsed timer definition's class for its clock-driven twin (specs are never
    serialised by us, they are re-parsed from the stored source, so this is safe)."""
    replacement = CLOCKED.get(type(event_definition))
    if replacement is not None:
        spiff_seam.retype(event_definition, replacement)
    if isinstance(event_definition, MultipleEventDefinition):
        for child in event_definition.event_definitions:
            use_engine_clock(child)


def catch_any_code(event_definition: Any) -> None:
    """An error or escalation with an empty code (errorCode="", escalationCode="") catches
    every error or escalation, like one without a code (BPMN, Camunda 7)."""
    for d in getattr(event_definition, "event_definitions", [event_definition]):
        if getattr(d, "code", None) == "":
            d.code = None


class _SpiffProcessParser(ParsesHandlers, SpiffBpmnParser.PROCESS_PARSER_CLASS):
    pass


class _CamundaProcessParser(ParsesHandlers, CamundaParser.PROCESS_PARSER_CLASS):
    pass


class SpiffDialectParser(SpiffBpmnParser):
    PROCESS_PARSER_CLASS = _SpiffProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (event_parsers.SpiffStart, SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("startEvent")][1]),
        full_tag("endEvent"): (event_parsers.SpiffEnd, SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("endEvent")][1]),
        full_tag("serviceTask"): (SpiffServiceTaskParser, ParkedSpiffServiceTask),
    }


class CamundaLoops:
    """Multi-instance as Camunda 7 writes it (``camunda:collection``, ``camunda:elementVariable``,
    a loopCardinality) for the task kinds whose SpiffWorkflow parser is not Camunda's own
    (service, send, script and receive tasks): they read only BPMN's loopDataInputRef, which
    the Camunda translation has already turned into camunda:collection
    (:func:`engine.runtime.flowable_tasks.loop_data_input`), and so refused every such loop."""

    def _add_multiinstance_task(self, loop_characteristics: Any) -> None:
        spiff_seam.camunda_multi_instance(self, loop_characteristics)


class CamundaServiceTaskParser(CamundaLoops, PlainServiceTaskParser):
    pass


class CamundaLoopScriptTaskParser(CamundaLoops, CamundaScriptTaskParser):
    pass


class CamundaReceiveTaskParser(CamundaLoops, ReceiveTaskParser):
    pass


class CamundaSendTaskParser(CamundaLoops, CamundaEventDefinitionParser, SendTaskParser):
    """A send task with an implementation (external topic, mapped delegate, connector) is a
    parked service task; without one it throws its message (delivered to other cases)."""

    def create_task(self) -> Any:
        node = self.node
        implemented = any(node.get(f"{{{CAMUNDA_NS}}}{a}") is not None
                          for a in ("type", "class", "delegateExpression", "expression"))
        implemented = implemented or node.find(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}connector") is not None
        if implemented:
            return ParkedServiceTask(self.spec, self.bpmn_id, **self.bpmn_attributes)
        self.spec_class = SendTask
        return SendTaskParser.create_task(self)


class PassThroughTask(NoneTask):
    """A BPMN ``task`` of the Camunda/Flowable dialect (manual tasks become one): Camunda and
    Flowable pass it through; SpiffWorkflow would make it wait for a person."""

    def __init__(self, wf_spec: Any, bpmn_id: str, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


_CamundaSubWorkflow = CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("subProcess")][0]


class CamundaSubWorkflowParser(_CamundaSubWorkflow):  # type: ignore[misc, valid-type]
    """The library's (``create_task``, pinned in spiff_seam.COPIED), except that an event
    sub-process may have several start events (Flowable: each triggers it on its own; the
    static checks refuse them in Camunda files, engine.runtime.checks)."""

    def create_task(self) -> Any:
        several = self.node.get("triggeredByEvent") == "true" and len(self.xpath("./bpmn:startEvent")) > 1
        subworkflow_spec = spiff_seam.subprocess_spec(self, several_starts=several)
        return self.spec_class(self.spec, self.bpmn_id, subworkflow_spec=subworkflow_spec, **self.bpmn_attributes)


class CamundaDialectParser(CamundaParser):
    PROCESS_PARSER_CLASS = _CamundaProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (event_parsers.CamundaStart, CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("startEvent")][1]),
        full_tag("endEvent"): (event_parsers.CamundaEnd, CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("endEvent")][1]),
        full_tag("boundaryEvent"): (
            event_parsers.CamundaBoundary, CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("boundaryEvent")][1]),
        full_tag("intermediateThrowEvent"): (
            event_parsers.CamundaThrow, CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("intermediateThrowEvent")][1]),
        full_tag("serviceTask"): (CamundaServiceTaskParser, ParkedServiceTask),
        full_tag("sendTask"): (CamundaSendTaskParser, ParkedServiceTask),
        full_tag("scriptTask"): (CamundaLoopScriptTaskParser, CamundaScriptTask),
        full_tag("receiveTask"): (CamundaReceiveTaskParser, ReceiveTask),
        full_tag("businessRuleTask"): (CamundaDecisionTaskParser, CamundaDecisionTask),
        full_tag("task"): (CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("task")][0], PassThroughTask),
        full_tag("subProcess"): (CamundaSubWorkflowParser, CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("subProcess")][1]),
    }

