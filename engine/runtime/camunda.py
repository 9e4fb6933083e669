"""Camunda 7 dialect: translate what can be translated at deploy time, report the rest.

JUEL ``${...}`` conditions, timer literals and multi-instance expressions are rewritten in
the XML tree into the safe evaluator's language before SpiffWorkflow parses it. External
task topics become connector operations; Java delegates need a mapping.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime import juel
from engine.runtime.model import ServiceCall
from engine.runtime.namespaces import CAMUNDA, tag

TIMER_TAGS = ("timeDuration", "timeDate", "timeCycle")


def _owner(node: etree._Element) -> str:
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node.get("id", "") if node is not None else ""


def translate_tree(root: etree._Element, filename: str, delegates: dict[str, str]) -> list[Problem]:
    """Rewrite expressions in place; return problems for what cannot run."""
    problems: list[Problem] = []

    def fail(node: etree._Element, message: str) -> None:
        problems.append(Problem(filename, node.sourceline or 0, _owner(node), message))

    for node in root.iter(tag("conditionExpression"), tag("completionCondition"), tag("loopCardinality")):
        text = (node.text or "").strip()
        if node.get("language") and node.get("language", "").lower() not in ("juel", "python", ""):
            fail(node, f"expression language '{node.get('language')}' is not supported")
            continue
        if juel.is_juel(text):
            try:
                node.text = juel.translate(text)
            except juel.JuelError as exc:
                fail(node, f"expression {text!r}: {exc}")
    for name in TIMER_TAGS:
        for node in root.iter(tag(name)):
            text = (node.text or "").strip()
            try:
                node.text = juel.translate_timer(text)
            except juel.JuelError as exc:
                fail(node, f"timer {text!r}: {exc}")
    for node in root.iter(tag("multiInstanceLoopCharacteristics")):
        for attr in ("collection", "elementVariable"):
            value = node.get(tag(attr, CAMUNDA))
            if value and juel.is_juel(value):
                try:
                    node.set(tag(attr, CAMUNDA), juel.translate(value))
                except juel.JuelError as exc:
                    fail(node, f"{attr} {value!r}: {exc}")
    for node in root.iter(tag("serviceTask"), tag("sendTask"), tag("businessRuleTask")):
        if node.tag != tag("businessRuleTask") or node.get(tag("decisionRef", CAMUNDA)) is None:
            _check_implementation(node, delegates, fail)
    for node in root.iter(tag("executionListener", CAMUNDA), tag("taskListener", CAMUNDA)):
        fail(node, "execution/task listeners are Java or script code and cannot run here; model the step as a "
                   "service task with a connector")
    return problems


def _check_implementation(node: etree._Element, delegates: dict[str, str], fail: Any) -> None:
    if node.tag == tag("businessRuleTask"):
        fail(node, "business rule task needs camunda:decisionRef pointing at a DMN decision")
        return
    if node.get(tag("type", CAMUNDA)) == "external":
        if not node.get(tag("topic", CAMUNDA)):
            fail(node, "external task has no camunda:topic")
        return
    for attr in ("class", "delegateExpression", "expression"):
        value = node.get(tag(attr, CAMUNDA))
        if value is not None:
            if value in delegates:
                return
            fail(node, f"camunda:{attr}='{value}' is Java code and cannot run here; map it to a connector "
                       "operation in camunda-mapping.json (\"delegates\": {name: \"connector.operation\"})")
            return
    if node.find(f".//{tag('connector', CAMUNDA)}") is not None:
        fail(node, "camunda:connector is not supported; use the 'http' connector operation via an external topic")
        return
    fail(node, "service task names no implementation (camunda:type=\"external\" with a topic, or a mapped delegate)")


def service_call(node: etree._Element, delegates: dict[str, str], problems: list[Problem], filename: str) -> ServiceCall | None:
    operation = node.get(tag("topic", CAMUNDA))
    if operation is None:
        for attr in ("class", "delegateExpression", "expression"):
            value = node.get(tag(attr, CAMUNDA))
            if value is not None and value in delegates:
                operation = delegates[value]
    if operation is None:
        return None
    params: dict[str, str] = {}
    io = node.find(f"{tag('extensionElements')}/{tag('inputOutput', CAMUNDA)}")
    if io is not None:
        for param in io.findall(tag("inputParameter", CAMUNDA)):
            try:
                params[param.get("name", "")] = _parameter_expression(param)
            except juel.JuelError as exc:
                problems.append(Problem(filename, param.sourceline or 0, node.get("id", ""),
                                        f"input parameter '{param.get('name')}': {exc}"))
    retries, interval = _retry_cycle(node)
    return ServiceCall(operation=operation, params=params, result_variable="", retries=retries,
                       retry_interval_s=interval)


def _parameter_expression(param: etree._Element) -> str:
    children = [c for c in param if isinstance(c.tag, str)]
    if not children:
        return juel.translate((param.text or "").strip()) if juel.is_juel(param.text or "") else repr(param.text or "")
    child = children[0]
    if child.tag == tag("list", CAMUNDA):
        return "[" + ", ".join(_value_expression(v) for v in child if isinstance(v.tag, str)) + "]"
    if child.tag == tag("map", CAMUNDA):
        items = [f"{e.get('key', '')!r}: {_value_expression(e)}" for e in child.findall(tag("entry", CAMUNDA))]
        return "{" + ", ".join(items) + "}"
    if child.tag == tag("script", CAMUNDA):
        raise juel.JuelError("script parameters (Groovy/JavaScript) cannot run here")
    raise juel.JuelError(f"unsupported parameter element {child.tag}")


def _value_expression(node: etree._Element) -> str:
    text = (node.text or "").strip()
    return juel.translate(text) if juel.is_juel(text) else repr(text)


_CYCLE = re.compile(r"^R(\d+)/PT?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


def _retry_cycle(node: etree._Element) -> tuple[int | None, float | None]:
    text = node.findtext(f"{tag('extensionElements')}/{tag('failedJobRetryTimeCycle', CAMUNDA)}")
    match = _CYCLE.match((text or "").strip().upper())
    if not match:
        return None, None
    hours, minutes, seconds = (int(g or 0) for g in match.groups()[1:])
    return int(match.group(1)), float(hours * 3600 + minutes * 60 + seconds)
