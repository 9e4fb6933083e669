"""Camunda 7 dialect: translate what can be translated at deploy time, report the rest.

Everything here runs before SpiffWorkflow sees the XML, on the tree of an uploaded file:

* **Expressions.** JUEL ``${...}``/``#{...}`` in sequence-flow conditions, conditional
  events, completion conditions, loop cardinalities and multi-instance attributes is
  rewritten into the safe evaluator's language (:mod:`engine.runtime.juel`). User-task
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
  - ``camunda:class`` / ``camunda:delegateExpression`` / ``camunda:expression``: Java code.
    Deploying needs a ``"delegates"`` entry for the attribute's value (``"${mailer}"`` or
    just ``"mailer"``, ``"org.acme.SendMail"``); otherwise a message says which entry to add.
  - ``camunda:connector`` (Camunda Connect): a ``"connectors"`` entry for its connectorId.

  ``camunda:inputOutput`` input parameters (text, ``${...}``, ``camunda:list``,
  ``camunda:map``) and ``camunda:field`` injections become the operation's parameters;
  the connector's result fields become process variables (or ``camunda:resultVariable``).

  ``camunda-mapping.json`` in the process folder, all keys optional::

      {"topics":     {"registerLookup": "melderegister.find_person"},
       "delegates":  {"${sendMailDelegate}": "mail.send", "org.acme.Archive": "dms.hand_over"},
       "connectors": {"http-connector": "http.request"}}

* **Start.** ``camunda:initiator="v"`` puts the id of the user who starts a case into
  variable ``v`` (recorded as an extension property, applied by ``start_case``).
* **Not yet projected:** ``camunda:followUpDate`` is checked and kept in ElementInfo, but
  work items have no follow-up column yet.
* **Refused with a message naming the element:** Groovy/JavaScript/... scripts (script
  tasks, script parameters, script listeners), execution and task listeners, output
  parameters, variable renaming on call activities, cron expressions that are not a fixed
  interval, and any JUEL beyond the supported subset (method calls, beans, ``execution``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime import juel
from engine.runtime.model import ServiceCall
from engine.runtime.namespaces import BPMN, CAMUNDA, tag

TIMER_TAGS = ("timeDuration", "timeDate", "timeCycle")
MAPPING_FILE = "camunda-mapping.json"
MAPPING_SECTIONS = ("topics", "delegates", "connectors")
EXTERNAL_CONNECTOR = "camunda"          # the connector that answers unmapped external topics
DELEGATE_ATTRIBUTES = ("class", "delegateExpression", "expression")
USER_TASK_EXPRESSIONS = ("assignee", "candidateGroups", "candidateUsers", "dueDate", "followUpDate", "priority")
INITIATOR_PROPERTY = "amtsflow:initiatorVariable"
_OPERATION = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_.-]*$")
_IMPLEMENTED = ("serviceTask", "sendTask", "businessRuleTask")

Fail = Callable[[etree._Element, str], None]


# --- camunda-mapping.json ----------------------------------------------------------------

def mapping_problems(data: Any, filename: str) -> list[Problem]:
    """Problems of a camunda-mapping.json file (its shape and operation names)."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return [Problem(filename, 1, "", "camunda-mapping.json must be a JSON object with "
                                          "'topics', 'delegates' and/or 'connectors'")]
    for key in data:
        if key not in MAPPING_SECTIONS:
            problems.append(Problem(filename, 1, "", f"unknown section '{key}' (expected one of "
                                                     f"{', '.join(MAPPING_SECTIONS)})"))
    for section in MAPPING_SECTIONS:
        entries = data.get(section, {})
        if not isinstance(entries, dict):
            problems.append(Problem(filename, 1, "", f"'{section}' must map names to \"connector.operation\""))
            continue
        for name, operation in entries.items():
            if not isinstance(operation, str) or not _OPERATION.match(operation):
                problems.append(Problem(filename, 1, "", f"{section} '{name}': {operation!r} is not a connector "
                                                         "operation of the form \"connector.operation\""))
    return problems


def _section(mapping: dict[str, Any] | None, section: str) -> dict[str, str]:
    entries = (mapping or {}).get(section) or {}
    return {k: v for k, v in entries.items() if isinstance(v, str)} if isinstance(entries, dict) else {}


def _bare(value: str) -> str:
    """'${mailer}' / '#{mailer}' -> 'mailer'; anything else unchanged."""
    match = re.fullmatch(r"\s*[$#]\{\s*(.*?)\s*\}\s*", value)
    return match.group(1) if match else value.strip()


# --- what implements a service task ------------------------------------------------------

