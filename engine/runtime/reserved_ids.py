"""Element ids that clash with the names SpiffWorkflow gives its own task specs.

SpiffWorkflow keys every task spec of a process by name, and a BPMN flow node's spec is named
by its id. Beside them it creates specs of its own: ``Start`` (the process's start task),
``End`` and ``<process>.EndJoin`` (its end), ``StartEventSplit``/``StartEventJoin`` (several
start events), ``<id>.BoundaryEventSplit``/``<id>.BoundaryEventJoin`` (an activity with
boundary events), ``<id> [child]`` (a loop or multi-instance body); its serializer drops a
spec named ``Root``. An element with such an id replaces or loses a spec: a start event
``Start`` lets deploying succeed and every case start fail ("No output task connected"), a
task ``X.BoundaryEventSplit`` recurses without end. Renaming the specs inside SpiffWorkflow
would touch its serializer and every stored case, so such models are refused at deploy (and
by the studio upload and ``amtsflow check``, which parse the same way) with the element named
(in English like every deploy problem; the studio words it in German, webui.studio.problem_text).
"""

from __future__ import annotations

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime.namespaces import BPMN, local_name

RESERVED_IDS = frozenset({"Start", "End", "Root", "StartEventSplit", "StartEventJoin"})
RESERVED_SUFFIXES = (".EndJoin", ".BoundaryEventSplit", ".BoundaryEventJoin", " [child]")
CONTAINERS = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
OTHER_NODES = frozenset({"task", "subProcess", "transaction", "adHocSubProcess", "callActivity"})


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


def reserved_id_problems(root: etree._Element, filename: str) -> list[Problem]:
    """One problem for each flow node whose id is reserved (the studio shows it in German)."""
    problems = []
    for node in root.iter():
        element_id = node.get("id") or ""
        if element_id and reserved(element_id) and _flow_node(node):
            problems.append(Problem(filename, node.sourceline or 0, element_id,
                                    f"the id '{element_id}' of this {local_name(str(node.tag))} is reserved: the engine "
                                    "(SpiffWorkflow) names one of its own elements so, and cases of this process "
                                    "would not start or run wrongly; give the element another id"))
    return problems


__all__ = ["RESERVED_IDS", "RESERVED_SUFFIXES", "reserved", "reserved_id_problems"]
