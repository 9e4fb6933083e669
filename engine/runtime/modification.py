"""Moving a case's position by hand (Camunda's process instance modification), in three forms
SpiffWorkflow supports without inventing tokens:

* ``restart``: start again before an activity the case has completed ("zurücksetzen"); what
  followed it and is open now is cancelled (SpiffWorkflow's ``reset_from_task_id``);
* ``skip``: finish an open user or manual task without running it ("danach fortsetzen");
* ``cancel``: cancel an open activity; when nothing else is open the case is cancelled.

Starting before an activity the case has not reached is not offered: SpiffWorkflow cannot place
a token there without running what lies between (refused with a reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.util.task import TaskState

from engine.domain.errors import InvalidState
from engine.runtime.waits import element_id_of

OPEN = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR
ACTIONS = ("restart", "skip", "cancel")
SKIPPABLE = ("UserTask", "ManualTask", "NoneTask")


@dataclass(frozen=True)
class Instruction:
    action: str          # restart, skip, cancel
    element_id: str      # restart: a completed element; skip, cancel: an open one


def _named(task: Any) -> bool:
    return getattr(task.task_spec, "bpmn_id", None) is not None


def _in_loop(task: Any) -> bool:
    return task.parent is not None and isinstance(task.parent.task_spec, LoopTask)


def open_elements(wf: BpmnWorkflow) -> list[tuple[str, str, str]]:
    """(element id, name, kind) of the open activities and events, for the choice offered."""
    return sorted({(element_id_of(t), t.task_spec.bpmn_name or element_id_of(t), type(t.task_spec).__name__)
                   for t in wf.get_tasks(state=OPEN) if _named(t)})


def completed_elements(wf: BpmnWorkflow) -> list[tuple[str, str, str]]:
    return sorted({(element_id_of(t), t.task_spec.bpmn_name or element_id_of(t), type(t.task_spec).__name__)
                   for t in wf.get_tasks(state=TaskState.COMPLETED) if _named(t) and not _in_loop(t)
                   and t.workflow is wf and type(t.task_spec).__name__ != "StartEvent"})


def apply(wf: BpmnWorkflow, instruction: Instruction) -> bool:
    """Change ``wf``; True when the case has nothing open afterwards (the caller cancels it)."""
    if instruction.action not in ACTIONS:
        raise InvalidState(f"unknown action {instruction.action}", user_message="Diese Änderung gibt es nicht.")
    if instruction.action == "restart":
        done = [t for t in wf.get_tasks(state=TaskState.COMPLETED) if _named(t) and t.workflow is wf
                and element_id_of(t) == instruction.element_id and not _in_loop(t)]
        if not done:
            raise InvalidState("not completed", user_message=f"„{instruction.element_id}“ hat der Vorgang noch nicht "
                               "durchlaufen; neu beginnen lässt sich nur vor einem erledigten Schritt.")
        latest = max(done, key=lambda t: t.last_state_change)
        wf.reset_from_task_id(latest.id)
        return False
    found = [t for t in wf.get_tasks(state=OPEN) if _named(t) and element_id_of(t) == instruction.element_id]
    if not found:
        raise InvalidState("not open", user_message=f"„{instruction.element_id}“ ist im Vorgang nicht offen.")
    if any(_in_loop(t) for t in found):
        raise InvalidState("multi-instance", user_message="Einzelne Instanzen einer Mehrfachinstanz lassen sich "
                           "hier nicht ändern.")
    if instruction.action == "skip":
        for task in found:
            if type(task.task_spec).__name__ not in SKIPPABLE or task.state != TaskState.READY:
                raise InvalidState("not skippable", user_message="Überspringen lässt sich nur eine offene Aufgabe; "
                                   "Ereignisse und automatische Schritte nicht.")
            task.complete()
        return False
    for task in found:
        task.cancel()
    return not any(_named(t) for t in wf.get_tasks(state=OPEN))
