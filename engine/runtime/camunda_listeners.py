"""Camunda 7 execution and task listeners at deploy time: what a listener element says.

:func:`check_listener` reports a listener that cannot run (Java code, a script resource, Groovy,
an event that does not exist here) and :func:`collect` gathers a process's listeners per
element, with the take listeners of each element's incoming flows and the process's own
start/end listeners. :mod:`engine.runtime.listeners` runs them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime import juel
from engine.runtime.camunda_tasks import (
    MAPPING_FILE, bare_name, bean_call_operation, delegate_operation, script_operation, value_expression_text)
from engine.runtime.checks import foreign_script_message, script_key
from engine.runtime.javascript import JAVASCRIPT_NAMES
from engine.runtime.namespaces import CAMUNDA, tag
from engine.runtime.script_resources import is_dynamic

EXECUTION_EVENTS = ("start", "end", "take")
TASK_EVENTS = ("create", "assignment", "complete", "delete", "timeout")
TIMEOUT_PROPERTY = "amtsflow:timeoutListenerOf"   # on a generated boundary event: "user task id:index"
_PYTHON = ("python", "py", "text/x-python")

Fail = Callable[[etree._Element, str], None]


@dataclass(frozen=True)
class Listener:
    kind: str        # "execution" or "task"
    event: str
    language: str    # "expression", "python", "javascript", "connector" or "resource" (a missing script file)
    source: str      # the translated expression, the script, the "connector.operation" or the file's path
    params: tuple[tuple[str, str], ...] = ()  # connector: camunda:field name -> expression


@dataclass
class ElementListeners:
    own: list[Listener] = field(default_factory=list)
    take: dict[str, list[Listener]] = field(default_factory=dict)   # source element id -> take listeners
    name: str = ""
    assignee: str | None = None
    process: list[Listener] = field(default_factory=list)  # the process's own start/end (Start/End specs)
    timeout_of: tuple[str, int] | None = None  # generated timer end: (user task, index of its timeout listener)

    def of(self, kind: str, event: str) -> list[Listener]:
        return [x for x in self.own if x.kind == kind and x.event == event]


def _describe(node: etree._Element) -> str:
    kind = "execution listener" if node.tag == tag("executionListener", CAMUNDA) else "task listener"
    return f"{kind} ({node.get('event') or '?'})"


def read_listener(node: etree._Element, mapping: dict[str, Any] | None = None) -> Listener:
    """The listener of one camunda:executionListener/taskListener element; raises ValueError
    with the reason when it cannot run here. Java code (``class``, ``delegateExpression``, a
    bean expression) runs when ``mapping`` (camunda-mapping.json) maps it to a connector
    operation: as a job after the command commits, whose answer the case does not wait for.
    So does a script that a ``"scripts"`` entry maps (by resource path or the owning element's
    id; the way to bring a Groovy listener)."""
    kind = "execution" if node.tag == tag("executionListener", CAMUNDA) else "task"
    event = (node.get("event") or ("take" if _on_flow(node) else "")).strip()
    allowed = EXECUTION_EVENTS if kind == "execution" else TASK_EVENTS
    if event not in allowed:
        raise ValueError(f"the event '{event or '(none)'}' is not supported for {kind} listeners "
                         f"(supported: {', '.join(allowed)})")
    if event == "timeout" and node.find(tag("timerEventDefinition")) is None:
        raise ValueError("a timeout listener needs a timerEventDefinition")
    for attr in ("class", "delegateExpression"):
        value = node.get(attr)
        if value:
            operation = delegate_operation(value, mapping)
            if operation is None:
                raise ValueError(f"{attr}='{value}' is Java code and cannot run here; write the listener as an "
                                 "expression or a JavaScript/Python script, or map it to a connector operation in "
                                 f"{MAPPING_FILE} (called after the step commits; the case does not wait for it): "
                                 f"{{\"delegates\": {{\"{bare_name(value)}\": \"connector.operation\"}}}}")
            return Listener(kind, event, "connector", operation, _fields(node))
    expression = node.get("expression")
    operation = bean_call_operation(expression, mapping) if expression else None
    if operation is not None:
        return Listener(kind, event, "connector", operation, _fields(node))
    if expression is not None:
        try:
            return Listener(kind, event, "expression", juel.translate(expression.strip()))
        except juel.JuelError as exc:
            raise ValueError(f"expression {expression!r}: {exc}") from None
    script = node.find(tag("script", CAMUNDA))
    if script is None:
        raise ValueError("names neither an expression nor a script")
    key = script_key(script)
    operation = script_operation(key, mapping)
    if operation is not None:   # camunda-mapping.json hands the script's work to a connector operation
        return Listener(kind, event, "connector", operation)
    language = (script.get("scriptFormat") or "").strip().lower()
    if language not in JAVASCRIPT_NAMES and language not in _PYTHON:
        raise ValueError(foreign_script_message(script.get("scriptFormat") or "unnamed", mapping_key=key))
    resource = (script.get("resource") or "").strip()
    if resource and is_dynamic(resource):
        raise ValueError(f"the script resource {resource!r} is an expression; here only a script task can choose "
                         "its script file by an expression: name the file (deployment://...) or write the script "
                         "inline")
    if resource:  # not in the deployment (else inlined): the listener fails when it runs, as in Camunda
        return Listener(kind, event, "resource", resource)
    return Listener(kind, event, "javascript" if language in JAVASCRIPT_NAMES else "python", script.text or "")


def _fields(node: etree._Element) -> tuple[tuple[str, str], ...]:
    """camunda:field injections as the connector call's parameters (expressions)."""
    params = []
    for item in node.findall(tag("field", CAMUNDA)):
        value = item.get("stringValue") or item.get("expression") or item.findtext(tag("string", CAMUNDA)) \
            or item.findtext(tag("expression", CAMUNDA)) or ""
        try:
            params.append((item.get("name", ""), value_expression_text(value)))
        except juel.JuelError as exc:
            raise ValueError(f"field '{item.get('name')}': {exc}") from None
    return tuple(params)


