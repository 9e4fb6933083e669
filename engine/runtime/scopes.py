"""What a deployment's Camunda models say about variable scopes, read once per parse and put
onto the parsed specs: input/output mappings (:mod:`engine.runtime.io_mapping`), Camunda
Connect connector output parameters, and call activity mappings
(:mod:`engine.runtime.call_activity`). Kept apart from :mod:`engine.runtime.parsing`, which
calls :meth:`Scopes.read` per process and :meth:`Scopes.attach` per parsed spec."""

from __future__ import annotations

from typing import Any, Callable

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity

from engine.domain.errors import Problem
from engine.runtime import call_activity, camunda_call, camunda_io, io_mapping
from engine.runtime.namespaces import tag

Checker = Callable[[str, str, str], list[str]]
Key = tuple[str, str]   # (file name, element id)


def _ignore(_node: etree._Element, _message: str) -> None:
    """Placement and value problems were reported by the dialect translation already."""


class Scopes:
    def __init__(self) -> None:
        self.io: dict[Key, io_mapping.IoMapping] = {}
        self.calls: dict[Key, call_activity.CallMapping] = {}
        self.connector_outputs: dict[Key, Any] = {}

    def read(self, proc: etree._Element, filename: str, infos: dict[str, Any], check: Checker | None,
             problems: list[Problem]) -> None:
        for node in proc.iter():
            info = infos.get(node.get("id", "")) if isinstance(node.tag, str) else None
            if info is None:
                continue
            connector = camunda_io.connector_io(node)
            outputs = camunda_io.connector_outputs(connector, _ignore) if connector is not None else ()
            if outputs:
                self.connector_outputs[(filename, info.id)] = outputs
            if node.tag == tag("callActivity"):
                info.call = camunda_call.read_call(node, _ignore)
                self.calls[(filename, info.id)] = info.call
            if camunda_io.io_node(node) is None:
                continue
            info.io = camunda_io.read_io(node, _ignore)
            if info.io is None:
                continue
            self.io[(filename, info.id)] = info.io
            if check is None:
                continue
            for name, value in [*info.io.inputs, *info.io.outputs]:
                for mode, source in camunda_io.sources(value):
                    for msg in check(source, mode, info.id):
                        problems.append(Problem(filename, info.line, info.id, f"mapping '{name}': {msg}"))

    def attach(self, spec: Any) -> None:
        file = getattr(spec, "file", "")
        for task_spec in spec.task_specs.values():
            key = (file, getattr(task_spec, "bpmn_id", None) or "")
            mapping = self.io.get(key)
            if mapping and not isinstance(task_spec, MultiInstanceTask):  # MI: each instance's spec
                io_mapping.attach(task_spec, mapping)
            if key in self.connector_outputs:
                task_spec.connector_outputs = self.connector_outputs[key]
            call = self.calls.get(key)
            if call is not None and isinstance(task_spec, CallActivity):
                call_activity.attach(task_spec, call)
            if self.calls and isinstance(task_spec, BoundaryEvent):
                call_activity.catch_on_call(task_spec)

    def subprocess_specs(self, parser: Any, pid: str) -> dict[str, Any]:
        """Specs of everything ``pid`` calls; a call activity whose calledElement is an
        expression may call any process of the deployment, so all of them come along."""
        subs = {k: v for k, v in parser.get_subprocess_specs(pid, require_call_activity_specs=False).items()
                if v is not None}
        if any(c.called_expression is not None for c in self.calls.values()):
            for other in parser.get_process_ids():
                if other not in subs:   # the caller too: it may call itself
                    subs[other] = parser.get_spec(other)
                    subs.update({k: v for k, v in parser.get_subprocess_specs(
                        other, require_call_activity_specs=False).items() if v is not None})
        return subs


__all__ = ["Scopes"]