@dataclass(frozen=True)
class Implementation:
    """How a Camunda service task is implemented and which connector operation runs it."""

    kind: str                 # "external", "delegate", "connector", "decision", "none"
    name: str                 # topic, delegate attribute value, connectorId, decisionRef
    attribute: str = ""       # for delegates: class, delegateExpression or expression
    operation: str | None = None   # resolved "connector.operation"; None: needs a mapping

    @property
    def mapping_entry(self) -> tuple[str, str] | None:
        """(section, key) of the camunda-mapping.json entry this task needs or uses."""
        section = {"external": "topics", "delegate": "delegates", "connector": "connectors"}.get(self.kind)
        return (section, self.name) if section else None


def implementation(node: etree._Element, mapping: dict[str, Any] | None) -> Implementation:
    if node.get(tag("decisionRef", CAMUNDA)) is not None:
        return Implementation("decision", node.get(tag("decisionRef", CAMUNDA), ""))
    if node.get(tag("type", CAMUNDA)) == "external":
        topic = node.get(tag("topic", CAMUNDA)) or ""
        operation = _section(mapping, "topics").get(topic) or (f"{EXTERNAL_CONNECTOR}.{topic}" if topic else None)
        return Implementation("external", topic, operation=operation)
    for attr in DELEGATE_ATTRIBUTES:
        value = node.get(tag(attr, CAMUNDA))
        if value is not None:
            delegates = _section(mapping, "delegates")
            operation = delegates.get(value) or delegates.get(_bare(value))
            return Implementation("delegate", value, attr, operation)
    connector = node.find(f"{tag('extensionElements')}/{tag('connector', CAMUNDA)}")
    if connector is not None:
        connector_id = (connector.findtext(tag("connectorId", CAMUNDA)) or "").strip()
        return Implementation("connector", connector_id, operation=_section(mapping, "connectors").get(connector_id))
    return Implementation("none", "")


# --- the tree rewrite -------------------------------------------------------------------

def _owner(node: etree._Element) -> str:
    current: etree._Element | None = node
    while current is not None and not current.get("id"):
        current = current.getparent()
    return current.get("id", "") if current is not None else ""


def translate_tree(root: etree._Element, filename: str, mapping: dict[str, Any] | None) -> list[Problem]:
    """Rewrite expressions in place; return problems for what cannot run.

    ``mapping`` is the content of camunda-mapping.json (a bare ``{name: operation}`` dict
    is read as the ``delegates`` section, as older callers passed it).
    """
    if mapping and not any(k in MAPPING_SECTIONS for k in mapping):
        mapping = {"delegates": mapping}
    problems: list[Problem] = []

    def fail(node: etree._Element, message: str) -> None:
        problems.append(Problem(filename, node.sourceline or 0, _owner(node), message))

    _translate_conditions(root, fail)
    _translate_timers(root, fail)
    _blank_foreign_scripts(root)
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
            if name != "businessRuleTask" or node.get(tag("decisionRef", CAMUNDA)) is None:
                _check_implementation(node, mapping, fail)
    for node in root.iter(tag("userTask")):
        _check_user_task(node, fail)
    for node in root.iter(tag("startEvent")):
        _record_initiator(node)
    for node in root.iter(tag("inputOutput", CAMUNDA)):
        _check_input_output(node, fail)
    for node in root.iter(tag("executionListener", CAMUNDA), tag("taskListener", CAMUNDA)):
        fail(node, _listener_message(node))
    for node in root.iter(tag("in", CAMUNDA), tag("out", CAMUNDA)):
        _check_variable_mapping(node, fail)
    return problems


def _translate_conditions(root: etree._Element, fail: Fail) -> None:
    tags = (tag("conditionExpression"), tag("completionCondition"), tag("loopCardinality"), tag("condition"))
    for node in root.iter(*tags):
        text = (node.text or "").strip()
        language = (node.get("language") or "").lower()
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


def _blank_foreign_scripts(root: etree._Element) -> None:
    """Scripts in other languages are reported by the static checks (by scriptFormat); their
    text must not be reported a second time as a Python syntax error."""
    for node in root.iter(tag("scriptTask")):
        if (node.get("scriptFormat") or "python").strip().lower() not in ("python", "text/x-python", "py"):
            for script in node.findall(tag("script")):
                script.text = ""


def _translate_timers(root: etree._Element, fail: Fail) -> None:
    for name in TIMER_TAGS:
        for node in root.iter(tag(name)):
            text = (node.text or "").strip()
            try:
                node.text = juel.translate_timer(text)
            except juel.JuelError as exc:
                fail(node, f"timer {text!r}: {exc}")
                node.text = "'PT1H'"  # reported once here, not again by the expression checker
                continue


