"""Deploy-time rewrites and checks of the Camunda 7 dialect, one function per construct.

:func:`engine.runtime.camunda.translate_tree` calls these on the tree of an uploaded
file before SpiffWorkflow sees it: JUEL conditions and timers are rewritten in place,
``camunda:initiator`` is recorded as an extension property, and everything that cannot
run here (unmapped Java delegates, foreign scripts, listeners, output parameters,
variable renaming, untranslatable JUEL) is reported through ``fail(node, message)``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Callable

from lxml import etree

from engine.runtime import camunda_io, juel
from engine.runtime.elements import split_names
from engine.runtime.camunda_tasks import (
    EXPRESSION_PROPERTY, MAPPING_FILE, bare_name, bean_functions, bean_operations, parameter_expression,
    implementation)
from engine.runtime.checks import FOREIGN_LANGUAGES, foreign_script_message, script_key
from engine.runtime.io_mapping import script_language
from engine.runtime.javascript import JAVASCRIPT_NAMES, undeclared_objects
from engine.runtime.languages import is_javascript
from engine.runtime import variable_listeners
from engine.domain.errors import Problem
from engine.runtime.namespaces import CAMUNDA, owner_id, tag

TIMER_TAGS = ("timeDuration", "timeDate", "timeCycle")
USER_TASK_EXPRESSIONS = ("assignee", "candidateGroups", "candidateUsers", "dueDate", "followUpDate", "priority")
INITIATOR_PROPERTY = "amtsflow:initiatorVariable"

Fail = Callable[[etree._Element, str], None]


def translate_conditions(root: etree._Element, fail: Fail) -> None:
    for node in root.iter(tag("conditionalEventDefinition")):
        problem = variable_listeners.filter_problem(node)   # camunda:variableName/variableEvents
        if problem:
            fail(node, problem)
    tags = (tag("conditionExpression"), tag("completionCondition"), tag("loopCardinality"), tag("condition"),
            tag("loopCondition"))
    for node in root.iter(*tags):
        text = (node.text or "").strip()
        language = (node.get("language") or "").lower()
        if is_javascript(node.text or ""):
            continue   # runs as JavaScript (engine.runtime.languages)
        if language not in ("juel", "python", ""):
            fail(node, f"expression language '{node.get('language')}' cannot run here (scripts are not run); "
                       "write the condition as a ${...} expression")
            continue
        if node.get(tag("resource", CAMUNDA)):
            fail(node, "conditions loaded from a resource file are not supported; write the expression inline")
            continue
        if juel.is_juel(text):
            try:
                node.text = juel.translate(text)
            except juel.JuelError as exc:
                fail(node, f"expression {text!r}: {exc}")
                node.text = "False"  # reported once here, not again by the expression checker


def blank_foreign_scripts(root: etree._Element, fail: Fail) -> None:
    """JUEL script tasks (scriptFormat="juel", or no format and a ${...} text: Camunda's default
    language) become translated expressions with scriptFormat="juel". Scripts in other
    languages are reported by the static checks (by scriptFormat); their text must not be
    reported a second time as a Python syntax error."""
    for node in root.iter(tag("scriptTask")):
        language = (node.get("scriptFormat") or "").strip().lower()
        script = node.find(tag("script"))
        resource = node.get(tag("resource", CAMUNDA))
        if resource is not None:  # not in the deployment or an expression: loaded when the task runs
            if language not in ("", "juel") and script_language(language) is None \
                    and language not in FOREIGN_LANGUAGES:   # (those are reported by the static checks)
                fail(node, foreign_script_message(node.get("scriptFormat") or language, task=True,
                                                  mapping_key=script_key(node)))
            if juel.is_juel(resource):
                try:
                    juel.translate(resource.strip())
                except juel.JuelError as exc:
                    fail(node, f"camunda:resource {resource!r}: {exc}")
            if script is None:
                script = etree.SubElement(node, tag("script"))
            script.text = ""  # engine.runtime.script_tasks loads the resource
            continue
        text = (script.text or "").strip() if script is not None else ""
        if language == "juel" or (not language and juel.is_juel(text)):
            node.set("scriptFormat", "juel")
            if script is not None:
                try:
                    script.text = juel.translate(text)
                except juel.JuelError as exc:
                    fail(node, f"expression {text!r}: {exc}")
                    script.text = "None"
        elif language not in ("", "python", "text/x-python", "py") and language not in JAVASCRIPT_NAMES:
            for found in node.findall(tag("script")):
                found.text = ""


def translate_timers(root: etree._Element, fail: Fail) -> None:
    for name in TIMER_TAGS:
        for node in root.iter(tag(name)):
            text = (node.text or "").strip()
            try:
                node.text = juel.translate_timer(text)
            except juel.JuelError as exc:
                fail(node, f"timer {text!r}: {exc}")
                node.text = "'PT1H'"  # reported once here, not again by the expression checker
                continue


def check_implementation(node: etree._Element, mapping: dict[str, Any] | None, fail: Fail) -> None:
    impl = implementation(node, mapping)
    if node.tag == tag("businessRuleTask") and impl.kind in ("none", "decision"):
        fail(node, "business rule task needs camunda:decisionRef pointing at a DMN decision")
        return
    if impl.kind in ("builtin", "script"):   # a "scripts" entry made it (mapped_scripts_as_service_tasks)
        return
    if impl.kind == "expression":  # runs in the engine: ${execution.setVariable(...)}, ${s.substring(1)}
        _add_property(node, EXPRESSION_PROPERTY, juel.translate(impl.name.strip()))
        return
    if impl.kind == "external":
        if not impl.name:
            fail(node, "external task has no camunda:topic")
        return
    if impl.kind == "delegate":
        if impl.operation is None and impl.attribute == "expression":
            fail(node, f"camunda:expression '{impl.name}': {_untranslatable(impl.name)}; or map the whole "
                       f"expression to a connector operation in {MAPPING_FILE}: "
                       f"{{\"delegates\": {{\"{bare_name(impl.name)}\": \"connector.operation\"}}}}")
        elif impl.operation is None:
            fail(node, f"camunda:{impl.attribute}='{impl.name}' is Java code and cannot run here; map it to a "
                       f"connector operation in {MAPPING_FILE}: "
                       f"{{\"delegates\": {{\"{bare_name(impl.name)}\": \"connector.operation\"}}}}")
        return
    if impl.kind == "connector":
        if impl.operation is None:
            fail(node, f"camunda:connector '{impl.name or '?'}' (Camunda Connect) cannot run here; map it to a "
                       f"connector operation in {MAPPING_FILE}: "
                       f"{{\"connectors\": {{\"{impl.name or 'connectorId'}\": \"connector.operation\"}}}}")
        return
    fail(node, "service task names no implementation (camunda:type=\"external\" with a camunda:topic, "
               f"or a Java delegate mapped in {MAPPING_FILE})")


def check_user_task(node: etree._Element, fail: Fail) -> None:
    for attr in USER_TASK_EXPRESSIONS:
        value = node.get(tag(attr, CAMUNDA))
        if value is None:
            continue
        parts = split_names(value) if attr.startswith("candidate") else [value]
        for part in parts:
            if juel.is_juel(part):
                try:
                    juel.translate(part)
                except juel.JuelError as exc:
                    fail(node, f"camunda:{attr} {part!r}: {exc}")
            elif attr in ("dueDate", "followUpDate") and not _is_date_or_duration(part):
                fail(node, f"camunda:{attr} {part!r} is neither an ISO 8601 date/time (2026-12-01T08:00:00+01:00), "
                           "a duration (P14D) nor a ${...} expression")
            elif attr == "priority" and not re.fullmatch(r"[+-]?\d+", part.strip()):
                fail(node, f"camunda:priority {part!r} is neither a whole number nor a ${{...}} expression")


def _is_date_or_duration(value: str) -> bool:
    text = value.strip()
    if text.upper().startswith("P"):
        return juel.is_duration(text.upper())
    for parse in (datetime.fromisoformat, date.fromisoformat):
        try:
            parse(text)
            return True
        except ValueError:
            continue
    return False


def _untranslatable(expression: str) -> str:
    try:
        juel.translate(expression.strip())
    except juel.JuelError as exc:
        return str(exc)
    return "not a ${...} expression"


def record_initiator(node: etree._Element) -> None:
    """camunda:initiator="v" on a start event: the starting user's id lands in variable v.
    Recorded as an extension property so that dialect-independent code can read it."""
    variable = node.get(tag("initiator", CAMUNDA))
    if not variable or not variable.isidentifier():
        return
    _add_property(node, INITIATOR_PROPERTY, variable)


def _add_property(node: etree._Element, name: str, value: str) -> None:
    """An extension property (camunda:properties) the engine reads instead of the dialect."""
    ext = node.find(tag("extensionElements"))
    if ext is None:
        ext = etree.Element(tag("extensionElements"))
        node.insert(0, ext)
    props = ext.find(tag("properties", CAMUNDA))
    if props is None:
        props = etree.SubElement(ext, tag("properties", CAMUNDA))
    etree.SubElement(props, tag("property", CAMUNDA), name=name, value=value)


def check_input_output(node: etree._Element, fail: Fail) -> None:
    """An activity's own mapping: Camunda's placement rules and every value (camunda_io).
    A Camunda Connect connector's mapping: its input parameters are the operation's parameters."""
    parent = node.getparent()
    if parent is None:
        return
    if parent.tag == tag("connector", CAMUNDA):
        for param in node.findall(tag("inputParameter", CAMUNDA)):
            try:
                parameter_expression(param)
            except juel.JuelError as exc:
                fail(param, f"input parameter '{param.get('name')}': {exc}")
        camunda_io.connector_outputs(node, fail)   # checked values; they run over the operation's result
        return
    owner = parent.getparent()
    if owner is not None:
        camunda_io.read_io(owner, fail)


def javascript_bean_warnings(root: etree._Element, filename: str, mapping: dict[str, Any] | None) -> list[Problem]:
    """Inline JavaScript (script tasks, listener and input/output scripts) that calls methods on a
    name it never defines (``user.firstname(x)``): a bean the mapping does not declare, or a
    process variable the case must hold. Not refused (a variable of that name works), but said at
    deploy: otherwise the script stops with a ReferenceError when a case runs it."""
    declared = {name.split(".", 1)[0] for name in {**bean_functions(mapping), **bean_operations(mapping)}}
    warnings: list[Problem] = []
    for node in [*root.iter(tag("scriptTask")), *root.iter(tag("script", CAMUNDA))]:
        language = (node.get("scriptFormat") or "").strip().lower()
        if language not in JAVASCRIPT_NAMES:
            continue
        text = node.findtext(tag("script")) if node.tag == tag("scriptTask") else node.text
        for name, methods in undeclared_objects(text or "").items():
            if name in declared:
                continue
            entries = ", ".join(f'"{name}.{m}"' for m in methods)
            warnings.append(Problem(filename, node.sourceline or 0, owner_id(node),
                                    f"the script calls {name}.{methods[0]}(...), but '{name}' is not defined in it: "
                                    f"a case needs a process variable '{name}', or, for a Spring bean, {entries} "
                                    "under \"beans\" in camunda-mapping.json; otherwise the script stops with a "
                                    "ReferenceError"))
    return warnings
