"""What a workflow waits for, as plain dataclasses services can use without SpiffWorkflow.

Holds :class:`Waits` and its parts (user tasks, parked service tasks, timers, messages
and signals) and :func:`read_waits`, which reads them off a ``BpmnWorkflow``, together
with the small task helpers that reading needs (:func:`element_id_of`,
:func:`process_key_of`). :mod:`engine.runtime.workflow` steps the workflow and re-exports
these names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.util.task import TaskState

from engine.runtime import spiff_seam
from engine.runtime.camunda_tasks import trigger_message
from engine.runtime.listeners import TASK_ATTRIBUTES
from engine.runtime.specs import AWAITING_TRIGGER
from engine.runtime.event_names import UNRESOLVED, subscribed_name
from engine.runtime.event_subprocesses import offered_starts
from engine.runtime.model import INSTANCE_SIGNAL, ElementInfo

__all__ = ["MessageWait", "ServiceWait", "TimerWait", "UserTaskWait", "Waits",
           "element_id_of", "process_key_of", "read_waits"]


@dataclass(frozen=True)
class TaskWait:
    """A task waiting for someone outside the engine, with the data it sees."""

    task_id: str
    element_id: str
    process_key: str
    info: ElementInfo
    data: dict[str, Any]


@dataclass(frozen=True)
class UserTaskWait(TaskWait):
    """A user task waiting for a person."""


@dataclass(frozen=True)
class ServiceWait(TaskWait):
    """A parked service task waiting for its connector's answer (a job)."""


@dataclass(frozen=True)
class TimerWait:
    task_id: str
    element_id: str
    due: datetime


@dataclass(frozen=True)
class MessageWait:
    task_id: str
    element_id: str
    name: str
    correlation: str | None = None   # from the model's correlation properties; None: business key


@dataclass
class Waits:
    completed: bool
    user_tasks: list[UserTaskWait] = field(default_factory=list)
    services: list[ServiceWait] = field(default_factory=list)
    timers: list[TimerWait] = field(default_factory=list)
    messages: list[MessageWait] = field(default_factory=list)
    signals: list[MessageWait] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)   # element ids of tasks in ERROR


def element_id_of(task: Any) -> str:
    return str(getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name)


def process_key_of(task: Any) -> str:
    return str(task.workflow.spec.name)


def read_waits(wf: BpmnWorkflow, models: dict[str, Any],
               correlation: Callable[[Any, MessageEventDefinition], str | None]) -> Waits:
    """Everything ``wf`` waits for; ``correlation`` gives a waiting message task's correlation value."""
    result = Waits(completed=wf.completed)
    if wf.completed:
        return result
    for task in spiff_seam.tasks_in_state(wf, TaskState.READY | TaskState.STARTED | TaskState.ERROR):
        key = process_key_of(task)
        eid = element_id_of(task)
        model = models.get(key) or _model_with(models, eid)  # embedded sub-processes: the enclosing model
        info = model.element(eid) if model else ElementInfo(id=eid, name=eid, kind="")
        if task.state == TaskState.ERROR:
            result.errors.append(eid)
        elif task.state == TaskState.READY and task.task_spec.manual:
            result.user_tasks.append(UserTaskWait(str(task.id), eid, key, _with_listener_changes(task, info),
                                                  task.data))
        elif task.state == TaskState.STARTED and task.internal_data.get(AWAITING_TRIGGER):
            result.messages.append(MessageWait(str(task.id), eid, trigger_message(eid)))
        elif task.state == TaskState.STARTED and isinstance(task.task_spec, ServiceTask):
            result.services.append(ServiceWait(str(task.id), eid, key, info, task.data))
    for task in list(wf.event_manager.tasks.values()):
        definition = task.task_spec.event_definition
        eid = element_id_of(task)
        defs = getattr(definition, "event_definitions", [definition])
        for d in defs:
            if isinstance(d, TimerEventDefinition):
                due = _timer_due(task, d)
                if due is not None:
                    result.timers.append(TimerWait(str(task.id), eid, due))
            elif isinstance(d, (MessageEventDefinition, SignalEventDefinition)):
                name = subscribed_name(task, d)
                if name == UNRESOLVED:   # its name expression failed: it subscribes to nothing, the case fails
                    result.errors.append(eid)
                elif isinstance(d, SignalEventDefinition) and _case_signal(models, eid):
                    continue   # a signal of this case only: SpiffWorkflow delivers it inside the case
                elif isinstance(d, MessageEventDefinition):
                    result.messages.append(MessageWait(str(task.id), eid, name, correlation(task, d)))
                else:
                    result.signals.append(MessageWait(str(task.id), eid, name))
    for offered in offered_starts(wf):
        d, start_name = offered.definition, offered.name
        if not isinstance(d, (MessageEventDefinition, SignalEventDefinition)) or not start_name:
            continue
        if start_name == UNRESOLVED:   # its name expression failed when the scope started: the case fails
            result.errors.append(offered.element_id)
        elif isinstance(d, MessageEventDefinition):
            result.messages.append(MessageWait(offered.wait_id, offered.element_id, start_name))
        elif not _case_signal(models, offered.element_id):
            result.signals.append(MessageWait(offered.wait_id, offered.element_id, start_name))
    return result


def _case_signal(models: dict[str, Any] | None, element_id: str) -> bool:
    """The element catches a signal scoped to its case (model.INSTANCE_SIGNAL): no subscription,
    so nothing from outside the case (another case's throw, the API) reaches it."""
    model = _model_with(models or {}, element_id)
    return model is not None and model.elements[element_id].properties.get(INSTANCE_SIGNAL) == "true"


def _model_with(models: dict[str, Any], element_id: str) -> Any:
    return next((m for m in models.values() if element_id in m.elements), None)


def _timer_due(task: Any, definition: TimerEventDefinition) -> datetime | None:
    value = task.internal_data.get("event_value")
    if value is None:
        return None
    if isinstance(value, dict):
        return datetime.fromisoformat(value["next"])
    parsed = TimerEventDefinition.parse_time_or_duration(value)
    return parsed if isinstance(parsed, datetime) else None


def _with_listener_changes(task: Any, info: ElementInfo) -> ElementInfo:
    """The element info with the task attributes task listeners set (listeners.TASK_ATTRIBUTES):
    literal values replace the model's expressions."""
    changed = task.internal_data.get(TASK_ATTRIBUTES)
    if not changed:
        return info
    values: dict[str, Any] = {}
    if "name" in changed and changed["name"]:
        values["name"] = changed["name"]
    for key in ("assignee", "due_date"):
        if key in changed:
            values[key] = _literal(changed[key])
    if "priority" in changed:
        values["priority"] = None if changed["priority"] is None else str(changed["priority"])
    for key in ("candidate_groups", "candidate_users"):
        if key in changed:
            values[key] = [_literal(n) or "" for n in changed[key]]
    return replace(info, **values)


def _literal(value: Any) -> str | None:
    """A value as literal model text (the projection reads '${' as an expression)."""
    return None if value is None else str(value).replace("${", "$ {").replace("#{", "# {")