def _check_implementation(node: etree._Element, mapping: dict[str, Any] | None, fail: Fail) -> None:
    impl = implementation(node, mapping)
    if node.tag == tag("businessRuleTask") and impl.kind in ("none", "decision"):
        fail(node, "business rule task needs camunda:decisionRef pointing at a DMN decision")
        return
    if impl.kind == "external":
        if not impl.name:
            fail(node, "external task has no camunda:topic")
        return
    if impl.kind == "delegate":
        if impl.operation is None:
            fail(node, f"camunda:{impl.attribute}='{impl.name}' is Java code and cannot run here; map it to a "
                       f"connector operation in {MAPPING_FILE}: "
                       f"{{\"delegates\": {{\"{_bare(impl.name)}\": \"connector.operation\"}}}}")
        return
    if impl.kind == "connector":
        if impl.operation is None:
            fail(node, f"camunda:connector '{impl.name or '?'}' (Camunda Connect) cannot run here; map it to a "
                       f"connector operation in {MAPPING_FILE}: "
                       f"{{\"connectors\": {{\"{impl.name or 'connectorId'}\": \"connector.operation\"}}}}")
        return
    fail(node, "service task names no implementation (camunda:type=\"external\" with a camunda:topic, "
               f"or a Java delegate mapped in {MAPPING_FILE})")


def _check_user_task(node: etree._Element, fail: Fail) -> None:
    for attr in USER_TASK_EXPRESSIONS:
        value = node.get(tag(attr, CAMUNDA))
        if value is None:
            continue
        parts = [p.strip() for p in value.split(",") if p.strip()] if attr.startswith("candidate") else [value]
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
        return juel._is_duration(text.upper())
    for parse in (datetime.fromisoformat, date.fromisoformat):
        try:
            parse(text)
            return True
        except ValueError:
            continue
    return False


def _record_initiator(node: etree._Element) -> None:
    """camunda:initiator="v" on a start event: the starting user's id lands in variable v.
    Recorded as an extension property so that dialect-independent code can read it."""
    variable = node.get(tag("initiator", CAMUNDA))
    if not variable or not variable.isidentifier():
        return
    ext = node.find(tag("extensionElements"))
    if ext is None:
        ext = etree.Element(tag("extensionElements"))
        node.insert(0, ext)
    props = ext.find(tag("properties", CAMUNDA))
    if props is None:
        props = etree.SubElement(ext, tag("properties", CAMUNDA))
    etree.SubElement(props, tag("property", CAMUNDA), name=INITIATOR_PROPERTY, value=variable)


def start_variables(model: Any, user: str) -> dict[str, Any]:
    """Variables a Camunda model sets when ``user`` starts a case (camunda:initiator)."""
    variables: dict[str, Any] = {}
    for info in getattr(model, "elements", {}).values():
        if info.kind == "startEvent" and not info.nested:
            name = info.properties.get(INITIATOR_PROPERTY)
            if name:
                variables[name] = user
    return variables


def _check_input_output(node: etree._Element, fail: Fail) -> None:
    parent = node.getparent()
    owner = parent.getparent() if parent is not None else None
    if parent is not None and parent.tag == tag("connector", CAMUNDA):  # task > extensionElements > connector
        owner = owner.getparent() if owner is not None else None
    kind = etree.QName(owner).localname if owner is not None else ""
    if kind not in ("serviceTask", "sendTask"):
        fail(node, f"camunda:inputOutput on a {kind or 'this element'} is not supported (only on service and "
                   "send tasks, where input parameters become the connector operation's parameters)")
        return
    for param in node.findall(tag("inputParameter", CAMUNDA)):
        try:
            _parameter_expression(param)
        except juel.JuelError as exc:
            fail(param, f"input parameter '{param.get('name')}': {exc}")
    for param in node.findall(tag("outputParameter", CAMUNDA)):
        script = param.find(f".//{tag('script', CAMUNDA)}")
        if script is not None:
            fail(param, f"output parameter '{param.get('name')}': {_script_message(script)}")
        else:
            fail(param, f"output parameter '{param.get('name')}': output mappings are not supported; the connector "
                        "operation's result fields become process variables under their own names")


def _script_message(script: etree._Element) -> str:
    language = script.get("scriptFormat") or "unknown"
    return (f"{language} script cannot run here (the engine runs no Groovy/JavaScript); "
            "compute the value in a connector operation or with a ${...} expression")


