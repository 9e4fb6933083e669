"""Migrating a running case to another version of its process (Camunda's process instance migration).

A *plan* maps element ids of the source version to element ids of the target version; ids that
exist in both are mapped to themselves unless the plan says otherwise. SpiffWorkflow's own
alignment (``SpiffWorkflow.bpmn.util.diff.SpecDiff``) aligns the engine's internal task specs
(joins, start and end markers) by id and by structure; the plan overrides it for BPMN elements.

What a case waits for must survive the move: each open activity must map to an element of the
same kind; a waiting timer keeps its due date; a waiting message or signal event keeps its
name; a multi-instance activity or an active call activity is not migrated (refused, with a
reason); an open embedded sub-process is migrated with its sub-process spec when the target has
one of the same id. Nothing is changed when a case is refused.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.util.task import TaskState

from engine.runtime.call_activity import spec_key_of
from engine.runtime.parsing import ParsedProcess
from engine.runtime.reserved_ids import spec_name
from engine.runtime.waits import element_id_of

OPEN = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR


@dataclass(frozen=True)
class MigrationIssue:
    element_id: str
    message: str          # German, for the process owner


@dataclass
class MigrationOutcome:
    issues: list[MigrationIssue] = field(default_factory=list)
    moved: dict[str, str] = field(default_factory=dict)     # open task id -> its element id in the target


def _kind(spec: Any) -> str:
    return type(spec).__name__


def _event_names(spec: Any) -> tuple[str, ...]:
    definition = getattr(spec, "event_definition", None)
    if definition is None:
        return ()
    return (type(definition).__name__, str(getattr(definition, "name", "") or ""))


class _Comparable:
    """What SpecDiff compares specs by: the registry's form where it has a converter for the
    spec's class, else the class name (our own spec classes have none in the spec-less format)."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry

    def convert(self, spec: Any) -> dict[str, Any]:
        converted = self.registry.convert(spec)
        return converted if isinstance(converted, dict) else {"typename": type(spec).__name__}


class _Aligner:
    """Old task spec -> new task spec for one (sub-)process spec pair, with the plan applied."""

    def __init__(self, registry: Any, old_spec: Any, new_spec: Any, mapping: dict[str, str]) -> None:
        self.diff = SpecDiff(_Comparable(registry), old_spec, new_spec)
        self.new_spec = new_spec
        self.alignment: dict[Any, Any] = dict(self.diff.alignment)
        for old in list(self.alignment):
            target = mapping.get(old.name)
            if target is not None:
                self.alignment[old] = new_spec.task_specs.get(target)
        # specs not reachable from the start (event sub-processes, multi-instance children), and the
        # engine's specs named after an element ("pruefen.BoundaryEventSplit"): follow the element
        for name, old in old_spec.task_specs.items():
            if self.alignment.get(old) is None:
                self.alignment[old] = new_spec.task_specs.get(_renamed(name, mapping))

    def target(self, old_spec: Any) -> Any:
        return self.alignment.get(old_spec)


def _renamed(name: str, mapping: dict[str, str]) -> str:
    if name in mapping:
        return mapping[name]
    element, dot, suffix = name.partition(".")
    return f"{mapping[element]}.{suffix}" if dot and element in mapping else name


