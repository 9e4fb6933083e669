"""Element ids that clash with the names SpiffWorkflow gives its own task specs, renamed inside.

SpiffWorkflow keys every task spec of a process by name, and a BPMN flow node's spec is named
by its id. Beside them it creates specs of its own: ``Start`` (the process's start task),
``End`` and ``<process>.EndJoin`` (its end), ``StartEventSplit``/``StartEventJoin`` (several
start events), ``<id>.BoundaryEventSplit``/``<id>.BoundaryEventJoin`` (an activity with
boundary events), ``<id> [child]`` (a loop or multi-instance body); its serializer drops a
spec named ``Root``. An element with such an id would replace or lose a spec (a start event
``Start``: every case start failed with "No output task connected").

Camunda and Flowable allow these ids (their own engine tests use ``Start`` and ``End``), so the
element keeps its id for everyone who sees it and only its task spec gets another name: the
library parses a copy of the file in which such a flow node's id (and every reference to it)
carries :data:`MARK`, and afterwards the spec's ``bpmn_id`` is the element's id again. The
engine reads element ids from ``bpmn_id`` (work items, history, listeners, the API); code that
looks a spec up by an element id goes through :func:`spec_name`. Renaming is a pure function of
the file, so a stored definition parses to the same names and stored cases find their specs.
"""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime.namespaces import BPMN, local_name

RESERVED_IDS = frozenset({"Start", "End", "Root", "StartEventSplit", "StartEventJoin"})
RESERVED_SUFFIXES = (".EndJoin", ".BoundaryEventSplit", ".BoundaryEventJoin", " [child]")
MARK = "#"   # no XML id contains it (not an NCName character), so a marked name is never an element's
CONTAINERS = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
OTHER_NODES = frozenset({"task", "subProcess", "transaction", "adHocSubProcess", "callActivity"})
REFERENCE_ATTRIBUTES = ("sourceRef", "targetRef", "attachedToRef", "bpmnElement", "activityRef", "default")
REFERENCE_TEXTS = frozenset({"flowNodeRef", "incoming", "outgoing"})


def _flow_node(node: etree._Element) -> bool:
    if not isinstance(node.tag, str) or not node.tag.startswith("{" + BPMN + "}"):
        return False
    parent = node.getparent()
    if parent is None or not isinstance(parent.tag, str) or local_name(parent.tag) not in CONTAINERS:
        return False
    name = local_name(node.tag)
    return name in OTHER_NODES or name.endswith(("Event", "Task", "Gateway"))


def reserved(element_id: str) -> bool:
    return element_id in RESERVED_IDS or element_id.endswith(RESERVED_SUFFIXES)


def spec_name(element_id: str) -> str:
    """The name of the task spec of the flow node ``element_id``."""
    return element_id + MARK if reserved(element_id) else element_id


def _renamed_ids(root: etree._Element) -> set[str]:
    return {str(node.get("id")) for node in root.iter()
            if node.get("id") and reserved(str(node.get("id"))) and _flow_node(node)}


def for_the_library(root: etree._Element) -> etree._Element:
    """``root``, or a copy in which every flow node with a reserved id is renamed (its id and every
    reference to it: flows, boundary events, default flows, lanes, diagram shapes)."""
    renamed = _renamed_ids(root)
    if not renamed:
        return root
    renamed_root = copy.deepcopy(root)   # the engine's own readers keep the original tree
    for node in renamed_root.iter():
        if not isinstance(node.tag, str):
            continue
        for attribute in ("id", *REFERENCE_ATTRIBUTES):
            value = node.get(attribute)
            if value in renamed and (attribute != "id" or _flow_node(node)):
                node.set(attribute, value + MARK)
        if local_name(node.tag) in REFERENCE_TEXTS and (node.text or "").strip() in renamed:
            node.text = (node.text or "").strip() + MARK
    return renamed_root


def restore_visible_ids(spec: Any) -> None:
    """Give each renamed task spec of ``spec`` its element's id as ``bpmn_id`` again."""
    for task_spec in spec.task_specs.values():
        bpmn_id = getattr(task_spec, "bpmn_id", None)
        if isinstance(bpmn_id, str) and bpmn_id.endswith(MARK):
            task_spec.bpmn_id = bpmn_id[:-len(MARK)]


def reserved_id_problems(root: etree._Element, filename: str) -> list[Problem]:
    """Flow nodes whose id the renaming could not tell apart from a renamed one (the studio
    shows the message in German)."""
    problems = []
    for node in root.iter():
        element_id = node.get("id") or ""
        if MARK in element_id and _flow_node(node):
            problems.append(Problem(filename, node.sourceline or 0, element_id,
                                    f"the id '{element_id}' of this {local_name(str(node.tag))} contains '{MARK}', "
                                    "which an XML id may not contain; give the element another id"))
    return problems


__all__ = ["MARK", "RESERVED_IDS", "RESERVED_SUFFIXES", "for_the_library", "reserved", "reserved_id_problems",
           "restore_visible_ids", "spec_name"]
