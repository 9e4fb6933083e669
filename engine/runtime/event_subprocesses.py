"""Message and signal start events of event sub-processes at process level, as waits.

SpiffWorkflow starts such an event sub-process only when the event is caught inside the
workflow (``EventManager.update_collaboration``); their start events are no waiting tasks,
so the host never saw them: a message for a message event sub-process was buffered and
never delivered. :func:`offered_starts` lists them so that they get subscriptions, and the
runner delivers to them through ``send_event`` (which triggers the event sub-process).

SpiffWorkflow's trigger also rewires the *spec* (start -> event sub-process -> end) on the
first trigger; specs are shared by all cases of a version, so from then on every new case
started the event sub-process at once (waiting beside the main flow, never letting the case
end). :func:`prepare_triggers` makes the end connection once at parse time and replaces the
trigger with one that only adds the event sub-process to the case.

Once an interrupting event sub-process has started, the others are no longer offered (the
process scope is interrupted, as in Camunda 7, whose subscriptions go with it).
"""

from __future__ import annotations

import types
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

from SpiffWorkflow.util.task import TaskState
from engine.runtime import spiff_seam

__all__ = ["OfferedStart", "offered_starts", "prepare_triggers"]


@dataclass(frozen=True)
class OfferedStart:
    wait_id: str          # stable id for the subscription (no task exists yet)
    element_id: str       # the start event
    spec_name: str        # its task spec name
    definition: Any       # the event definition it catches


def _interrupted(wf: Any) -> bool:
    for name in wf.spec.start.trigger_specs:
        sub_spec = wf.subprocess_specs.get(name)
        if sub_spec is None or not any(getattr(ts, "interrupting", False) for ts in sub_spec.bpmn_start_events):
            continue
        if wf.get_next_task(spec_name=name) is not None:
            return True
    return False


def offered_starts(wf: Any) -> Iterator[OfferedStart]:
    if wf.completed or _interrupted(wf):
        return
    for name in wf.spec.start.trigger_specs:
        sub_spec = wf.subprocess_specs.get(name)
        if sub_spec is None:
            continue
        for ts in sub_spec.bpmn_start_events:
            definition = ts.event_definition
            for d in getattr(definition, "event_definitions", [definition]):
                wait_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"amtsflow:{wf.task_tree.id}:{ts.name}"))
                yield OfferedStart(wait_id, str(getattr(ts, "bpmn_id", None) or ts.name), ts.name, d)


def _trigger(self: Any, my_task: Any, spec_name: str) -> Any:
    """SpiffWorkflow's BpmnStartTask.trigger_wf without rewiring the shared spec."""
    spec = self._wf_spec.task_specs.get(spec_name)
    child = spiff_seam.add_child(my_task, spec, TaskState.FUTURE)
    child.triggered = True
    spiff_seam.update(child)
    return child.id


def prepare_triggers(spec: Any) -> None:
    start = spec.start
    names = getattr(start, "trigger_specs", None)
    if not names:
        return
    for name in names:
        holder = spec.task_specs.get(name)
        if holder is None:
            continue
        if spec.end not in holder.outputs:
            holder.connect(spec.end)
        if start not in holder.inputs:  # an input, but no output of start: cases do not start it by themselves
            holder.inputs = [*holder.inputs, start]
    start.trigger_wf = types.MethodType(_trigger, start)
