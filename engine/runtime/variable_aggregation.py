"""Flowable's variable aggregation of multi-instance activities (``flowable:variableAggregation``).

::

    <multiInstanceLoopCharacteristics isSequential="false">
      <extensionElements>
        <flowable:variableAggregation target="reviews">
          <variable source="approved"/>
          <variable source="description" target="text"/>
          <variable sourceExpression="${score * 2}" target="double"/>
        </flowable:variableAggregation>
      </extensionElements>
      ...

As in Flowable (MultiInstanceVariableAggregationTest, JsonVariableAggregator):

* The variables an instance sets stay local to that instance (Flowable stores them on the
  instance's execution): they do not reach the scope of the loop, and the next sequential
  instance starts from the loop's scope again.
* When an instance completes, one object is made from it: per ``<variable>`` the key
  ``target`` (or ``targetExpression``'s value, or the ``source`` name) with the value of the
  instance's variable ``source`` (left out when the instance has no such variable) or of
  ``sourceExpression`` evaluated in the instance.
* When the activity completes (every instance done, or the completion condition held, or no
  instance at all), the variable ``target`` of the loop's scope is the list of these objects
  in the order of the instances (loopCounter); instances that did not complete are not in it.
  When the activity is interrupted (a boundary event), the variable is not set.

Refused at deploy: ``createOverviewVariable="true"`` (a live view of the running instances),
``storeAsTransientVariable="true"`` (a variable that is gone after the next wait), a custom
aggregator (``class``, ``delegateExpression``: Java code).

The normaliser (:mod:`engine.runtime.flowable`) stores the definitions, with their expressions
translated, as JSON in the attribute :data:`AGGREGATION_ATTRIBUTE` of the loop characteristics;
the parser attaches them to the multi-instance task spec (:func:`attach`).
"""

from __future__ import annotations

import json
import types
from typing import Any, Callable

from lxml import etree

from engine.runtime import juel, spiff_seam
from engine.runtime.namespaces import local_name, tag

__all__ = ["AGGREGATION_ATTRIBUTE", "COLLECTED", "attach", "definitions", "translate"]

AGGREGATION_ATTRIBUTE = "{urn:amtsflow:flowable}variableAggregation"
COLLECTED = "aggregated_variables"   # internal data of the loop task: target -> {instance index: object}
_REFUSED = {
    "createOverviewVariable": "an overview variable (a live view of the running instances) is not supported; read "
                              "the aggregated variable after the activity",
    "storeAsTransientVariable": "a transient aggregated variable is not supported; the aggregated variable is "
                                "stored (leave the attribute out)",
}
_JAVA = ("class", "delegateExpression")
Fail = Callable[[etree._Element, str], None]


def translate(node: etree._Element, fail: Fail) -> None:
    """``node``: a flowable:variableAggregation under the extensionElements of loop characteristics."""
    ext = node.getparent()
    loop = ext.getparent() if ext is not None else None
    if loop is None or loop.tag != tag("multiInstanceLoopCharacteristics"):
        fail(node, "flowable:variableAggregation belongs into the extensionElements of multiInstanceLoopCharacteristics")
        return
    for name, why in _REFUSED.items():
        if (node.get(name) or "").strip().lower() == "true":
            fail(node, f"flowable:variableAggregation {name}=\"true\": {why}")
            return
    for name in _JAVA:
        if node.get(name):
            fail(node, f"flowable:variableAggregation {name}=\"{node.get(name)}\": a custom aggregator is Java code and "
                       "cannot run here; leave it out for the standard aggregation (a list of objects)")
            return
    target = (node.get("target") or "").strip()
    variables = [_variable(v, fail) for v in node if isinstance(v.tag, str) and local_name(str(v.tag)) == "variable"]
    if node.get("targetExpression") or not target:
        fail(node, "flowable:variableAggregation needs a target (the name of the aggregated variable)")
        return
    if any(v is None for v in variables):
        return
    found = json.loads(loop.get(AGGREGATION_ATTRIBUTE) or "[]")
    found.append({"target": target, "variables": variables})
    loop.set(AGGREGATION_ATTRIBUTE, json.dumps(found))


