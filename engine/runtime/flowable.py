"""Flowable 6 and Activiti 5 dialect: normalised onto the Camunda 7 dialect at deploy time.

Flowable (``xmlns:flowable="http://flowable.org/bpmn"``), Activiti (``http://activiti.org/bpmn``)
and Camunda 7 all descend from Activiti 5: most extensions carry the same name and meaning in
each. :func:`normalise` rewrites a file's tree in place, before anything else reads it, so
that the Camunda translation (:mod:`engine.runtime.camunda`: JUEL, timers, service tasks
through ``camunda-mapping.json``, listeners, input/output mappings, call-activity variables,
forms) runs on Flowable models unchanged. The file is then a Camunda-dialect file.

Same name and meaning, moved into the Camunda namespace: ``assignee``, ``candidateUsers``,
``candidateGroups``, ``dueDate``, ``priority``, ``formKey``, ``initiator``, ``class``,
``delegateExpression``, ``expression``, ``resultVariable``, ``collection``,
``elementVariable``, ``exclusive``, ``candidateStarterUsers/Groups``, and the elements
``field`` (``string``/``expression``), ``executionListener``, ``taskListener``, ``in``,
``out``, ``failedJobRetryTimeCycle``.

The true differences, handled explicitly:

* ``terminateAll="true"`` on a terminate end event ends the whole case, every level
  (:mod:`engine.runtime.terminate_all`); without it, a terminate ends its own level as in Camunda.
* ``terminateMultiInstance="true"`` on a terminate end event directly in a multi-instance
  sub-process, or at the top level of a process that a multi-instance call activity calls, ends
  every instance of that activity, and the flow goes on after it (:mod:`engine.runtime.terminate_all`).
* ``async`` / ``asyncLeave`` -> ``camunda:asyncBefore`` / ``camunda:asyncAfter``;
  ``resultVariableName`` -> ``camunda:resultVariable``.
* Call activities: ``inheritVariables="true"`` -> ``<camunda:in variables="all"/>``;
  ``businessKey="${..}"`` and ``inheritBusinessKey="true"`` -> ``<camunda:in businessKey=..>``;
  ``sameDeployment="true"`` -> ``camunda:calledElementBinding="deployment"``;
  ``idVariableName="v"`` (or an expression yielding the name): when the call starts, after its
  ``in`` mappings, the variable v of the caller holds the id of the called process's instance
  (:mod:`engine.runtime.call_activity`).
* Structure Flowable accepts: ``loopDataInputRef``/``inputDataItem`` multi-instance
  collections -> ``camunda:collection``/``elementVariable``; a sub-process without an end
  event gets one per path that stops (Flowable's implicit end).
* ``triggerable="true"`` on a service task: after its call (the connector's answer written
  as usual) the task waits until it is triggered, as ``runtimeService.trigger`` does in
  Flowable: by the message named after the task's id (``amtsflow message service1 --key
  <business key> --data {...}``; the message's data become case variables), routed,
  buffered and made idempotent like any message.
* ``variableListenerEventDefinition`` on intermediate catch and boundary events and on the start
  events of event sub-processes: a conditional event that fires when a command creates or updates
  the variable (engine.runtime.variable_listeners).
* ``formProperty`` (Activiti's generated forms) -> ``camunda:formData``/``formField``
  (:mod:`engine.runtime.flowable_tasks`).
* Script listeners (``<flowable:script language=..>`` or the ``ScriptExecutionListener`` /
  ``ScriptTaskListener`` classes with ``script``/``language`` fields) -> ``<camunda:script>``.
* ``type="mail"`` / ``type="http"`` service and send tasks -> the ``mail.send_text`` and
  ``http.request`` connector operations with their field injections renamed
  (:mod:`engine.runtime.flowable_tasks`); ``type="external-worker"`` -> a Camunda external
  task (``camunda:type="external"``, same topic); ``type="dmn"`` -> a business-rule task
  with ``camunda:decisionRef``.
* Without effect on how a case runs here, dropped: diagram hints, categories, job
  categories, business calendars, tenant fallbacks, form-validation flags, owners.
  ``mapException`` is dropped with a warning: a mapped delegate is a connector operation,
  and connector business errors already become BPMN errors by their code.
* ``taskIdVariableName`` on a user task -> a create task listener (after the model's own) that
  stores the task's id (the id it is completed by) in the named variable.
* ``messageExpression`` / ``signalExpression`` -> a generated ``<message>``/``<signal>`` named by
  the expression, resolved per case (:mod:`engine.runtime.event_names`); on a process's start
  event the expression is evaluated at deployment as in Flowable (constants and
  ``variableContainer.definitionKey`` only).
* ``endDate`` on a ``timeCycle``: after a firing, a next due time after the end date is not
  scheduled and the cycle ends (:mod:`engine.runtime.cycle_end`).
* ``elementIndexVariable`` on multi-instance loop characteristics: each instance sees its index
  under that name instead of ``loopCounter`` (:mod:`engine.runtime.loop_index`).
* ``variableAggregation`` on multi-instance activities: each instance's variables stay local to it and
  are collected into a list in the loop's scope (:mod:`engine.runtime.variable_aggregation`).
* ``skipExpression`` on service, script and user tasks and on sequence flows: skipped when
  skipping is switched on for the case (:mod:`engine.runtime.skip_expressions`).
* Refused with a message naming the element: whatever has no counterpart and would change
  how a case runs (triggerable tasks other than service tasks, terminate
  of all instances of a multi-instance activity, instance-scoped signals, start-event name expressions that
  read variables, event listeners, custom collection
  handlers, other task types such as shell or camel), and any unknown attribute. An unknown
  extension element directly under ``extensionElements`` is custom data that Flowable
  ignores as well: dropped with a warning.
"""

