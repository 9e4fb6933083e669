"""Link events, rewritten into plain sequence flows before SpiffWorkflow parses.

A link throw event and the link catch event of the same name in the same process or
sub-process are a "go to": BPMN defines them as an off-page connector of one sequence flow.
SpiffWorkflow parses them and does nothing (the flow stopped at the throw event). Here each
throw event becomes a none intermediate event with a sequence flow to its catch event, and
each catch event becomes a none intermediate event the flow passes through.

Refused, as in Camunda 7: two catch events with one link name in a scope, a catch event
right after an event-based gateway, and a throw event whose name nothing catches.
"""

from __future__ import annotations

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime.namespaces import tag

__all__ = ["rewrite_links"]

_SCOPES = ("process", "subProcess", "transaction", "adHocSubProcess")


def _link_name(node: etree._Element) -> str | None:
    definition = node.find(tag("linkEventDefinition"))
    if definition is None:
        return None
    return definition.get("name") or node.get("name") or ""


def rewrite_links(root: etree._Element, filename: str) -> list[Problem]:
    problems: list[Problem] = []
    for scope in root.iter(*(tag(s) for s in _SCOPES)):
        problems.extend(_rewrite_scope(scope, filename))
    return problems


def _rewrite_scope(scope: etree._Element, filename: str) -> list[Problem]:
    problems: list[Problem] = []

    def problem(node: etree._Element, message: str) -> None:
        problems.append(Problem(filename, node.sourceline or 0, node.get("id", ""), message))

    gateways = {n.get("id") for n in scope.findall(tag("eventBasedGateway"))}
    after_gateway = {f.get("targetRef") for f in scope.findall(tag("sequenceFlow")) if f.get("sourceRef") in gateways}
    catches: dict[str, etree._Element] = {}
    for node in scope.findall(tag("intermediateCatchEvent")):
        name = _link_name(node)
        if name is None:
            continue
        if name in catches:
            problem(node, f"Multiple Intermediate Catch Events with the same link event name ('{name}') are not allowed")
            continue
        if node.get("id") in after_gateway:
            problem(node, "IntermediateCatchLinkEvent is not allowed after an EventBasedGateway.")
            continue
        catches[name] = node
    throws = [(n, _link_name(n)) for n in scope.findall(tag("intermediateThrowEvent")) if _link_name(n) is not None]
    for node, name in throws:
        if name not in catches:
            problem(node, f"link throw event '{name}' has no link catch event of that name in the same scope")
    if problems:
        return problems
    for node, name in throws:
        _drop_definition(node)
        etree.SubElement(scope, tag("sequenceFlow"), {"id": f"link_{node.get('id')}", "sourceRef": node.get("id", ""),
                                                      "targetRef": catches[str(name)].get("id", "")})
    for node in catches.values():
        _drop_definition(node)
        node.tag = tag("intermediateThrowEvent")   # a none intermediate event: the flow passes through
    return problems


def _drop_definition(node: etree._Element) -> None:
    for definition in node.findall(tag("linkEventDefinition")):
        node.remove(definition)
