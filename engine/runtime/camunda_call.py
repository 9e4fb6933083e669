"""Deploy-time reading of Camunda 7 call activities (Flowable/Activiti reuse it with their
namespace): the called element (a process id or an expression), its binding, and the
``in``/``out`` mappings, into :class:`engine.runtime.call_activity.CallMapping`.

``calledElementBinding``: ``latest`` (default) runs the newest version deployed when a case
reaches the call activity, ``deployment`` the one deployed with the caller (else the newest),
as Camunda 7 does (:mod:`engine.runtime.call_activity` resolves them per case).
``version`` (``calledElementVersion``) and ``versionTag`` (``calledElementVersionTag``) pick
that deployed version at deploy time: the deploy service (:func:`called_references`) deploys the
caller together with that version's stored files, and refuses a version that does not exist
(Camunda 7 deploys and fails when a case reaches the call). A version given as an expression
(``calledElementVersion="${v}"``), or any version of a called element given as an expression, is
looked up when a case reaches the call, as Camunda 7 does.
``in businessKey``: a called process runs inside the calling case and shares its business key,
so only ``#{execution.processBusinessKey}`` (the case's own key) is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from lxml import etree

from engine.runtime import juel
from engine.runtime.call_activity import CallMapping, Transfer
from engine.runtime.namespaces import CAMUNDA, tag

Fail = Callable[[etree._Element, str], None]
_OWN_KEY = re.compile(r"^\s*[$#]\{\s*execution\.(processBusinessKey|businessKey)\s*\}\s*$")


@dataclass(frozen=True)
class CalledReference:
    """A literal called element and how it is bound."""

    process_id: str
    binding: str            # latest, deployment, version, versionTag
    version: int | None
    version_tag: str | None
    node: etree._Element


def read_call(node: etree._Element, fail: Fail, ns: str = CAMUNDA, prefix: str = "camunda") -> CallMapping:
    called = (node.get("calledElement") or "").strip()
    expression = None
    if juel.is_juel(called):
        try:
            expression = juel.translate(called)
        except juel.JuelError as exc:
            fail(node, f"calledElement {called!r}: {exc}")
        called = ""
    binding = node.get(tag("calledElementBinding", ns)) or "latest"
    if binding not in ("latest", "deployment", "version", "versionTag"):
        fail(node, f"{prefix}:calledElementBinding '{binding}' is not one of latest, deployment, version, versionTag")
    version = _version(node, binding, expression is not None, fail, ns, prefix) if binding == "version" else None
    if binding == "versionTag" and not node.get(tag("calledElementVersionTag", ns)):
        fail(node, "Missing attribute 'calledElementVersionTag' when 'calledElementBinding' has value 'versionTag'")
    if expression is not None and binding == "versionTag":
        fail(node, "a calledElement given as an expression cannot be bound to a version tag here")
    ext = node.find(tag("extensionElements"))
    ins = tuple(t for t in (_transfer(n, fail, prefix) for n in _children(ext, "in", ns)) if t is not None)
    outs = tuple(t for t in (_transfer(n, fail, prefix) for n in _children(ext, "out", ns)) if t is not None)
    return CallMapping(called, expression, ins, outs, binding, _id_variable(node, fail), version)


def _version(node: etree._Element, binding: str, called_by_expression: bool, fail: Fail, ns: str,
             prefix: str) -> str | None:
    """Binding ``version``: the safe expression that gives the version when a case reaches the
    call, or None when the deploy service bundles a fixed version with the caller (a whole
    number for a fixed called element)."""
    text = (node.get(tag("calledElementVersion", ns)) or "").strip()
    if juel.is_juel(text):
        try:
            return juel.translate(text)
        except juel.JuelError as exc:
            fail(node, f"{prefix}:calledElementVersion {text!r}: {exc}")
            return None
    if not text.isdigit():
        fail(node, f"{prefix}:calledElementBinding '{binding}' needs a whole number or an expression in "
                   f"{prefix}:calledElementVersion")
        return None
    return repr(int(text)) if called_by_expression else None


ID_VARIABLE = "{urn:amtsflow:flowable}idVariableName"   # set by engine.runtime.flowable from flowable:idVariableName


def _id_variable(node: etree._Element, fail: Fail) -> str | None:
    """Flowable's ``idVariableName`` on a call activity: the name of the variable that receives
    the called instance's id, as a safe expression (a JUEL expression yields the name)."""
    text = (node.get(ID_VARIABLE) or "").strip()
    if not text:
        return None
    try:
        return juel.translate(text) if juel.is_juel(text) else repr(text)
    except juel.JuelError as exc:
        fail(node, f"flowable:idVariableName {text!r}: {exc}")
        return None


def _children(ext: etree._Element | None, name: str, ns: str) -> list[etree._Element]:
    return ext.findall(tag(name, ns)) if ext is not None else []


def _transfer(node: etree._Element, fail: Fail, prefix: str) -> Transfer | None:
    what = f"{prefix}:{etree.QName(node).localname}"
    local = node.get("local") == "true"
    if node.get("businessKey") is not None:
        if not _OWN_KEY.match(node.get("businessKey", "")):
            fail(node, f"{what} businessKey '{node.get('businessKey')}': a called process runs inside the calling "
                       "case and keeps its business key; only #{execution.processBusinessKey} can be passed")
        return None
    if node.get("variables") == "all":
        return Transfer(all=True, local=local)
    source, expression, target = node.get("source"), node.get("sourceExpression"), node.get("target")
    if not source and not expression:
        fail(node, f"{what} needs source, sourceExpression or variables=\"all\"")
        return None
    if not target:
        fail(node, f"Missing attribute 'target' when attribute 'source' or 'sourceExpression' is set ({what})")
        return None
    if expression:
        try:
            text = expression.strip()
            python = juel.translate(text) if juel.is_juel(text) else repr(text)
        except juel.JuelError as exc:
            fail(node, f"{what} sourceExpression {expression!r}: {exc}")
            return None
        return Transfer(expression=python, target=target, local=local)
    return Transfer(source=source, target=target, local=local)


def called_references(root: etree._Element, ns: str = CAMUNDA) -> list[CalledReference]:
    """The literal called elements of a file, with their bindings."""
    result = []
    for node in root.iter(tag("callActivity")):
        called = (node.get("calledElement") or "").strip()
        if not called or juel.is_juel(called):
            continue
        version = (node.get(tag("calledElementVersion", ns)) or "").strip()
        if juel.is_juel(version):
            continue   # looked up when a case reaches the call
        result.append(CalledReference(called, node.get(tag("calledElementBinding", ns)) or "latest",
                                      int(version) if version.isdigit() else None,
                                      node.get(tag("calledElementVersionTag", ns)), node))
    return result


def version_tag(root: etree._Element, process_id: str, ns: str = CAMUNDA) -> str | None:
    for proc in root.iter(tag("process")):
        if proc.get("id") == process_id:
            return proc.get(tag("versionTag", ns))
    return None


__all__ = ["read_call", "called_references", "version_tag", "CalledReference"]