from __future__ import annotations

import re
from typing import Callable

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime import (cycle_end, event_names, flowable_tasks, juel, loop_index, skip_expressions, variable_aggregation,
                            variable_listeners)
from engine.runtime.camunda_tasks import TRIGGERABLE_PROPERTY
from engine.runtime.elements import split_names as _split
from engine.runtime.namespaces import CAMUNDA, local_name, owner_id, tag

FLOWABLE = "http://flowable.org/bpmn"
ACTIVITI = "http://activiti.org/bpmn"
NAMESPACES = (FLOWABLE, ACTIVITI)
TERMINATE_ALL = "{urn:amtsflow:flowable}terminateAll"   # on a terminateEventDefinition: ends the whole case
TERMINATE_MI = "{urn:amtsflow:flowable}terminateMultiInstance"   # ... ends every instance of its multi-instance
ID_VARIABLE = "{urn:amtsflow:flowable}idVariableName"   # on a callActivity: the variable for the called instance's id

SAME_ATTRIBUTES = frozenset({
    "assignee", "candidateUsers", "candidateGroups", "dueDate", "priority", "formKey", "initiator", "class",
    "delegateExpression", "expression", "resultVariable", "collection", "elementVariable", "exclusive",
    "candidateStarterUsers", "candidateStarterGroups", "topic"})
RENAMED_ATTRIBUTES = {"async": "asyncBefore", "asyncLeave": "asyncAfter", "resultVariableName": "resultVariable"}
DROPPED_ATTRIBUTES = frozenset({
    "category", "jobCategory", "formFieldValidation", "sourceDockerX", "sourceDockerY", "targetDockerX",
    "targetDockerY", "fallbackToDefaultTenant", "owner", "translation",
    "useLocalScopeForResultVariable", "storeResultVariableAsTransient", "noWaitStatesAsyncLeave",
    "completeAsync", "autoStoreVariables", "asyncLeaveExclusive"})
SAME_ELEMENTS = frozenset({"field", "string", "expression", "executionListener", "taskListener", "in", "out",
                           "failedJobRetryTimeCycle"})
