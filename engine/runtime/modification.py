"""Moving a case's position by hand (Camunda's process instance modification):

* ``restart``: start again before an activity the case has completed ("zurücksetzen"); what
  followed it and is open now is cancelled (SpiffWorkflow's ``reset_from_task_id``);
* ``skip``: finish an open user or manual task without running it ("danach fortsetzen");
* ``cancel``: cancel an open activity; when nothing else is open the case is cancelled;
* ``start_before``: start before any activity or event of a process level that runs, also one the
  case has not reached, as Camunda's ``startBeforeActivity``: a new token, the open steps stay;
* ``move``: the same after cancelling every open step of that process level ("dorthin
  verschieben", Camunda's cancel + startBefore in one modification).

A new token is a task of the target's spec added under a completed task of the same process
level (the parent of the newest open step there, else its newest completed step), so it carries
that step's data; SpiffWorkflow then readies it and predicts what follows as for any token. A
target inside an embedded sub-process or call that is not running has no process level to join
(Camunda would create the scope; here it is refused with a reason), nor do start and boundary
events or joining gateways (a token there would wait for branches that never come).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.util.task import TaskState

from engine.domain.errors import InvalidState
from engine.runtime import spiff_seam
from engine.runtime.reserved_ids import spec_name
from engine.runtime.waits import element_id_of

OPEN = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR
ACTIONS = ("restart", "skip", "cancel", "start_before", "move")
NEW_TOKEN = ("start_before", "move")
_NOT_STARTABLE = ("StartEvent", "BoundaryEvent", "BoundaryEventSplit", "BoundaryEventJoin", "_EndJoin",
                  "Simple", "StartTask", "BpmnStartTask")
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


def _levels(wf: BpmnWorkflow) -> list[Any]:
    """The process levels that run: the case's own and each running sub-process or call."""
    return [wf, *[sub for sub in wf.subprocesses.values() if not sub.is_completed()]]


def _startable_spec(level: Any, element_id: str) -> Any | None:
    name = spec_name(element_id)
    spec = level.spec.task_specs.get(f"{name}.BoundaryEventSplit") or level.spec.task_specs.get(name)
    if spec is None or getattr(level.spec.task_specs.get(name), "bpmn_id", None) != element_id:
        return None
    target = level.spec.task_specs[name]
    kind = type(target).__name__
    if kind in _NOT_STARTABLE or "Start" in kind and "Event" in kind:
        return None
    if "Gateway" in kind and len(target.inputs) > 1:
        return None
    return spec


def startable_elements(wf: BpmnWorkflow) -> list[tuple[str, str, str]]:
    """(element id, name, kind) of what a new token may start before, in the levels that run."""
    found = set()
    for level in _levels(wf):
        for spec in level.spec.task_specs.values():
            element = getattr(spec, "bpmn_id", None)
            if element is not None and _startable_spec(level, element) is not None:
                found.add((element, spec.bpmn_name or element, type(spec).__name__))
    return sorted(found)


def _start_before(wf: BpmnWorkflow, element_id: str, *, move: bool) -> None:
    levels = [(level, spec) for level in _levels(wf) if (spec := _startable_spec(level, element_id)) is not None]
    if not levels:
        raise InvalidState("not startable", user_message=f"Vor „{element_id}“ lässt sich nicht beginnen: Es ist "
                           "kein Schritt einer laufenden Prozessebene (Start- und Randereignisse, zusammenführende "
                           "Gateways und Schritte in nicht laufenden Teilprozessen gehen nicht).")
    level, spec = levels[0]
    open_here = sorted((t for t in level.get_tasks(state=OPEN) if t.workflow is level and _named(t)),
                       key=lambda t: t.last_state_change)
    if move and any(_in_loop(t) for t in open_here):
        raise InvalidState("multi-instance", user_message="Einzelne Instanzen einer Mehrfachinstanz lassen sich "
                           "hier nicht verschieben.")
    anchor = open_here[-1].parent if open_here else None
    while anchor is not None and anchor.state != TaskState.COMPLETED:
        anchor = anchor.parent
    if anchor is None:
        done = [t for t in level.get_tasks(state=TaskState.COMPLETED) if t.workflow is level]
        if not done:
            raise InvalidState("nothing completed", user_message="Diese Prozessebene hat noch keinen Schritt "
                               "erledigt; hier lässt sich kein neuer Schritt beginnen.")
        anchor = max(done, key=lambda t: t.last_state_change)
    if move:
        for task in open_here:
            if not task.has_state(TaskState.FINISHED_MASK):
                task.cancel()
    token = spiff_seam.add_child(anchor, spec, TaskState.FUTURE)
    # as SpiffWorkflow's own reset_branch: predict what follows (completing the token updates its
    # children; without them the level would never reach its end), then ready the token
    spiff_seam.predict(token, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)
    spiff_seam.update(token)


def apply(wf: BpmnWorkflow, instruction: Instruction) -> bool:
    """Change ``wf``; True when the case has nothing open afterwards (the caller cancels it)."""
    if instruction.action not in ACTIONS:
        raise InvalidState(f"unknown action {instruction.action}", user_message="Diese Änderung gibt es nicht.")
    if instruction.action in NEW_TOKEN:
        _start_before(wf, instruction.element_id, move=instruction.action == "move")
        return False
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
