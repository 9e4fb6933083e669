"""Conditional start events of event sub-processes, in every scope.

SpiffWorkflow never starts an event sub-process on a condition (nothing sends a conditional
event): such an event sub-process was deployed and never ran. Camunda 7 evaluates the
condition when its scope starts and whenever a variable of the scope is set; here the
condition is evaluated on the scope's data at the end of every command step, for every
active scope instance (:func:`engine.runtime.event_subprocesses.offered_starts`):

* an interrupting one starts the first time its condition holds (it interrupts the scope,
  after which nothing of the scope is offered any more);
* a non-interrupting one starts when its condition holds and the scope's data changed since
  it last started (a variable was set), so a condition that stays true does not start it
  again on every command.

A condition naming a variable that does not exist yet is false (Camunda 7). Each event
sub-process starts at most once per command.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition

from engine.runtime import event_subprocesses

__all__ = ["fire_conditions"]

_LAST = "amtsflow_condition_data:"   # on a scope's root task: fingerprint of the data it last started on


def _fingerprint(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _holds(top: Any, scope: Any, expression: str, data: dict[str, Any]) -> bool:
    try:
        return bool(top.script_engine.evaluate_over(scope.task_tree, expression, data))
    except WorkflowTaskException as exc:
        if "is not defined" in str(exc):
            return False
        raise


def fire_conditions(top: Any, fired: set[str]) -> int:
    """Start the conditional event sub-processes whose condition holds now; ``fired`` holds the
    wait ids started earlier in this command (updated). Returns how many started."""
    started = 0
    for offered in list(event_subprocesses.offered_starts(top)):
        definition = offered.definition
        if not isinstance(definition, ConditionalEventDefinition) or offered.wait_id in fired:
            continue
        scope = offered.scope
        data = event_subprocesses.scope_data(scope)
        key = _LAST + offered.holder_name
        fingerprint = _fingerprint(data)
        if not offered.interrupting and scope.task_tree.internal_data.get(key) == fingerprint:
            continue
        if not _holds(top, scope, definition.expression, data):
            continue
        fired.add(offered.wait_id)
        scope.task_tree.internal_data[key] = fingerprint
        if event_subprocesses.start(top, offered, BpmnEvent(definition)) is not None:
            started += 1
        if offered.interrupting:
            return started   # the scope is interrupted: look again at what is still offered
    return started