DROPPED_ELEMENTS = frozenset({"work-form-field-validation", "task-candidates-type", "jobCategory", "translation"})
_WHY = {
    "triggerable": "only service tasks can be triggerable here; model the wait as a receive task or message "
                   "catch event after the task",
    "idVariableName": "storing an instance id in a variable is supported on call activities only",
    "terminateMultiInstance": "is supported on a terminate end event directly in a multi-instance sub-process or "
                              "at the top level of a process (called by a multi-instance call activity), not here",
    "scope": "a scope is supported on signals only (processInstance or global; a message may say global)",
    "elementIndexVariable": "an index variable is given on multi-instance loop characteristics only, as a plain "
                            "variable name",
    "eventListener": "process event listeners are Java code and cannot run here",
    "calledElementType": "calling a process by its definition id is not supported; call it by its key",
    "useLocalScopeForOutParameters": "out mappings into the call activity's local scope are not supported; they "
                                     "write to the calling process",
    "businessCalendarName": "custom business calendars are Java code; due dates and timers use the calendar "
                            "(ISO 8601 durations from now)",
    "collection": "custom collection handlers are Java code and cannot run here; give the collection as an "
                  "expression (flowable:collection=\"${list}\")",
}
_REFUSED_WHEN = {"triggerable": "true", "useLocalScopeForOutParameters": "true", "calledElementType": "id",
                 "terminateMultiInstance": "true"}
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_STANDARD_CALENDARS = ("", "duedate", "duration", "cycle")
_SCRIPT_LISTENERS = ("ScriptExecutionListener", "ScriptTaskListener")


def is_flowable(content: bytes) -> bool:
    """A file that uses the Flowable or Activiti extension namespace."""
    return any(ns.encode() in content for ns in NAMESPACES)


def normalise(root: etree._Element, filename: str) -> tuple[list[Problem], list[Problem]]:
    """Rewrite the Flowable/Activiti extensions of ``root`` onto their Camunda twins, in place.
    Returns (problems, warnings)."""
    problems: list[Problem] = []
    warnings: list[Problem] = []

    def report(into: list[Problem]) -> Callable[[etree._Element, str], None]:
        def add(node: etree._Element, message: str) -> None:
            into.append(Problem(filename, node.sourceline or 0, owner_id(node), message))
        return add

    fail, warn = report(problems), report(warnings)
    for node in list(root.iter()):
        if isinstance(node.tag, str):
            _attributes(node, fail, warn)
    for node in list(root.iter()):
        if isinstance(node.tag, str) and etree.QName(node).namespace in NAMESPACES:
            _element(node, fail, warn)
    for listener in list(root.iter(tag("executionListener", CAMUNDA), tag("taskListener", CAMUNDA))):
        _script_listener(listener)
    _implicit_definitions(root)
    standard_bpmn(root)
    flowable_tasks.loop_data_input(root)
    flowable_tasks.forms(root, fail)
    flowable_tasks.task_types(root, fail, warn)
    _drop_namespace_declarations(root)
    return problems, warnings


_IMPLICIT = {  # event definition -> (reference attribute, root element, its name/code attribute)
    "errorEventDefinition": ("errorRef", "error", "errorCode"),
    "escalationEventDefinition": ("escalationRef", "escalation", "escalationCode"),
    "messageEventDefinition": ("messageRef", "message", "name"),
    "signalEventDefinition": ("signalRef", "signal", "name"),
}


def _implicit_definitions(root: etree._Element) -> None:
    """Flowable reads a reference to no defined error, escalation, message or signal as the
    code or name itself (errorRef="NOT_FOUND" catches the error code NOT_FOUND); Camunda
    needs the definition, so it is added."""
    for definition, (attr, kind, name_attr) in _IMPLICIT.items():
        defined = {n.get("id") for n in root.iter(tag(kind))}
        for node in root.iter(tag(definition)):
            ref = node.get(attr)
            if ref and ref not in defined:
                element = etree.Element(tag(kind), {"id": ref, name_attr: ref})
                root.insert(0, element)
                defined.add(ref)