def _listener_message(node: etree._Element) -> str:
    what = "execution listener" if node.tag == tag("executionListener", CAMUNDA) else "task listener"
    event = node.get("event") or "?"
    script = node.find(tag("script", CAMUNDA))
    if script is not None:
        return f"{what} ({event}): {_script_message(script)}"
    for attr in DELEGATE_ATTRIBUTES:
        if node.get(attr):
            return (f"{what} ({event}) camunda {attr}='{node.get(attr)}' is Java code and cannot run here; "
                    "model the step as a service task mapped to a connector operation")
    return f"{what} ({event}) cannot run here; model the step as a service task with a connector"


def _check_variable_mapping(node: etree._Element, fail: Fail) -> None:
    if node.get("variables") == "all" or node.get("businessKey") is not None:
        return
    source, target = node.get("source") or node.get("sourceExpression"), node.get("target")
    if node.get("sourceExpression") or source != target or node.get("local") == "true":
        fail(node, f"camunda:{etree.QName(node).localname} mapping '{source}' -> '{target}' is not supported: "
                   "a called process sees and returns all variables under their own names")


# --- service calls ------------------------------------------------------------------------

def service_call(node: etree._Element, mapping: dict[str, Any] | None, problems: list[Problem],
                 filename: str) -> ServiceCall | None:
    if mapping and not any(k in MAPPING_SECTIONS for k in mapping):
        mapping = {"delegates": mapping}
    impl = implementation(node, mapping)
    if impl.operation is None:
        return None
    params: dict[str, str] = {}
    for field in node.findall(f"{tag('extensionElements')}/{tag('field', CAMUNDA)}"):
        value = field.get("stringValue") or field.get("expression") or field.findtext(tag("string", CAMUNDA)) \
            or field.findtext(tag("expression", CAMUNDA)) or ""
        try:
            params[field.get("name", "")] = _value_expression_text(value)
        except juel.JuelError as exc:
            problems.append(Problem(filename, field.sourceline or 0, node.get("id", ""),
                                    f"field '{field.get('name')}': {exc}"))
    ios = [node.find(f"{tag('extensionElements')}/{tag('inputOutput', CAMUNDA)}"),
           node.find(f"{tag('extensionElements')}/{tag('connector', CAMUNDA)}/{tag('inputOutput', CAMUNDA)}")]
    for io in (i for i in ios if i is not None):
        for param in io.findall(tag("inputParameter", CAMUNDA)):
            try:
                params[param.get("name", "")] = _parameter_expression(param)
            except juel.JuelError:
                pass  # reported by translate_tree
    retries, interval = _retry_cycle(node)
    result_variable = node.get(tag("resultVariable", CAMUNDA)) or ""
    return ServiceCall(operation=impl.operation, params=params, result_variable=result_variable, retries=retries,
                       retry_interval_s=interval)


def _parameter_expression(param: etree._Element) -> str:
    children = [c for c in param if isinstance(c.tag, str)]
    if not children:
        return _value_expression_text(param.text or "")
    child = children[0]
    if child.tag == tag("list", CAMUNDA):
        return "[" + ", ".join(_value_expression(v) for v in child if isinstance(v.tag, str)) + "]"
    if child.tag == tag("map", CAMUNDA):
        items = [f"{e.get('key', '')!r}: {_value_expression(e)}" for e in child.findall(tag("entry", CAMUNDA))]
        return "{" + ", ".join(items) + "}"
    if child.tag == tag("script", CAMUNDA):
        raise juel.JuelError(_script_message(child))
    raise juel.JuelError(f"unsupported parameter element <{etree.QName(child).localname}>")


def _value_expression(node: etree._Element) -> str:
    """A list item or map entry: text, ${...}, or a nested camunda:list / camunda:map."""
    children = [c for c in node if isinstance(c.tag, str)]
    if children:
        return _parameter_expression(node)
    return _value_expression_text(node.text or "")


def _value_expression_text(text: str) -> str:
    stripped = text.strip()
    return juel.translate(stripped) if juel.is_juel(stripped) else repr(stripped)


_CYCLE = re.compile(r"^R(\d+)/PT?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


def _retry_cycle(node: etree._Element) -> tuple[int | None, float | None]:
    text = node.findtext(f"{tag('extensionElements')}/{tag('failedJobRetryTimeCycle', CAMUNDA)}")
    match = _CYCLE.match((text or "").strip().upper())
    if not match:
        return None, None
    hours, minutes, seconds = (int(g or 0) for g in match.groups()[1:])
    return int(match.group(1)), float(hours * 3600 + minutes * 60 + seconds)


__all__ = ["translate_tree", "service_call", "implementation", "Implementation", "mapping_problems",
           "start_variables", "MAPPING_FILE", "EXTERNAL_CONNECTOR", "BPMN"]
