"""Workflow state <-> JSON, without the spec.

Specs are stored once per deployment (by content hash) and re-parsed from the stored
source; each case row holds only its task tree and data. The stored version (ours and
SpiffWorkflow's serializer version, see engine.runtime.state_format) is read on every load
and the registered migrations bring an older state up to date before it is restored.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnSubWorkflowConverter, BpmnWorkflowConverter
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.runtime import spiff_seam
from engine.runtime.call_activity import BOUND, bound_key
from engine.runtime.state_format import MIGRATIONS, MigrationContext, StateMigrations, parse_label


class _Tasks:
    """How our workflow converters write and read their tasks: through engine.runtime.spiff_seam's
    tasks_to_dict/tasks_from_dict (the library's dicts without its registry's per-value
    dispatch) where they mirror the registry, else through the registry (``FAST = False``: always)."""

    FAST = True
    registry: Any
    _fast: bool | None = None

    @property
    def fast_tasks(self) -> bool:
        if self._fast is None:   # asked first when a workflow is converted: every converter is registered
            self._fast = self.FAST and spiff_seam.fast_tasks(self.registry)
        return self._fast


class SpeclessWorkflowConverter(_Tasks, BpmnWorkflowConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = spiff_seam.workflow_to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = spiff_seam.tasks_from_dict(self, dct["tasks"], workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class CalledSubWorkflowConverter(_Tasks, BpmnSubWorkflowConverter):
    """Restores a sub-workflow with the spec it was started with (stored as ``spec``): a call
    activity whose called element is an expression has no fixed spec name on its task spec; a
    late-bound call names the definition it bound in its internal data (call_activity.BOUND),
    whose spec the loaded ``subprocess_specs`` hold under ``<process>@<definition id>``."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct = spiff_seam.workflow_to_dict(self, workflow)   # BpmnSubWorkflowConverter.to_dict (COPIED)
        dct["parent_task_id"] = str(workflow.parent_task_id)
        dct["spec"] = workflow.spec.name
        return dct

    def from_dict(self, dct: dict[str, Any], task: Any, top_workflow: Any) -> Any:
        name = dct.get("spec") or task.task_spec.spec
        bound = task.internal_data.get(BOUND)
        specs = top_workflow.subprocess_specs
        spec = (specs.get(bound_key(name, bound)) if bound is not None else None) or specs.get(name) \
            or specs.get(task.task_spec.spec)
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = spiff_seam.tasks_from_dict(self, dct["tasks"], subprocess)
        subprocess.task_tree = subprocess.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess


def _serializer(base: dict[Any, Any], fast: bool = True) -> BpmnWorkflowSerializer:
    from engine.runtime.specs import CLOCKED

    config = dict(base)
    config[BpmnWorkflow] = type("SpeclessWorkflowConverter", (SpeclessWorkflowConverter,), {"FAST": fast})
    config[BpmnSubWorkflow] = type("CalledSubWorkflowConverter", (CalledSubWorkflowConverter,), {"FAST": fast})
    # Our clock-driven twins of SpiffWorkflow's event definitions end up in task data too (an
    # event-based gateway keeps the events it has seen): serialise them like their base class.
    for library_class, ours in CLOCKED.items():
        if library_class in config:
            config[ours] = config[library_class]
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


class StateSerializer:
    """One SpiffWorkflow serializer per dialect: their event definition classes share names."""

    def __init__(self, migrations: StateMigrations = MIGRATIONS, *, fast: bool = True) -> None:
        """``fast=False``: tasks through SpiffWorkflow's registry only (the reference the fast
        path is tested against: tests/unit/test_state_codec.py)."""
        self.migrations = migrations
        self._by_dialect = {"spiff": _serializer(SPIFF_CONFIG, fast), "camunda": _serializer(CAMUNDA_CONFIG, fast)}
        self._dumping = {dialect: threading.Lock() for dialect in self._by_dialect}

    def dumps(self, workflow: BpmnWorkflow, dialect: str = "spiff") -> str:
        serializer = self._by_dialect[dialect]
        # The registry's encoder mode is one flag shared by every thread: one dumps at a time.
        with self._dumping[dialect], spiff_seam.encoder_mode(serializer) as encoder:
            return json.dumps(serializer.to_dict(workflow), cls=encoder, separators=(",", ":"))

    def spec_registry(self, dialect: str) -> Any:
        """The converter registry of a dialect (SpiffWorkflow's spec diff compares specs with it)."""
        return self._by_dialect[dialect].registry

    @property
    def version(self) -> str:
        """The version label every state this serializer writes carries (cases.serializer_version)."""
        return self.migrations.label

    def loads(self, state: str, parsed: Any, script_engine: Any, version: str | None = None) -> BpmnWorkflow:
        """``parsed``: the ParsedProcess whose spec the state belongs to; ``version``: the label
        stored with the state (None: written by this code). Older states are migrated first."""
        serializer = self._by_dialect[parsed.model.dialect]
        dct = json.loads(state, cls=serializer.json_decoder_cls)
        if version is not None and version != self.version:
            self.migrations.migrate(dct, parse_label(version), MigrationContext(parsed.spec, parsed.subprocess_specs))
        workflow = serializer.from_dict(dct, spec=parsed.spec, subprocess_specs=parsed.subprocess_specs)
        workflow.script_engine = script_engine
        return workflow


_RESTORED = (str, int, float, bool, type(None), UUID, datetime, timedelta)  # come back as they went


def round_trips(workflow: BpmnWorkflow) -> bool:
    """Whether all task data survives dumps + loads unchanged: JSON types with text keys, plus what
    SpiffWorkflow's registry restores (UUID, datetime, timedelta). A tuple comes back as a list,
    a numeric dict key as text, so a workflow holding one differs from its stored state."""
    pending: list[Any] = [workflow.data]
    for wf in [workflow, *workflow.subprocesses.values()]:
        for task in wf.tasks.values():
            pending.append(task.data)
            pending.append(task.internal_data)
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                return False
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif not isinstance(value, _RESTORED):
            return False
    return True
