"""Deploy-time reading of ``inputOutput`` mappings (Camunda 7; Flowable/Activiti reuse it with
their namespace) into :class:`engine.runtime.io_mapping.IoMapping`, with Camunda's placement
rules as deploy-time messages.

Where Camunda 7 accepts a mapping: every task, sub-processes (not event sub-processes),
call activities, intermediate catch and throw events, and end events (inputs only).
Refused, with Camunda's own wording: start and boundary events, event sub-processes,
output parameters on end events and on multi-instance activities.

Values: text (trimmed; empty is null), ``${...}``/``#{...}`` (also text around it),
``list``, ``map`` (keys may be expressions) and ``script`` in a supported language (see
:data:`engine.runtime.io_mapping.SCRIPT_LANGUAGES`); external script resources are refused.
"""

from __future__ import annotations

from typing import Callable, Iterator

from lxml import etree

from engine.runtime import juel
from engine.runtime.checks import foreign_script_message
from engine.runtime.io_mapping import IoMapping, Value, script_language
from engine.runtime.namespaces import CAMUNDA, tag
from engine.runtime.script_resources import is_dynamic

Fail = Callable[[etree._Element, str], None]

_ALLOWED = {"task", "userTask", "manualTask", "serviceTask", "sendTask", "receiveTask", "scriptTask",
            "businessRuleTask", "callActivity", "subProcess", "transaction", "intermediateCatchEvent",
            "intermediateThrowEvent", "endEvent"}


class MappingError(ValueError):
    """A mapping value that cannot run here."""


def io_node(node: etree._Element, ns: str = CAMUNDA) -> etree._Element | None:
    """The element's own ``inputOutput`` (not a connector's)."""
    return node.find(f"{tag('extensionElements')}/{tag('inputOutput', ns)}")


def read_io(node: etree._Element, fail: Fail, ns: str = CAMUNDA, prefix: str = "camunda") -> IoMapping | None:
    """The mapping of a flow node, or None; placement and value problems go to ``fail``."""
    io = io_node(node, ns)
    if io is None:
        return None
    kind = etree.QName(node).localname
    if kind == "subProcess" and node.get("triggeredByEvent") == "true":
        fail(node, f"{prefix}:inputOutput mapping unsupported for element type 'subProcess' with attribute "
                   "'triggeredByEvent = true'")
        return None
    if kind not in _ALLOWED:
        fail(node, f"{prefix}:inputOutput mapping unsupported for element type '{kind}'")
        return None
    outputs = io.findall(tag("outputParameter", ns))
    if outputs and kind == "endEvent":
        fail(node, f"{prefix}:outputParameter not allowed for element type 'endEvent'")
        return None
    if outputs and node.find(tag("multiInstanceLoopCharacteristics")) is not None:
        fail(node, f"{prefix}:outputParameter not allowed for multi-instance constructs")
        return None
    return IoMapping(_parameters(io, "inputParameter", ns, fail), _parameters(io, "outputParameter", ns, fail))


def connector_outputs(io: etree._Element, fail: Fail, ns: str = CAMUNDA) -> tuple[tuple[str, Value], ...]:
    """A Camunda Connect connector's output parameters: evaluated over the operation's result
    (and the activity's variables); only they reach the process, not the raw result fields."""
    return _parameters(io, "outputParameter", ns, fail)


def connector_io(node: etree._Element, ns: str = CAMUNDA) -> etree._Element | None:
    return node.find(f"{tag('extensionElements')}/{tag('connector', ns)}/{tag('inputOutput', ns)}")


def _parameters(io: etree._Element, which: str, ns: str, fail: Fail) -> tuple[tuple[str, Value], ...]:
    result: list[tuple[str, Value]] = []
    for param in io.findall(tag(which, ns)):
        name = param.get("name") or ""
        kind = "input" if which == "inputParameter" else "output"
        if not name:
            fail(param, f"{kind} parameter without a name")
            continue
        try:
            result.append((name, parameter_value(param, ns)))
        except (juel.JuelError, MappingError) as exc:
            fail(param, f"{kind} parameter '{name}': {exc}")
    return tuple(result)


def parameter_value(node: etree._Element, ns: str = CAMUNDA) -> Value:
    """The value of a parameter, list item or map entry: its text or its one value element."""
    children = [c for c in node if isinstance(c.tag, str)]
    if not children:
        return text_value(node.text or "")
    return element_value(children[0], ns)


def element_value(child: etree._Element, ns: str = CAMUNDA) -> Value:
    """A ``list``, ``map`` or ``script`` element (a list's items may also be ``value`` elements)."""
    name = etree.QName(child).localname
    if name == "list":
        return ("list", [parameter_value(v, ns) if etree.QName(v).localname == "value" else element_value(v, ns)
                         for v in child if isinstance(v.tag, str)])
    if name == "map":
        entries = [(text_value(e.get("key", "")), parameter_value(e, ns)) for e in child.findall(tag("entry", ns))]
        return ("map", entries)
    if name == "script":
        return script_value(child)
    raise MappingError(f"unsupported value element <{name}>")


def text_value(text: str) -> Value:
    stripped = text.strip()
    if not stripped:
        return ("null",)
    if juel.is_juel(stripped):
        return ("expr", juel.translate(stripped))
    return ("text", stripped)


def script_value(script: etree._Element) -> Value:
    language = script.get("scriptFormat") or ""
    canonical = script_language(language)
    if canonical is None:
        raise MappingError(foreign_script_message(language or "unnamed"))
    resource = (script.get("resource") or "").strip()
    if resource and is_dynamic(resource):
        raise MappingError(f"the script resource {resource!r} is an expression; here only a script task can "
                           "choose its script file by an expression: name the file (deployment://...) or write "
                           "the script inline")
    if resource:  # not in the deployment (else inlined): fails when evaluated, as in Camunda
        return ("resource", canonical, resource)
    return ("script", canonical, script.text or "")


def sources(value: Value) -> Iterator[tuple[str, str]]:
    """(mode, source) of every expression and Python script in a value, for the safe checker."""
    kind = value[0]
    if kind == "expr":
        yield "eval", value[1]
    elif kind == "script" and value[1] == "python":
        yield "exec", value[2]
    elif kind == "script" and value[1] == "javascript":
        yield "javascript", value[2]
    elif kind == "list":
        for item in value[1]:
            yield from sources(item)
    elif kind == "map":
        for key, item in value[1]:
            yield from sources(key)
            yield from sources(item)


__all__ = ["read_io", "io_node", "connector_io", "connector_outputs", "parameter_value", "text_value", "script_value", "sources", "MappingError"]
