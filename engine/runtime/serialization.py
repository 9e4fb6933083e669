"""Workflow state <-> JSON, without the spec.

Specs are stored once per deployment (by content hash) and re-parsed from the stored
source; each case row holds only its task tree and data. The format carries
SpiffWorkflow's serializer version, stored per case, so that a later library upgrade can
migrate old rows explicitly.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

SERIALIZER_VERSION = f"spiff-{BpmnWorkflowSerializer.VERSION_KEY}-1.5+amtsflow1"


class SpeclessWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _config() -> dict[Any, Any]:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = SpeclessWorkflowConverter
    return config


class StateSerializer:
    def __init__(self) -> None:
        self._serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config()))

    def dumps(self, workflow: BpmnWorkflow) -> str:
        registry = self._serializer.registry
        registry._encoder_mode = True
        try:
            dct = registry.convert(workflow)
            return json.dumps(dct, cls=self._serializer._encoder_cls, separators=(",", ":"))
        finally:
            registry._encoder_mode = False

    def loads(self, state: str, spec: Any, subprocess_specs: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
        dct = json.loads(state, cls=self._serializer.json_decoder_cls)
        workflow = self._serializer.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
        workflow.script_engine = script_engine
        return workflow