def _variable(node: etree._Element, fail: Fail) -> dict[str, str] | None:
    """One <variable>: {"source": name} or {"expression": python}, and {"target": name} or
    {"target_expression": python}."""
    source, expression = (node.get("source") or "").strip(), (node.get("sourceExpression") or "").strip()
    target, target_expression = (node.get("target") or "").strip(), (node.get("targetExpression") or "").strip()
    if bool(source) == bool(expression):
        fail(node, "an aggregated variable needs either source or sourceExpression")
        return None
    out: dict[str, str] = {}
    try:
        if source:
            out["source"] = source
        else:
            out["expression"] = juel.translate(expression) if juel.is_juel(expression) else repr(expression)
        if target_expression:
            out["target_expression"] = juel.translate(target_expression) if juel.is_juel(target_expression) \
                else repr(target_expression)
        else:
            out["target"] = target or source
    except juel.JuelError as exc:
        fail(node, f"aggregated variable {source or expression!r}: {exc}")
        return None
    if not out.get("target") and "target_expression" not in out:
        fail(node, "an aggregated variable with a sourceExpression needs a target")
        return None
    return out


def definitions(root: etree._Element) -> dict[str, list[dict[str, Any]]]:
    """Activity id -> its aggregations, for the multi-instance activities that have some."""
    found: dict[str, list[dict[str, Any]]] = {}
    for loop in root.iter(tag("multiInstanceLoopCharacteristics")):
        activity = loop.getparent()
        if loop.get(AGGREGATION_ATTRIBUTE) and activity is not None and activity.get("id"):
            found[activity.get("id", "")] = json.loads(loop.get(AGGREGATION_ATTRIBUTE, "[]"))
    return found


def _collect(spec: Any, child: Any) -> None:
    """The completed instance ``child``'s object per aggregation, kept on the loop task."""
    loop = child.parent
    engine = child.workflow.top_workflow.script_engine
    index = [str(c.id) for c in spiff_seam.instances(spec, loop)].index(str(child.id))
    collected = loop.internal_data.setdefault(COLLECTED, {})
    for aggregation in spec.aggregations:
        item: dict[str, Any] = {}
        for variable in aggregation["variables"]:
            name = variable.get("target")
            if name is None:
                value = engine.evaluate(child, variable["target_expression"])
                if value is None:
                    continue
                name = str(value)
            if "source" in variable:
                if variable["source"] in child.data:
                    item[name] = child.data[variable["source"]]
            else:
                item[name] = engine.evaluate(child, variable["expression"])
        collected.setdefault(aggregation["target"], {})[str(index)] = item


def _merge_aggregating(self: Any, workflow: Any, child: Any) -> None:
    """An instance completed: collect its objects; none of its variables reach the loop's scope
    (the library's merge sees the loop's own variables, and the element variable)."""
    _collect(self, child)
    kept = child.data
    scope = dict(child.parent.data)
    item = getattr(self.output_item, "bpmn_id", None)
    if item is not None and item in kept:
        scope[item] = kept[item]
    child.data = scope
    try:
        type(self).merge_child(self, workflow, child)
    finally:
        child.data = kept


class Aggregating:
    """Mixin for a multi-instance task spec with aggregations (``aggregations``)."""

    aggregations: list[dict[str, Any]]

    def _on_complete_hook(self, my_task: Any) -> None:
        collected = my_task.internal_data.get(COLLECTED) or {}
        for aggregation in self.aggregations:
            objects = collected.get(aggregation["target"], {})
            my_task.data[aggregation["target"]] = [objects[k] for k in sorted(objects, key=int)]
        super()._on_complete_hook(my_task)  # type: ignore[misc]


def attach(task_spec: Any, aggregations: list[dict[str, Any]]) -> None:
    """Give the multi-instance task spec ``task_spec`` its aggregations (after
    engine.runtime.multi_instance.prepare_multi_instance, whose merge this one replaces)."""
    spiff_seam.mix_in(task_spec, Aggregating, "Aggregating")
    task_spec.aggregations = aggregations
    task_spec.merge_child = types.MethodType(_merge_aggregating, task_spec)
