"""What the engine needs to know about a deployed process, independent of the dialect.

Extracted once at deploy time from the XML (with line numbers) and kept beside the parsed
SpiffWorkflow spec, so that the rest of the engine never looks at dialect details.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


# ElementInfo.properties key: the element throws or catches a signal scoped to its case
# (Flowable's signal scope="processInstance"): it neither reaches nor hears other cases
INSTANCE_SIGNAL = "amtsflow:instanceSignal"


# A Flowable mail task's ignoreException (fixed text or ${...}) and exceptionVariableName, as
# engine.runtime.flowable_tasks leaves them on the task for ServiceCall (engine.runtime.camunda_tasks)
IGNORE_ERRORS = "{urn:amtsflow:flowable}ignoreErrors"
ERROR_VARIABLE = "{urn:amtsflow:flowable}errorVariable"


@dataclass
class ServiceCall:
    operation: str                       # connector operation, "connector.operation"
    params: dict[str, str]               # parameter name -> expression (safe evaluator)
    result_variable: str
    retries: int | None = None           # None: the engine default
    retry_interval_s: float | None = None
    # camunda:type="external" with a topic that camunda-mapping.json maps to no operation: an
    # outside worker (engine-rest fetchAndLock) works it when the process folder declares the
    # topic under "external", or when no installed connector answers ``operation``
    topic: str | None = None
    external: bool = False
    # Flowable's mail task: ignoreException (an expression: true ends the task when the call
    # fails, without retries) and exceptionVariableName (the variable for the failure's message)
    ignore_errors: str | None = None
    error_variable: str | None = None


@dataclass
class Form:
    schema: dict[str, Any]
    ui_schema: dict[str, Any] = field(default_factory=dict)
    source: str = ""                     # file it came from, for messages


@dataclass
class ElementInfo:
    id: str
    name: str
    kind: str                            # BPMN tag local name: userTask, serviceTask ...
    line: int = 0
    lane: str | None = None
    candidate_groups: list[str] = field(default_factory=list)
    candidate_users: list[str] = field(default_factory=list)
    assignee: str | None = None          # expression
    due_date: str | None = None          # expression yielding an ISO date/duration
    follow_up_date: str | None = None    # like due_date (camunda:followUpDate), projected to work_items.follow_up
    priority: str | None = None
    job_priority: int | None = None      # camunda:jobPriority (activity, else process)
    job_priority_expression: str | None = None   # the same given as ${...}: a safe expression, evaluated per job
    form: Form | None = None
    service: ServiceCall | None = None
    properties: dict[str, str] = field(default_factory=dict)
    documentation: str = ""
    instructions: str = ""               # spiff instructionsForEndUser (Markdown for the person doing the task)
    message: str | None = None           # message name of a message start/catch event
    signal: str | None = None            # signal name of a signal start/catch event
    timer: str | None = None             # timer expression of a timer start event
    timer_end: str | None = None         # its cycle's end-date expression (Flowable endDate, engine.runtime.cycle_end)
    nested: bool = False                 # inside an embedded sub-process
    io: Any = None                       # io_mapping.IoMapping of its inputOutput, or None
    call: Any = None                     # call_activity.CallMapping of a call activity, or None


@dataclass
class ProcessModel:
    key: str                             # the BPMN process id
    name: str
    dialect: str                         # "spiff" or "camunda"
    elements: dict[str, ElementInfo]
    case_fields: list[str] = field(default_factory=list)  # data keys projected for search
    summary: tuple[str, str] | None = None   # (case field, label) the task list shows (service.toml [aufgabenliste])
    case_sla: int | None = None          # seconds a whole case may take (service.toml [sla] vorgang)
    withdrawal: str | None = None        # the message that withdraws an application (service.toml [ruecknahme])

    def element(self, element_id: str) -> ElementInfo:
        info = self.elements.get(element_id)
        if info is None:
            info = ElementInfo(id=element_id, name=element_id, kind="")
        return info

    def start_events(self) -> dict[str, list[str]]:
        """Message and signal names and timer expressions that start cases of this process."""
        starts = [i for i in self.elements.values() if i.kind == "startEvent" and not i.nested]
        return {"messages": sorted({i.message for i in starts if i.message}),
                "signals": sorted({i.signal for i in starts if i.signal}),
                "timers": sorted({i.timer for i in starts if i.timer})}

    def timer_ends(self) -> dict[str, str]:
        """Timer expression of a start event -> its cycle's end-date expression, where it has one."""
        return {i.timer: i.timer_end for i in self.elements.values()
                if i.kind == "startEvent" and not i.nested and i.timer and i.timer_end}

    @property
    def start_form(self) -> Form | None:
        for info in self.elements.values():
            if info.kind == "startEvent" and not info.nested and info.form is not None:
                return info.form
        return None
