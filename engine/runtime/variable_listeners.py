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

Camunda's ``camunda:variableName``/``camunda:variableEvents`` on a ``conditionalEventDefinition``
filter the same changes: such a condition is evaluated when its event is reached (or its scope
entered) and afterwards only when a command changed the named variable (any variable without a
name) by one of the listed events (``create``, ``update``, ``delete``; all without a list), as
Camunda's ConditionalEventDefinition.shouldEvaluateForVariableEvent decides. The parser gives the
definition its :class:`Filter` (:func:`attach_filters`); :class:`engine.runtime.specs.TolerantConditional`
asks :func:`filter_allows`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from lxml import etree

from engine.runtime.namespaces import CAMUNDA, owner_id, tag

__all__ = ["AFTER_CHANGE", "CHANGES", "Filter", "attach_filters", "filter_allows", "filter_problem", "filters", "fires", "first_look", "fires_on", "is_marker", "marker", "translate", "waits_for_change"]

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
    return bool(task.internal_data.get(AFTER_CHANGE)) and not task.internal_data.get(CHANGES)


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


VARIABLE_EVENTS = ("create", "update", "delete")
LOOKED = "condition_looked"   # internal data: a filtered condition had its first (unfiltered) evaluation


@dataclass(frozen=True)
class Filter:
    """camunda:variableName / camunda:variableEvents of a conditional event definition."""
    variable: str | None
    events: frozenset[str]   # empty: every event

    def matches(self, changes: dict[str, str]) -> bool:
        """Whether one of ``changes`` (variable -> "create" | "update" | "delete") passes."""
        return any((self.variable is None or name == self.variable) and (not self.events or kind in self.events)
                   for name, kind in changes.items())


def _filter(node: etree._Element) -> Filter | None:
    variable = (node.get(tag("variableName", CAMUNDA)) or "").strip()
    events = node.get(tag("variableEvents", CAMUNDA))
    if not variable and events is None:
        return None
    return Filter(variable or None, frozenset(e.strip().lower() for e in (events or "").split(",") if e.strip()))


def filter_problem(node: etree._Element) -> str | None:
    """Deploy-time check of a conditionalEventDefinition's camunda:variableName/variableEvents."""
    found = _filter(node)
    if found is None:
        return None
    unknown = sorted(found.events - set(VARIABLE_EVENTS))
    if unknown:
        return (f"camunda:variableEvents names {', '.join(repr(u) for u in unknown)}, which is no variable event "
                "(create, update, delete)")
    if found.variable is not None and not re.fullmatch(r"[A-Za-z_][\w.-]*", found.variable):
        return f"camunda:variableName {found.variable!r} does not name a variable"
    return None


def filters(root: etree._Element) -> dict[str, list[Filter | None]]:
    """Element id -> the filters of its conditional event definitions (in document order), for
    the elements where one has a filter."""
    found: dict[str, list[Filter | None]] = {}
    for node in root.iter(tag("conditionalEventDefinition")):
        found.setdefault(owner_id(node), []).append(_filter(node))
    return {k: v for k, v in found.items() if any(f is not None for f in v)}


def attach_filters(definition: Any, element_filters: list[Filter | None]) -> None:
    """Give the conditional definitions of a parsed event (one, or those of a multiple event in
    document order) their filters; specs are re-parsed from the source, never stored."""
    from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition

    children = getattr(definition, "event_definitions", None) or [definition]
    conditionals = [d for d in children if isinstance(d, ConditionalEventDefinition)]
    for conditional, found in zip(conditionals, element_filters):
        conditional.variable_filter = found


def first_look(task: Any) -> bool:
    """Whether a conditional event's task is evaluated for the first time now (reached, its
    scope entered), not on a change of variables; marks it looked at."""
    if task.internal_data.get(CHANGES) is not None or task.internal_data.get(LOOKED):
        return False
    task.internal_data[LOOKED] = True
    return True


def filter_allows(definition: Any, task: Any, first: bool) -> bool:
    """Whether a condition with a Camunda variable filter is evaluated now at ``task``: at its
    first look (``first``: reached, its scope entered), then only on a change that passes the
    filter. True for a condition without a filter. The start event of an event sub-process is
    started by :mod:`engine.runtime.conditions`, which applied the filter."""
    from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

    found: Filter | None = getattr(definition, "variable_filter", None)
    if found is None:
        return True
    changes = task.internal_data.get(CHANGES)
    if changes is None:
        return first or isinstance(task.task_spec, StartEvent)
    return found.matches(changes)
