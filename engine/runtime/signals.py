"""Camunda 7 signals: what a thrown signal carries.

SpiffWorkflow's plain signal definition throws a copy of *all* the thrower's variables and
merges them into every catcher (a catching case had its own variables overwritten). In
Camunda 7 a signal carries nothing unless its definition says so with ``camunda:in``:
``source``/``target``, ``sourceExpression``/``target`` or ``variables="all"``.
``local="true"`` and ``businessKey`` are refused at deploy time (the engine keeps no
separate local scope on throw events, and a signal cannot set another case's key).
"""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition

from engine.runtime import juel
from engine.runtime.event_names import ExpressionNamed, throw_resolved
from engine.runtime.namespaces import CAMUNDA, tag

__all__ = ["CamundaSignal", "SignalInputProblem", "signal_inputs"]

Input = tuple[str, str, str]      # (kind: all|source|expression, source or python expression, target)


class SignalInputProblem(ValueError):
    pass


def signal_inputs(definition: etree._Element) -> list[Input]:
    inputs: list[Input] = []
    for node in definition.iter(tag("in", CAMUNDA)):
        if node.get("local") == "true":
            raise SignalInputProblem("camunda:in local=\"true\" on a signal is not supported; list the variables "
                                     "with source/target")
        if node.get("businessKey") is not None:
            raise SignalInputProblem("camunda:in businessKey on a signal is not supported (a signal cannot set "
                                     "the business key of the cases it starts)")
        if node.get("variables") == "all":
            inputs.append(("all", "", ""))
        elif node.get("sourceExpression"):
            try:
                inputs.append(("expression", juel.translate(node.get("sourceExpression", "")), node.get("target", "")))
            except juel.JuelError as exc:
                raise SignalInputProblem(f"camunda:in sourceExpression: {exc}") from exc
        elif node.get("source"):
            inputs.append(("source", node.get("source", ""), node.get("target") or node.get("source") or ""))
    return inputs


class CamundaSignal(ExpressionNamed, SignalEventDefinition):  # type: ignore[misc]
    """A Camunda-dialect signal: throws only what its camunda:in mappings name."""

    inputs: list[Input] = []

    def throw(self, my_task: Any) -> None:
        if throw_resolved(self, my_task):
            return
        payload: dict[str, Any] = {}
        for kind, source, target in self.inputs:
            if kind == "all":
                payload.update(copy.deepcopy(my_task.data))
            elif kind == "source":
                payload[target] = copy.deepcopy(my_task.data.get(source))
            else:
                payload[target] = my_task.workflow.script_engine.evaluate(my_task, source)
        my_task.workflow.top_workflow.catch(BpmnEvent(self, payload=payload))
