"""Camunda 7 dialect: translate what can be translated at deploy time, report the rest.

Everything here runs before SpiffWorkflow sees the XML, on the tree of an uploaded file:

* **Expressions.** JUEL ``${...}``/``#{...}`` in sequence-flow conditions, conditional
  events, completion conditions, loop cardinalities and multi-instance attributes is
  rewritten into the safe evaluator's language (:mod:`engine.runtime.juel`), including
  method calls on values (``${s.toUpperCase()}``, ``${list.size()}``), Camunda's
  ``execution`` and ``task`` objects and ``authenticatedUserId``. Bean calls
  (``${user.email(x)}``) must be declared under ``"beans"`` in ``camunda-mapping.json``: an
  engine function is called in place (rewritten JUEL to JUEL first, everywhere in the
  file); a bean mapped to a connector operation becomes a call of the engine function
  ``bean_call('connector.operation', x)`` everywhere in the file (parameters, text
  templates, ``camunda:in``/``out`` source expressions, conditions, listener and field
  expressions), which calls the operation synchronously inside the step with
  ``{"args": [x]}`` and takes its result's data as the value (:mod:`engine.runtime.beans`;
  the operation must be installed at deploy; a failure or no answer within the command's
  time budget fails the step; such operations should be read-only lookups, as they are
  neither retried as jobs nor idempotency-keyed). Only a service task's or listener's
  expression that is one such bean call stays a job (its ``camunda:field``s and input
  parameters are the parameters). Models may not call ``bean_call`` themselves. User-task
  attributes (assignee, candidate groups/users, due and follow-up dates, priority) stay
  JUEL in the model and are translated when a work item is projected; they are checked
  here so that an untranslatable one is a deploy-time message, never a run-time surprise.
* **Timers.** ISO-8601 literals become string literals, ``${...}`` becomes an expression,
  Quartz cron expressions that describe a fixed interval become ISO cycles. A timer start
  event starts one case per firing, as in Camunda (engine.services.schedules).
* **Service tasks** (also send tasks and business-rule tasks without a decision) become
  parked tasks that the job executor runs as a connector operation
  ``"connector.operation"``:

  - ``camunda:type="external" camunda:topic="T"``: the operation mapped to ``T`` under
    ``"topics"`` in ``camunda-mapping.json``; without a mapping, the operation ``T`` of the
    connector named ``camunda`` (``"camunda.T"``). That connector plays the part of
    Camunda's external-task workers: register one under the name ``camunda`` that
    answers the topics, or map each topic to a real connector operation.
  - ``camunda:class`` / ``camunda:delegateExpression``: Java code. Deploying needs a
    ``"delegates"`` entry for the attribute's value (``"${mailer}"`` or just ``"mailer"``,
    ``"org.acme.SendMail"``); otherwise a message says which entry to add.
  - ``camunda:expression``: evaluated in the engine, no job, when it translates
    (``${execution.setVariable('a', 1)}``; its value goes to ``camunda:resultVariable``); a
    delegates entry for the expression or a bean mapped to a connector operation makes it
    a connector call instead.
  - ``camunda:connector`` (Camunda Connect): a ``"connectors"`` entry for its connectorId.

  The task's ``camunda:inputOutput`` input parameters (its local variables, below) and
  ``camunda:field`` injections become the operation's parameters; the connector's result
  fields become process variables (or ``camunda:resultVariable``); a Camunda Connect
  connector's own output parameters map its result instead.

  ``camunda-mapping.json`` in the process folder, all keys optional::

      {"topics":     {"registerLookup": "melderegister.find_person"},
       "delegates":  {"${sendMailDelegate}": "mail.send", "org.acme.Archive": "dms.hand_over"},
       "connectors": {"http-connector": "http.request"},
       "beans":      {"digitalwf.urlGruppenaufgaben": "portal_url", "mailer.send": "mail.send"},
       "scripts":    {"de/stadt/gebuehr.groovy": "kasse.gebuehr", "Task_Umwandeln": "xml.transform"}}

* **Scripts.** Script tasks, listener scripts and input/output script values in JavaScript
  run in the QuickJS sandbox (:mod:`engine.runtime.javascript`), Python in the safe
  evaluator, ``scriptFormat="juel"`` (Camunda's default) as an expression. A script task or
  listener script in another language (Groovy, XSLT ...) runs when a ``"scripts"`` entry,
  keyed by its ``camunda:resource`` path or else by the element's id, maps it to the connector
  operation that now does its work: the task becomes a call of that operation
  (:func:`engine.runtime.camunda_tasks.mapped_scripts_as_service_tasks`), the listener a job
  after the commit like a mapped Java listener. Input/output values in such languages stay
  refused (their value is needed at once).
* **Listeners** (:mod:`engine.runtime.camunda_listeners`, run by
  :mod:`engine.runtime.listeners`): execution listeners (start, end, take, process
  start/end) and task listeners (create, assignment, complete, delete, timeout) with expressions or
  inline JavaScript/Python; a listener's Java class, delegate expression or bean expression
  mapped to a connector operation (``"delegates"``/``"beans"``) is a job after the commit.

* **Input/output mappings** (:mod:`engine.runtime.camunda_io`, run by
  :mod:`engine.runtime.io_mapping`) on every task, sub-process, call activity, intermediate
  event and end event: inputs are local variables of the activity, outputs write to the
  enclosing scope; Camunda's placement rules are deploy-time messages.
* **Call activities** (:mod:`engine.runtime.camunda_call`, run by
  :mod:`engine.runtime.call_activity`): ``camunda:in``/``camunda:out`` (source,
  sourceExpression, target, variables="all", local), an expression as called element, and
  ``calledElementBinding`` latest/deployment/version/versionTag; a called process missing from
  the upload comes from the deployed definitions (:mod:`engine.services.called`).
* **Manual tasks and plain tasks** pass through, as in Camunda and Flowable: no task for a
  person (:class:`engine.runtime.specs.PassThroughTask`).
* **Start.** ``camunda:initiator="v"`` puts the id of the user who starts a case into
  variable ``v`` (recorded as an extension property, applied by ``start_case``).
* **Not yet projected:** ``camunda:followUpDate`` is checked and kept in ElementInfo, but
  work items have no follow-up column yet.
* **Refused with a message naming the element:** Groovy and other script languages (with
  how to rewrite the script), Java interop in JavaScript, script resources, listeners that
  call unmapped Java code, update task listeners, cron expressions that are not a fixed
  interval, and any JUEL beyond the supported subset (undeclared beans, lambdas,
  assignments, collection literals).

The translation is split by responsibility: this module holds the entry points
(:func:`translate_tree`, :func:`start_variables`) and re-exports the rest;
:mod:`engine.runtime.camunda_tasks` resolves service-task implementations through
``camunda-mapping.json`` into service calls, and :mod:`engine.runtime.camunda_checks`
holds the per-construct rewrites and checks that :func:`translate_tree` runs.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime.beans import BEAN_FUNCTION, reserved_call_problems
from engine.runtime import camunda_call, camunda_listeners, juel, listeners, script_resources
from engine.runtime.camunda_checks import (
    INITIATOR_PROPERTY, TIMER_TAGS, USER_TASK_EXPRESSIONS, blank_foreign_scripts, check_implementation,
    check_input_output, check_user_task, record_initiator,
    translate_conditions, translate_timers)
from engine.runtime.camunda_tasks import (
    DELEGATE_ATTRIBUTES, EXPRESSION_PROPERTY, EXTERNAL_CONNECTOR, MAPPING_FILE, MAPPING_SECTIONS, Implementation,
    bean_call_operation, bean_functions, bean_operations, delegate_operation, implementation,
    mapped_scripts_as_service_tasks, mapping_problems, script_operation, service_call)
from engine.runtime.checks import script_key
from engine.runtime.namespaces import BPMN, CAMUNDA, owner_id, tag

_IMPLEMENTED = ("serviceTask", "sendTask", "businessRuleTask")


def _rewrite_beans(root: etree._Element, mapping: dict[str, Any] | None, fail: Any,
                   known_operations: set[str] | None) -> None:
    """Bean calls, everywhere in the file: those mapped to engine functions become plain function
    calls, those mapped to connector operations calls of the engine function ``bean_call``
    (engine.runtime.beans). A service task's or listener's expression that is one bean call
    mapped to a connector operation stays: it runs as a job (camunda_tasks.bean_call_operation)."""
    beans = {**bean_functions(mapping), **bean_operations(mapping)}
    if not beans:
        return
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        texts = [(name, value) for name, value in node.attrib.items() if "{" in value]
        if node.text and "{" in node.text:
            texts.append(("", node.text))
        for name, value in texts:
            if _job_expression(node, name, value, mapping):
                continue
            rewritten = juel.rewrite_beans(value, beans)
            if rewritten == value:
                continue
            if name:
                node.set(name, rewritten)
            else:
                node.text = rewritten
            for operation in _BEAN_OPERATION.findall(rewritten):
                if known_operations is not None and operation not in known_operations:
                    fail(node, f"a bean is mapped to the unknown connector operation '{operation}' in {MAPPING_FILE}")


_BEAN_OPERATION = re.compile(rf"\b{BEAN_FUNCTION}\('([^']*)'")
_LISTENERS = (tag("executionListener", CAMUNDA), tag("taskListener", CAMUNDA))


def _job_expression(node: etree._Element, attribute: str, value: str, mapping: dict[str, Any] | None) -> bool:
    """A service task's camunda:expression or a listener's expression that is one bean call mapped
    to a connector operation: a job, not rewritten."""
    if attribute != tag("expression", CAMUNDA) and not (attribute == "expression" and node.tag in _LISTENERS):
        return False
    return bean_call_operation(value, mapping) is not None


def _inline_script_resources(root: etree._Element, scripts: dict[str, str], mapping: dict[str, Any] | None) -> None:
    """``camunda:resource="deployment://a/b.js"`` (also ``classpath://`` or a bare path) on a
    script task or camunda:script: a script file of the same deployment (matched by its path's
    end) becomes the inline script. Unresolved resources stay: they are loaded when the script
    runs, as in Camunda (:mod:`engine.runtime.script_resources`). A script that a ``"scripts"``
    entry maps to a connector operation keeps its path: that is its mapping key."""
    for node in root.iter(tag("scriptTask"), tag("script", CAMUNDA)):
        attr = tag("resource", CAMUNDA) if node.tag == tag("scriptTask") else "resource"
        reference = node.get(attr)
        if reference and script_operation(script_key(node), mapping) is not None:
            continue
        text = script_resources.find_script(reference, scripts) if reference else None
        if text is None:
            continue
        del node.attrib[attr]
        target = node if node.tag == tag("script", CAMUNDA) else node.find(tag("script"))
        if target is None:
            target = etree.SubElement(node, tag("script"))
        target.text = text


def _pass_manual_tasks(root: etree._Element) -> None:
    """Camunda and Flowable run a manual task as a pass-through activity (no task for a person,
    ManualTaskActivityBehavior = a plain task): it becomes a BPMN ``task``, listeners, input/output
    mappings and async flags included. (Spiff-dialect models keep manual tasks that wait.)"""
    for node in list(root.iter(tag("manualTask"))):
        node.tag = tag("task")


THROW_IMPLEMENTATION = ("class", "delegateExpression", "expression", "resultVariable", "type", "topic", "taskPriority")


def _message_throws_as_service_tasks(root: etree._Element) -> None:
    """Camunda 7 runs a message intermediate throw or end event whose event definition names an
    implementation (camunda:class, delegateExpression, expression, type/topic, a connector) as a
    service task and sends no message (BpmnParse: "same behaviour as service task"); the end event
    then ends its path. The event becomes a ``serviceTask`` of the same id with that
    implementation, keeping its listeners, input/output mappings and async flags; delegates go
    through camunda-mapping.json as on any service task."""
    for definition in list(root.iter(tag("messageEventDefinition"))):
        event = definition.getparent()
        if event is None or event.tag not in (tag("intermediateThrowEvent"), tag("endEvent")):
            continue
        if implementation(definition, None).kind == "none":
            continue
        for attr in THROW_IMPLEMENTATION:
            value = definition.get(tag(attr, CAMUNDA))
            if value is not None:
                event.set(tag(attr, CAMUNDA), value)
        inner = definition.find(tag("extensionElements"))   # camunda:field, camunda:connector
        if inner is not None:
            outer = event.find(tag("extensionElements"))
            if outer is None:
                outer = etree.Element(tag("extensionElements"))
                event.insert(0, outer)
            outer.extend(list(inner))
        event.remove(definition)
        event.tag = tag("serviceTask")


def unnamed_message_throws(root: etree._Element, filename: str) -> list[Problem]:
    """A message intermediate throw or end event without implementation whose messageRef names
    no message of the file: Camunda 7 never reads the messageRef of a throw event and runs it as
    a none event (BpmnParse: IntermediateThrowNoneEventActivityBehavior; ExclusiveThrowEventTest
    deploys and runs such models). It becomes a none event here too (there is no message name to
    send), with a warning; warnings for the returned problems."""
    messages = {m.get("id") for m in root.iter(tag("message"))}
    warnings: list[Problem] = []
    for definition in list(root.iter(tag("messageEventDefinition"))):
        event = definition.getparent()
        if event is None or event.tag not in (tag("intermediateThrowEvent"), tag("endEvent")):
            continue
        ref = definition.get("messageRef")
        if not ref or ref in messages or implementation(definition, None).kind != "none":
            continue
        warnings.append(Problem(filename, event.sourceline or 0, event.get("id", ""),
                                f"messageRef '{ref}' points to no message defined in this file: the event throws "
                                "nothing and passes through, as in Camunda 7 (which never reads the messageRef of a "
                                "throw event without implementation); define the message to send it"))
        event.remove(definition)
    return warnings


def _rule_tasks_as_service_tasks(root: etree._Element) -> None:
    """A business rule task that names no decision but an implementation (camunda:class,
    delegateExpression, expression, an external topic) runs as a service task in Camunda 7
    (RuleTaskTest.testJavaDelegate); it becomes a ``serviceTask`` of the same id."""
    for node in list(root.iter(tag("businessRuleTask"))):
        if node.get(tag("decisionRef", CAMUNDA)) is None and implementation(node, None).kind != "none":
            node.tag = tag("serviceTask")


def translate_tree(root: etree._Element, filename: str, mapping: dict[str, Any] | None,
                   scripts: dict[str, str] | None = None, known_operations: set[str] | None = None) -> list[Problem]:
    """Rewrite expressions in place; return problems for what cannot run.

    ``mapping`` is the content of camunda-mapping.json (a bare ``{name: operation}`` dict
    is read as the ``delegates`` section, as older callers passed it). ``known_operations``
    (when deploying): the installed connector operations, which beans must be mapped to.
    """
    if mapping and not any(k in MAPPING_SECTIONS or k == "external" for k in mapping):
        mapping = {"delegates": mapping}
    problems: list[Problem] = []

    def fail(node: etree._Element, message: str) -> None:
        problems.append(Problem(filename, node.sourceline or 0, owner_id(node), message))

    problems.extend(reserved_call_problems(root, filename))   # before beans become bean_call
    _rewrite_beans(root, mapping, fail, known_operations)
    _pass_manual_tasks(root)
    _message_throws_as_service_tasks(root)
    _rule_tasks_as_service_tasks(root)
    _inline_script_resources(root, scripts or {}, mapping)
    camunda_listeners.expand_timeout_listeners(root)
    translate_conditions(root, fail)
    translate_timers(root, fail)
    blank_foreign_scripts(root, fail)
    for node in root.iter(tag("multiInstanceLoopCharacteristics")):
        for attr in ("collection", "elementVariable"):
            value = node.get(tag(attr, CAMUNDA))
            if value and juel.is_juel(value):
                try:
                    node.set(tag(attr, CAMUNDA), juel.translate(value))
                except juel.JuelError as exc:
                    fail(node, f"{attr} {value!r}: {exc}")
    for name in _IMPLEMENTED:
        for node in root.iter(tag(name)):
            if name == "sendTask" and implementation(node, mapping).kind == "none":
                _check_message_throw(node, fail)  # no implementation: it throws its message
            elif name != "businessRuleTask" or node.get(tag("decisionRef", CAMUNDA)) is None:
                check_implementation(node, mapping, fail)
    for node in root.iter(tag("userTask")):
        check_user_task(node, fail)
    for node in root.iter(tag("startEvent")):
        record_initiator(node)
    for node in root.iter(tag("inputOutput", CAMUNDA)):
        check_input_output(node, fail)
    for node in root.iter(tag("executionListener", CAMUNDA), tag("taskListener", CAMUNDA)):
        listeners.check_listener(node, fail, mapping)
    for node in root.iter(tag("callActivity")):
        camunda_call.read_call(node, fail)
    return problems


def _check_message_throw(node: etree._Element, fail: Any) -> None:
    if not node.get("messageRef") and node.find(tag("messageEventDefinition")) is None:
        fail(node, "send task has neither an implementation (camunda:type=\"external\" with a camunda:topic, or a "
                   f"Java delegate mapped in {MAPPING_FILE}) nor a messageRef naming the message it sends")


def start_variables(model: Any, user: str) -> dict[str, Any]:
    """Variables a Camunda model sets when ``user`` starts a case (camunda:initiator)."""
    variables: dict[str, Any] = {}
    for info in getattr(model, "elements", {}).values():
        if info.kind == "startEvent" and not info.nested:
            name = info.properties.get(INITIATOR_PROPERTY)
            if name:
                variables[name] = user
    return variables


__all__ = ["EXPRESSION_PROPERTY", "translate_tree", "service_call", "implementation", "Implementation", "mapping_problems",
           "start_variables", "MAPPING_FILE", "EXTERNAL_CONNECTOR", "BPMN",
           "DELEGATE_ATTRIBUTES", "MAPPING_SECTIONS", "INITIATOR_PROPERTY", "TIMER_TAGS", "USER_TASK_EXPRESSIONS",
           "delegate_operation", "mapped_scripts_as_service_tasks"]