def standard_bpmn(root: etree._Element) -> None:
    """Standard BPMN that Camunda 7 and Flowable run and SpiffWorkflow reads differently, for
    files of both dialects: assignment elements (:func:`resource_assignments`), sub-processes
    without an end event (implicit end: one end event per path that stops) and several flows
    leaving an activity without a gateway (an explicit split gateway)."""
    resource_assignments(root)
    flowable_tasks.implicit_end_events(root)
    flowable_tasks.uncontrolled_flows(root)


def resource_assignments(root: etree._Element) -> None:
    """BPMN's own assignment elements, as Camunda 7 and Flowable read them, onto the user-task
    attributes: ``<humanPerformer>`` -> assignee; ``<potentialOwner>`` ->
    ``user(kermit), group(management), sales`` (a bare name is a group) or a ``resourceRef`` to a
    ``<resource name="management">`` -> candidate users and groups. Applied to Camunda files too (engine.runtime.parsing)."""
    resources = {r.get("id"): r.get("name") or r.get("id") or "" for r in root.iter(tag("resource"))}
    for task in root.iter(tag("userTask")):
        users, groups = _split(task.get(tag("candidateUsers", CAMUNDA))), _split(task.get(tag("candidateGroups", CAMUNDA)))
        for owner in task.findall(tag("potentialOwner")):
            ref = (owner.findtext(tag("resourceRef")) or "").strip()
            if ref in resources:  # <resource id=".." name="management"/>: a group
                groups.append(resources[ref])
            for part in _split(_formal_expression(owner)):
                kind, _, rest = part.partition("(")
                if rest.endswith(")") and kind.strip() in ("user", "group"):
                    (users if kind.strip() == "user" else groups).append(rest[:-1].strip())
                else:
                    groups.append(part)
        if users:
            task.set(tag("candidateUsers", CAMUNDA), ", ".join(dict.fromkeys(users)))
        if groups:
            task.set(tag("candidateGroups", CAMUNDA), ", ".join(dict.fromkeys(groups)))
        performer = task.find(tag("humanPerformer"))
        if performer is not None and task.get(tag("assignee", CAMUNDA)) is None:
            text = _formal_expression(performer)
            kind, _, rest = text.partition("(")
            task.set(tag("assignee", CAMUNDA), rest[:-1].strip() if kind.strip() == "user" and rest.endswith(")")
                     else text)


def _formal_expression(node: etree._Element) -> str:
    found = node.find(f".//{tag('formalExpression')}")
    return (found.text or "").strip() if found is not None else ""


def in_its_words(problem: Problem, flowable_files: set[str]) -> Problem:
    """A problem of a Flowable file names the attributes as its author wrote them
    (``flowable:class``, not the ``camunda:class`` it was translated to)."""
    if problem.file not in flowable_files or "camunda:" not in problem.message:
        return problem
    return Problem(problem.file, problem.line, problem.element_id, problem.message.replace("camunda:", "flowable:"))


def terminate_all_ids(root: etree._Element) -> set[str]:
    """Ids of the end events whose terminate ends the whole case (terminateAll="true")."""
    ends = (n.getparent() for n in root.iter(tag("terminateEventDefinition")) if n.get(TERMINATE_ALL) == "true")
    return {owner_id(end) for end in ends if end is not None}


def terminate_multi_instance_ids(root: etree._Element) -> set[str]:
    """Ids of the end events whose terminate ends every instance of their multi-instance activity."""
    ends = (n.getparent() for n in root.iter(tag("terminateEventDefinition")) if n.get(TERMINATE_MI) == "true")
    return {owner_id(end) for end in ends if end is not None}