def _on_flow(node: etree._Element) -> bool:
    owner = node.getparent().getparent() if node.getparent() is not None else None  # type: ignore[union-attr]
    return owner is not None and owner.tag == tag("sequenceFlow")


def _join(node: etree._Element) -> str | None:
    """The id of the joining gateway a listener would run on once per token (which runs it once
    here): a take listener on a flow into one, a start listener on one; None otherwise."""
    owner = node.getparent().getparent() if node.getparent() is not None else None  # type: ignore[union-attr]
    if owner is None:
        return None
    event = (node.get("event") or "").strip()
    if owner.tag == tag("sequenceFlow"):
        target_id = owner.get("targetRef", "")
        found = owner.getroottree().getroot().xpath("//*[@id=$i]", i=target_id)
        target = found[0] if found else None
    elif event == "start" and node.tag == tag("executionListener", CAMUNDA):
        target = owner
    else:
        return None
    if target is None or target.tag not in (tag("parallelGateway"), tag("inclusiveGateway")):
        return None
    process = target.getparent()
    incoming = [f for f in process.iter(tag("sequenceFlow")) if f.get("targetRef") == target.get("id")] \
        if process is not None else []
    return target.get("id") if len(incoming) > 1 else None


def check_listener(node: etree._Element, fail: Fail, mapping: dict[str, Any] | None = None) -> None:
    join = _join(node)
    if join is not None:
        fail(node, f"{_describe(node)}: listeners that run once per arriving token at the joining gateway "
                   f"'{join}' are not supported (they would run once here); move the listener to the flows' "
                   "source elements")
        return
    try:
        read_listener(node, mapping)
    except ValueError as exc:
        fail(node, f"{_describe(node)}: {exc}")


def _own(node: etree._Element, mapping: dict[str, Any] | None) -> list[Listener]:
    ext = node.find(tag("extensionElements"))
    if ext is None:
        return []
    found = []
    for child in ext.findall(tag("executionListener", CAMUNDA)) + ext.findall(tag("taskListener", CAMUNDA)):
        try:
            found.append(read_listener(child, mapping))
        except ValueError:
            continue  # reported by check_listener
    return found


PROCESS_START, PROCESS_END = "process:start:", "process:end:"   # + process id