def check_and_migrate(wf: BpmnWorkflow, registry: Any, old: ParsedProcess, new: ParsedProcess,
                      mapping: dict[str, str], *, apply: bool) -> MigrationOutcome:
    """Check that every open activity of ``wf`` can move; with ``apply`` and no issue, move it."""
    outcome = MigrationOutcome()
    mapping = {spec_name(old_id): spec_name(new_id) for old_id, new_id in mapping.items()}   # element ids -> specs
    aligners: dict[int, _Aligner] = {}
    workflows = [wf, *wf.subprocesses.values()]
    for workflow in workflows:
        key = workflow.spec.name if workflow is wf else spec_key_of(workflow)   # a late-bound call keeps its version
        new_spec = new.spec if workflow is wf else new.subprocess_specs.get(key)
        if new_spec is None:
            outcome.issues.append(MigrationIssue(workflow.spec.name, f"Den Teilprozess „{workflow.spec.name}“ gibt "
                                                 "es in der Zielversion nicht."))
            continue
        if workflow is not wf and key not in old.subprocess_specs:
            outcome.issues.append(MigrationIssue(workflow.spec.name, "Ein aufgerufener Prozess läuft noch; "
                                                 "Vorgänge mit laufender Aufrufaktivität werden nicht migriert."))
            continue
        aligners[id(workflow)] = _Aligner(registry, workflow.spec, new_spec, mapping)
    for workflow in workflows:
        aligner = aligners.get(id(workflow))
        if aligner is None:
            continue
        for task in workflow.get_tasks(state=OPEN, skip_subprocesses=True):
            _check_task(task, aligner, outcome)
        open_ids = {task.id for task in workflow.get_tasks(state=OPEN, skip_subprocesses=True)}
        unaligned = sorted({element_id_of(task) for task in workflow.tasks.values()
                            if task.id not in open_ids and aligner.target(task.task_spec) is None})
        for element in unaligned:   # the stored state names every task's spec: each must exist
            outcome.issues.append(MigrationIssue(element, f"Der Vorgang hat „{element}“ schon durchlaufen oder "
                                                 "vorhergesehen; in der Zielversion fehlt es. Bitte ordnen Sie es "
                                                 "einem Element derselben Art zu."))
    if outcome.issues or not apply:
        return outcome
    for workflow in workflows:
        _apply(workflow, aligners[id(workflow)])
    return outcome


def _check_task(task: Any, aligner: _Aligner, outcome: MigrationOutcome) -> None:
    spec = task.task_spec
    element = element_id_of(task)
    if getattr(spec, "bpmn_id", None) is None:
        return          # an engine-internal spec (join, marker): aligned by SpiffWorkflow's structure
    target = aligner.target(spec)
    if target is None:
        outcome.issues.append(MigrationIssue(element, f"Der offene Schritt „{spec.bpmn_name or element}“ "
                                             f"({element}) hat in der Zielversion kein Gegenstück; bitte ordnen "
                                             "Sie ihn einem Schritt zu."))
        return
    if isinstance(spec, LoopTask) or isinstance(target, LoopTask) or _in_loop(task):
        outcome.issues.append(MigrationIssue(element, f"Der Schritt „{spec.bpmn_name or element}“ ist eine "
                                             "Mehrfachinstanz; laufende Mehrfachinstanzen werden nicht migriert."))
        return
    if _kind(spec) != _kind(target):
        outcome.issues.append(MigrationIssue(element, f"„{element}“ ist in der Zielversion eine andere Art von "
                                             f"Schritt ({_kind(target)} statt {_kind(spec)})."))
        return
    if _event_names(spec) != _event_names(target):
        outcome.issues.append(MigrationIssue(element, f"Das Ereignis „{element}“ wartet in der Zielversion auf "
                                             "eine andere Nachricht, ein anderes Signal oder eine andere Art "
                                             "von Ereignis."))
        return
    outcome.moved[str(task.id)] = str(getattr(target, "bpmn_id", None) or target.name)


def _in_loop(task: Any) -> bool:
    parent = task.parent
    return parent is not None and isinstance(parent.task_spec, LoopTask)


def _apply(workflow: Any, aligner: _Aligner) -> None:
    """Point every task at its spec in the target and re-predict what follows the open ones;
    an open task keeps its data and internal data (a timer its due date, an activity its inputs)."""
    workflow.spec = aligner.new_spec
    for task in workflow.tasks.values():
        target = aligner.target(task.task_spec)
        if target is not None:
            task.task_spec = target
    for task in list(workflow.get_tasks(state=TaskState.READY | TaskState.WAITING, skip_subprocesses=True)):
        if task.id not in workflow.tasks:
            continue
        data, internal = copy.deepcopy(task.data), copy.deepcopy(task.internal_data)
        task.reset_branch(data)
        task.internal_data = internal
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = None