def _instance_level(definition: etree._Element) -> bool:
    """The terminate end event sits where one instance of a multi-instance activity runs: directly
    in a multi-instance sub-process, or at a process's top level (a called process)."""
    end = definition.getparent()
    scope = end.getparent() if end is not None else None
    if end is None or end.tag != tag("endEvent") or scope is None:
        return False
    if scope.tag == tag("process"):
        return True
    return (scope.tag in (tag("subProcess"), tag("transaction")) and scope.get("triggeredByEvent") != "true"
            and scope.find(tag("multiInstanceLoopCharacteristics")) is not None)


def _dialect_attributes(node: etree._Element) -> list[tuple[str, str, str]]:
    return [(name, local_name(name), value) for name, value in node.attrib.items()
            if etree.QName(name).namespace in NAMESPACES]


def _attributes(node: etree._Element, fail: Callable[[etree._Element, str], None],
                warn: Callable[[etree._Element, str], None]) -> None:
    for qualified, name, value in _dialect_attributes(node):
        del node.attrib[qualified]
        if name == "type":
            node.set(flowable_tasks.TYPE_ATTRIBUTE, value)
        elif name in SAME_ATTRIBUTES:
            node.set(tag(name, CAMUNDA), value)
        elif name in RENAMED_ATTRIBUTES:
            node.set(tag(RENAMED_ATTRIBUTES[name], CAMUNDA), value)
        elif name == "triggerable" and value.strip().lower() == "true" and node.tag == tag("serviceTask"):
            _mark_triggerable(node)
        elif name == "terminateAll":
            if value.strip().lower() == "true":
                node.set(TERMINATE_ALL, "true")
        elif name == "terminateMultiInstance" and value.strip().lower() == "true" and _instance_level(node):
            node.set(TERMINATE_MI, "true")
        elif name == "elementIndexVariable" and node.tag == tag("multiInstanceLoopCharacteristics") and \
                _PLAIN_NAME.match(value.strip()):
            node.set(loop_index.INDEX_ATTRIBUTE, value.strip())   # engine.runtime.loop_index
        elif name == "endDate":
            cycle_end.translate(node, value, fail)   # engine.runtime.cycle_end
        elif name == "idVariableName" and node.tag == tag("callActivity"):
            node.set(ID_VARIABLE, value)   # read with the call (engine.runtime.camunda_call.read_call)
        elif name in _CALL_ACTIVITY:
            _CALL_ACTIVITY[name](node, value)
        elif name == "skipExpression":
            skip_expressions.translate(node, value, fail, warn)
        elif name == "taskIdVariableName" and node.tag == tag("userTask"):
            _task_id_variable(node, value)
        elif name == "taskCompleterVariableName" and node.tag == tag("userTask"):
            _task_completer_variable(node, value)
        elif name in ("messageExpression", "signalExpression") and node.tag in _NAMED_BY_EXPRESSION:
            _name_expression(node, value, fail)
        elif name == "scope" and node.tag == tag("signal") and value.strip().lower() in ("processinstance", "global"):
            if value.strip().lower() == "processinstance":   # stays in its case (engine.runtime.model.INSTANCE_SIGNAL)
                node.set(tag("scope", CAMUNDA), "processInstance")
        elif name == "scope" and node.tag == tag("message") and value.strip().lower() == "global":
            continue   # Flowable has no message scopes and ignores it; every message is global here too
        elif name in DROPPED_ATTRIBUTES:
            continue
        elif name == "businessCalendarName" and value.strip().lower() in _STANDARD_CALENDARS:
            continue
        elif name in _WHY and (name not in _REFUSED_WHEN or value.strip().lower() == _REFUSED_WHEN[name]):
            fail(node, f"flowable:{name}: {_WHY[name]}")
        elif name not in _WHY:
            fail(node, f"flowable:{name}=\"{value}\" has no counterpart here (unknown Flowable extension)")


