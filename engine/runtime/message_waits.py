"""The message subscriptions of one case, each addressable on its own, as Camunda 7 has them.

Camunda gives every waiting activity instance its own event subscription: the two instances
of a parallel multi-instance receive task (or of a receive task inside a parallel
multi-instance sub-process) are two subscriptions, and a correlation delivers to exactly one
of them, chosen by what it names (business key, correlation keys, the instance's local
variables, the execution); ``correlateAll`` delivers to each. A subscription here is one
waiting thing of the workflow, named by its wait id (the one stored in the subscription
projection, ``message_subscriptions.task_id``):

* a waiting catch event, receive task or boundary event (the task's id);
* a triggerable service task that made its call and waits for its trigger (the task's id);
* an event sub-process start offered by an active scope instance (:mod:`event_subprocesses`).

:func:`targets` lists them for a message name, each with the local variables of the activity
instance that waits (see :func:`local_variables`); :func:`deliver_to` hands a message to one.
SpiffWorkflow's ``send_event`` would hand it to every task that catches the name.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.util.task import TaskState

from engine.runtime import event_subprocesses, loop_index, spiff_seam
from engine.runtime.camunda_tasks import trigger_message
from engine.runtime.event_names import subscribed_name
from engine.runtime.event_subprocesses import OfferedStart, offered_starts
from engine.runtime.io_mapping import INPUTS, enclosing_chain
from engine.runtime.specs import AWAITING_TRIGGER
from engine.runtime.waits import element_id_of

__all__ = ["Target", "deliver_to", "local_variables", "targets"]


@dataclass
class Target:
    """One subscription of the case: what waits (a task, or an offered event sub-process start)."""

    wait_id: str
    element_id: str
    task: Any = None                  # the waiting task (catch event, receive task, boundary, triggerable)
    definition: Any = None            # the event definition it catches (None: a triggerable task)
    offered: OfferedStart | None = None
    locals: dict[str, Any] = field(default_factory=dict)


def targets(wf: Any, name: str, kind: str = "message") -> list[Target]:
    """Every subscription of ``wf`` for message (or signal) ``name``, in a stable order."""
    wanted = MessageEventDefinition if kind == "message" else SignalEventDefinition
    found: list[Target] = []
    if kind == "message":
        for task in wf.get_tasks(state=TaskState.STARTED):
            if task.internal_data.get(AWAITING_TRIGGER) and trigger_message(element_id_of(task)) == name:
                found.append(Target(str(task.id), element_id_of(task), task, None, None, local_variables(task)))
    for task in list(wf.event_manager.tasks.values()):
        definition = task.task_spec.event_definition
        for d in getattr(definition, "event_definitions", [definition]):
            if isinstance(d, wanted) and subscribed_name(task, d) == name:
                found.append(Target(str(task.id), element_id_of(task), task, d, None, local_variables(task)))
                break
    for offered in offered_starts(wf):
        if isinstance(offered.definition, wanted) and offered.name == name:
            holder = _scope_holder(offered.scope)
            found.append(Target(offered.wait_id, offered.element_id, None, offered.definition, offered,
                                local_variables(holder) if holder is not None else {}))
    return found


def local_variables(task: Any) -> dict[str, Any]:
    """The variables local to the activity instance ``task`` waits in (Camunda's local
    variables of its execution): the input mappings of the task and of the embedded
    sub-process instances around it, and, for an instance of a multi-instance activity, its
    element variable and ``loopCounter``; the innermost wins. Case variables are not local;
    a called process is a scope of its own (the walk stops at its call activity)."""
    found: dict[str, Any] = {}
    for node in enclosing_chain(task):
        for name, value in (node.internal_data.get(INPUTS) or {}).items():
            found.setdefault(name, value)
        parent = node.parent
        if parent is not None and isinstance(parent.task_spec, MultiInstanceTask) and node.task_spec is not parent.task_spec:
            mi = parent.task_spec
            item = getattr(mi, "input_item", None)
            if item is not None and item.bpmn_id in node.data:
                found.setdefault(item.bpmn_id, node.data[item.bpmn_id])
            found.setdefault(loop_index.name_of(mi), _loop_counter(mi, parent, node))
    return found


def _loop_counter(mi: Any, parent: Any, node: Any) -> int:
    index = node.internal_data.get("key_or_index")
    if isinstance(index, int) and not isinstance(index, bool):
        return index
    siblings = [c for c in spiff_seam.instances(mi, parent)]
    return next((i for i, c in enumerate(siblings) if c is node), 0)


def _scope_holder(scope: Any) -> Any:
    """The sub-process task whose instance ``scope`` (a sub-workflow) is; None for the case."""
    if scope is scope.top_workflow:
        return None
    try:
        return scope.top_workflow.get_task_from_id(scope.parent_task_id)
    except Exception:  # noqa: BLE001 - a scope whose holder is gone has no locals
        return None


def deliver_to(wf: Any, target: Target, payload: Any) -> bool:
    """Hand the message to this one subscription; False if it no longer waits."""
    if target.offered is not None:
        d = target.definition
        started = event_subprocesses.start(wf, target.offered, BpmnEvent(copy.copy(d), payload, {}))
        if started is not None and getattr(d, "message_var", getattr(d, "variable", "")) is None \
                and isinstance(payload, dict):
            started.data.update(payload)
        return started is not None
    task = target.task
    if target.definition is None:      # a triggerable service task (Flowable's trigger): its data, then it leaves
        if not task.internal_data.pop(AWAITING_TRIGGER, None):
            return False
        if isinstance(payload, dict):
            task.data.update(payload)
        task.complete()
        return True
    if task.id not in wf.event_manager.tasks:
        return False
    d = target.definition
    task.task_spec.catch(task, BpmnEvent(copy.copy(d), payload, {}))
    spiff_seam.update(task)
    # The spiff dialect drops a payload without message_var/variable; the engine's contract
    # is that message data reaches the case.
    if getattr(d, "message_var", getattr(d, "variable", "")) is None and isinstance(payload, dict):
        task.data.update(payload)
    return True