def collect(process: etree._Element, mapping: dict[str, Any] | None = None) -> dict[str, ElementListeners]:
    """Listeners of a process: element id -> its listeners and the take listeners of its
    incoming flows; the process's own start and end listeners under PROCESS_START and
    PROCESS_END (run by the process spec's Start and End tasks)."""
    result: dict[str, ElementListeners] = {}
    own = _own(process, mapping)
    for key, event in ((PROCESS_START, "start"), (PROCESS_END, "end")):
        found = [x for x in own if x.kind == "execution" and x.event == event]
        if found:
            result[key + process.get("id", "")] = ElementListeners(process=found)
    for node in process.iter():
        if not isinstance(node.tag, str) or not node.get("id") or node.tag == tag("sequenceFlow") \
                or node is process:
            continue
        own = _own(node, mapping)
        if own:
            result[node.get("id", "")] = ElementListeners(own, {}, str(node.get("name") or node.get("id") or ""),
                                                          node.get(tag("assignee", CAMUNDA)))
        timeout = _property(node, TIMEOUT_PROPERTY)
        if timeout:
            target, index = timeout.rsplit(":", 1)
            result[node.get("id", "")] = ElementListeners(timeout_of=(target, int(index)))
    for flow in process.iter(tag("sequenceFlow")):
        take = [x for x in _own(flow, mapping) if x.event == "take"]
        target = flow.get("targetRef", "")
        if take and target:
            entry = result.setdefault(target, ElementListeners(name=target))
            entry.take.setdefault(flow.get("sourceRef", ""), []).extend(take)
    return result


def _property(node: etree._Element, name: str) -> str | None:
    for prop in node.iterfind(f"{tag('extensionElements')}/{tag('properties', CAMUNDA)}/{tag('property', CAMUNDA)}"):
        if prop.get("name") == name:
            return prop.get("value")
    return None


def expand_timeout_listeners(root: etree._Element) -> None:
    """A timeout task listener becomes a generated non-interrupting timer boundary event on its
    user task (``<task id>__timeout_<n>``, with an end event of its own that runs the listener
    with the task as ``task``): the timer is a job like any boundary timer, cancelled when the
    task ends. Runs before the timers are translated, so the copied timer is too."""
    for task in list(root.iter(tag("userTask"))):
        ext = task.find(tag("extensionElements"))
        listeners = ext.findall(tag("taskListener", CAMUNDA)) if ext is not None else []
        timeouts = [x for x in listeners if (x.get("event") or "").strip() == "timeout"]
        parent = task.getparent()
        for index, listener in enumerate(timeouts):
            timer = listener.find(tag("timerEventDefinition"))
            if timer is None or parent is None:
                continue
            task_id = task.get("id", "")
            boundary_id, end_id = f"{task_id}__timeout_{index}", f"{task_id}__timeout_{index}_end"
            boundary = etree.SubElement(parent, tag("boundaryEvent"), id=boundary_id, attachedToRef=task_id,
                                        cancelActivity="false")
            boundary.sourceline = listener.sourceline  # type: ignore[misc]  # lxml allows it; problems point here
            boundary.append(copy.deepcopy(timer))
            # The listener runs when the end event is reached: once per firing, also for a cycle
            # (whose boundary event task stays and adds a branch each time).
            end = etree.SubElement(parent, tag("endEvent"), id=end_id)
            props = etree.SubElement(etree.SubElement(end, tag("extensionElements")), tag("properties", CAMUNDA))
            etree.SubElement(props, tag("property", CAMUNDA), name=TIMEOUT_PROPERTY, value=f"{task_id}:{index}")
            etree.SubElement(parent, tag("sequenceFlow"), id=f"{boundary_id}_flow", sourceRef=boundary_id,
                             targetRef=end_id)


def problems(found: dict[str, ElementListeners], filename: str, line: int,
             check: Callable[[str, str, str], list[str]], known_operations: set[str] | None) -> list[Problem]:
    """Deploy-time check of every listener's expression, script and field expressions (nothing
    runs), and of the connector operations listeners are mapped to."""
    modes = {"expression": "eval", "python": "exec", "javascript": "javascript"}
    result: list[Problem] = []
    for key, entry in found.items():
        element_id = key.split(":")[-1]
        for listener in [*entry.own, *entry.process, *(x for xs in entry.take.values() for x in xs)]:
            where = f"{listener.kind} listener ({listener.event})"
            if listener.language == "connector" and known_operations is not None \
                    and listener.source not in known_operations:
                result.append(Problem(filename, line, element_id, f"{where}: unknown connector operation "
                                                                  f"'{listener.source}'"))
            sources = [(modes[listener.language], listener.source)] if listener.language in modes else []
            sources += [("eval", expression) for _name, expression in listener.params]
            for mode, source in sources:
                result.extend(Problem(filename, line, element_id, f"{where}: {msg}")
                              for msg in check(source, mode, element_id))
    return result