def _mark_triggerable(node: etree._Element) -> None:
    """``triggerable="true"``: after its call the service task waits until it is triggered (the
    message named after the task, engine.runtime.camunda_tasks.trigger_message)."""
    ext = node.find(tag("extensionElements"))
    if ext is None:
        ext = etree.Element(tag("extensionElements"))
        node.insert(0, ext)
    props = ext.find(tag("properties", CAMUNDA))
    if props is None:
        props = etree.SubElement(ext, tag("properties", CAMUNDA))
    etree.SubElement(props, tag("property", CAMUNDA), name=TRIGGERABLE_PROPERTY, value="true")


def _task_id_variable(node: etree._Element, value: str) -> None:
    """``taskIdVariableName="v"`` (or an expression yielding the name): when the user task is
    created, after its create listeners (as Flowable's UserTaskActivityBehavior does), the case
    variable v holds the task's id, the id the task is completed by. A generated create listener."""
    _variable_listener(node, value, "create", "task.id")


def _task_completer_variable(node: etree._Element, value: str) -> None:
    """``taskCompleterVariableName="v"`` (or an expression yielding the name): when the user task
    is completed, after its complete listeners (as Flowable's UserTaskActivityBehavior.trigger
    does), the case variable v holds the id of the user who completed it (null for the engine's
    own commands: Flowable's authenticated user). A generated complete listener."""
    _variable_listener(node, value, "complete", "authenticatedUserId")


def _variable_listener(node: etree._Element, value: str, event: str, source: str) -> None:
    if not value.strip():
        return
    name = juel.translate(value.strip()) if juel.is_juel(value) else repr(value.strip())
    ext = node.find(tag("extensionElements"))
    if ext is None:
        ext = etree.Element(tag("extensionElements"))
        node.insert(0, ext)
    listener = etree.Element(tag("taskListener", CAMUNDA), event=event)
    script = etree.SubElement(listener, tag("script", CAMUNDA), scriptFormat="python")
    script.text = f"execution.setVariable({name}, {source}) if {name} else None"
    listeners = [n for ns in (*NAMESPACES, CAMUNDA) for n in ext.findall(tag("taskListener", ns))]
    if listeners:       # after the model's own listeners: they run first in Flowable
        max(listeners, key=ext.index).addnext(listener)
    else:
        ext.append(listener)


_NAMED_BY_EXPRESSION = {tag("messageEventDefinition"): "message", tag("signalEventDefinition"): "signal"}
_DEFINITION_KEY = re.compile(r"\bvariableContainer\.definitionKey\b")


def _name_expression(node: etree._Element, value: str, fail: Callable[[etree._Element, str], None]) -> None:
    """``flowable:messageExpression`` / ``signalExpression``: a generated message or signal named
    by the expression, referenced by the event definition; the Camunda dialect resolves such a
    name per case (:mod:`engine.runtime.event_names`). A process's start event is named once, at
    deployment, as Flowable does: its expression may read only constants and
    ``variableContainer.definitionKey`` (the process id), else it is refused."""
    kind = _NAMED_BY_EXPRESSION[str(node.tag)]
    attribute = f"{kind}Ref"
    if node.get(attribute):
        fail(node, f"flowable:{kind}Expression: the event names its {kind} twice ({attribute} and an expression); "
                   "keep one")
        return
    name = value.strip()
    event = node.getparent()
    process = event.getparent() if event is not None else None
    if (juel.is_juel(name) and event is not None and event.tag == tag("startEvent") and process is not None
            and process.tag == tag("process")):
        folded = event_names.constant_value(_DEFINITION_KEY.sub(f"'{process.get('id', '')}'", name))
        if folded is None:
            fail(node, f"flowable:{kind}Expression=\"{name}\": a start event's {kind} name is resolved at "
                       "deployment, when there are no case variables; use constants and "
                       "variableContainer.definitionKey only, or name the " + kind)
            event.remove(node)   # refused: nothing else to say about the start event
            return
        name = folded
    root = node.getroottree().getroot()
    existing = next((n for n in root.iter(tag(kind)) if n.get("name") == name), None)
    if existing is None:
        ids = {n.get("id") for n in root.iter() if isinstance(n.tag, str)}
        base = f"{owner_id(node) or kind}_{kind}"
        ref, number = base, 1
        while ref in ids:
            number += 1
            ref = f"{base}{number}"
        existing = etree.Element(tag(kind), {"id": ref, "name": name})
        root.insert(0, existing)
    node.set(attribute, existing.get("id", ""))


