"""Non-interrupting boundary events fire more than once.

In BPMN and Camunda 7 a non-interrupting boundary event stays subscribed while its activity
runs: every matching message, signal or escalation starts its path again. SpiffWorkflow
fires it once; after that the activity no longer listens (a second message was buffered
for nobody, and of five escalations thrown by a multi-instance sub-process one was caught).
:func:`prepare_rearming` makes each such boundary event add a fresh waiting twin beside
itself the moment it catches, while its activity still runs.
"""

from __future__ import annotations

import types
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState
from engine.runtime import spiff_seam

__all__ = ["prepare_rearming", "rearm_non_interrupting"]


def _rearm(task: Any, prepare: Any = None) -> bool:
    spec = task.task_spec
    split = task.parent
    if split is None or not isinstance(split.task_spec, BoundaryEventSplit):
        return False
    activity_running = any(
        not isinstance(sibling.task_spec, BoundaryEvent) and sibling.state & TaskState.NOT_FINISHED_MASK
        and sibling.state != TaskState.FUTURE for sibling in split.children)
    if not activity_running:
        return False
    fresh = spiff_seam.add_child(split, spec, TaskState.WAITING)
    spiff_seam.predict(fresh, TaskState.NOT_FINISHED_MASK)   # its outgoing path, as for the first one
    if prepare is not None:
        prepare(fresh)
    spiff_seam.update(fresh)
    return True


def rearm_non_interrupting(task: Any, flag: str) -> bool:
    """A non-interrupting boundary event fired other than by ``catch`` (a condition that came
    true, engine.runtime.conditions): it waits again beside itself while its activity runs,
    until the next change of variables (marked with ``flag`` in its internal data)."""
    spec = task.task_spec
    if not isinstance(spec, BoundaryEvent) or spec.cancel_activity:
        return False
    return _rearm(task, lambda fresh: fresh.internal_data.__setitem__(flag, True))


def _catch_and_rearm(self: Any, my_task: Any, event: Any) -> None:
    type(self).catch(self, my_task, event)   # the class method: the instance attribute is this function
    _rearm(my_task)


def prepare_rearming(spec: Any) -> None:
    """Specs are shared by the cases of a version and re-parsed, never stored: patching the
    spec object once at parse time is enough."""
    for task_spec in spec.task_specs.values():
        if (isinstance(task_spec, BoundaryEvent) and not task_spec.cancel_activity
                and not isinstance(task_spec.event_definition, TimerEventDefinition)):
            task_spec.catch = types.MethodType(_catch_and_rearm, task_spec)
