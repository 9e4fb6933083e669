"""Flowable's variable listener events, run as conditional events on variable changes.

``<flowable:variableListenerEventDefinition variableName="v" variableChangeType="create|update|all"/>``
in an intermediate catch event or a boundary event waits until a command creates or updates
the variable ``v`` (Flowable: ``runtimeService.setVariable``; here: a task completed in another
branch, a message's data, a service task's answer, a listener). The normaliser
(:mod:`engine.runtime.flowable`) turns it into a ``conditionalEventDefinition`` whose condition is
the text literal :func:`marker`; the conditional event definition
(:class:`engine.runtime.specs.TolerantConditional`) recognises it and asks :func:`fires`, which
reads the changes :mod:`engine.runtime.conditions` hands to waiting conditional events after a
command (:data:`CHANGES`). Being reached does not fire it; only a later change does.
On the start event of an event sub-process it is refused (those are not re-evaluated here).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from lxml import etree

from engine.runtime.namespaces import tag

__all__ = ["AFTER_CHANGE", "CHANGES", "fires", "fires_on", "is_marker", "marker", "translate", "waits_for_change"]

CHANGES = "variable_changes"     # internal data of a waiting event: variable -> "create" | "update"
AFTER_CHANGE = "fires_after_change"   # internal data: a re-armed conditional event waits for the next change
_MARKER = re.compile(r"^'amtsflow-variable-listener:([A-Za-z_][\w.-]*):(create|update|all)'$")
_EVENTS = ("intermediateCatchEvent", "boundaryEvent")


def marker(variable: str, change: str) -> str:
    return f"'amtsflow-variable-listener:{variable}:{change}'"


def is_marker(expression: str | None) -> bool:
    return _MARKER.match((expression or "").strip()) is not None


def fires(expression: str | None, task: Any) -> bool | None:
    """Whether a variable listener condition fires at ``task``; None: not a variable listener."""
    return fires_on(expression, task.internal_data.get(CHANGES) or {})


def fires_on(expression: str | None, changes: dict[str, str]) -> bool | None:
    """Whether a variable listener condition fires for ``changes`` (variable -> "create" |
    "update"); None: not a variable listener."""
    match = _MARKER.match((expression or "").strip())
    if match is None:
        return None
    variable, wanted = match.groups()
    change = changes.get(variable)
    return change is not None and wanted in ("all", change)


def waits_for_change(task: Any) -> bool:
    """A re-armed non-interrupting conditional boundary event is not evaluated until variables
    change again (Camunda and Flowable keep its subscription; it fires on the next change)."""
    return bool(task.internal_data.get(AFTER_CHANGE)) and CHANGES not in task.internal_data


def _event_sub_process_start(node: etree._Element) -> bool:
    scope = node.getparent()
    return node.tag == tag("startEvent") and scope is not None and scope.tag == tag("subProcess") \
        and scope.get("triggeredByEvent") == "true"


def translate(node: etree._Element, fail: Callable[[etree._Element, str], None]) -> None:
    """``node``: the flowable:variableListenerEventDefinition (under extensionElements)."""
    ext = node.getparent()
    owner = ext.getparent() if ext is not None else None
    variable = (node.get("variableName") or "").strip()
    change = (node.get("variableChangeType") or "all").strip().lower()
    if owner is None or not (etree.QName(owner).localname in _EVENTS or _event_sub_process_start(owner)):
        fail(node, "flowable:variableListenerEventDefinition: variable listener events run on intermediate catch "
                   "and boundary events and on the start events of event sub-processes")
    elif not re.fullmatch(r"[A-Za-z_][\w.-]*", variable):
        fail(node, "flowable:variableListenerEventDefinition: variableName must name a variable")
    elif change not in ("create", "update", "all"):
        fail(node, f"flowable:variableListenerEventDefinition: variableChangeType '{change}' is none of create, "
                   "update, all")
    else:
        definition = etree.SubElement(owner, tag("conditionalEventDefinition"))
        condition = etree.SubElement(definition, tag("condition"))
        condition.text = marker(variable, change)
    if ext is not None:
        ext.remove(node)