def _call_in(node: etree._Element, **attrs: str) -> None:
    ext = node.find(tag("extensionElements"))
    if ext is None:
        ext = etree.Element(tag("extensionElements"))
        node.insert(0, ext)
    etree.SubElement(ext, tag("in", CAMUNDA), attrs)


_CALL_ACTIVITY: dict[str, Callable[[etree._Element, str], None]] = {
    "inheritVariables": lambda node, value: _call_in(node, variables="all") if value == "true" else None,
    "inheritBusinessKey": lambda node, value: _call_in(node, businessKey="#{execution.processBusinessKey}")
    if value == "true" else None,
    "businessKey": lambda node, value: _call_in(node, businessKey=value),
    "sameDeployment": lambda node, value: node.set(tag("calledElementBinding", CAMUNDA), "deployment")
    if value == "true" else None,
}


def _element(node: etree._Element, fail: Callable[[etree._Element, str], None],
             warn: Callable[[etree._Element, str], None]) -> None:
    name = etree.QName(node).localname
    parent = node.getparent()
    if name in SAME_ELEMENTS or name in ("formProperty", "value", "script"):
        node.tag = tag(name, CAMUNDA)
        if name == "script" and node.get("language") and not node.get("scriptFormat"):
            node.set("scriptFormat", node.attrib.pop("language"))
        return
    if name in DROPPED_ELEMENTS or name == "mapException":
        if name == "mapException":
            warn(node, "flowable:mapException is ignored: a mapped delegate is a connector operation, whose "
                       "business errors become BPMN errors by their code")
        if parent is not None:
            parent.remove(node)
        return
    if name == "variableListenerEventDefinition":
        variable_listeners.translate(node, fail)
        return
    if name == "variableAggregation":
        variable_aggregation.translate(node, fail)
        if parent is not None:
            parent.remove(node)
        return
    if name in _WHY:
        fail(node, f"flowable:{name}: {_WHY[name]}")
    elif parent is not None and parent.tag == tag("extensionElements"):
        warn(node, f"<flowable:{name}> is ignored: an unknown extension element is data for other tools "
                   "(Flowable ignores it too)")
    else:
        fail(node, f"<flowable:{name}> has no counterpart here (unknown Flowable extension)")
    if parent is not None:
        parent.remove(node)


def _script_listener(node: etree._Element) -> None:
    """Flowable's script listeners: the listener class with script/language fields, or a
    <flowable:script> child (already renamed), become Camunda's <camunda:script scriptFormat=..>."""
    cls = node.get("class") or ""
    if not cls.endswith(_SCRIPT_LISTENERS):
        return
    fields = {f.get("name"): f for f in node.findall(tag("field", CAMUNDA))}
    text = _field_text(fields.get("script"))
    language = _field_text(fields.get("language")) or "javascript"
    del node.attrib["class"]
    for field in fields.values():
        node.remove(field)
    script = etree.SubElement(node, tag("script", CAMUNDA), scriptFormat=language)
    script.text = text


def _field_text(field: etree._Element | None) -> str:
    if field is None:
        return ""
    for child in field:
        if isinstance(child.tag, str):
            return (child.text or "").strip()
    return (field.get("stringValue") or field.get("expression") or "").strip()


def _drop_namespace_declarations(root: etree._Element) -> None:
    """Declare the Camunda namespace on the root and forget the Flowable ones."""
    etree.cleanup_namespaces(root, top_nsmap={"camunda": CAMUNDA})
