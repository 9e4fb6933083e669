"""Camunda 7 service tasks: ``camunda-mapping.json``, what implements a task, and the
:class:`~engine.runtime.model.ServiceCall` (connector operation, parameters, retries) it
becomes.

Part of the Camunda 7 dialect translation described in :mod:`engine.runtime.camunda`,
which re-exports the public names; the deploy-time checks that report unmapped
implementations are in :mod:`engine.runtime.camunda_checks`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime import juel
from engine.runtime.model import ERROR_VARIABLE, IGNORE_ERRORS, ServiceCall
from engine.runtime.namespaces import CAMUNDA, tag

MAPPING_FILE = "camunda-mapping.json"
MAPPING_SECTIONS = ("topics", "delegates", "connectors", "beans", "scripts")
EXTERNAL_SECTION = "external"           # a list of topics reserved for outside workers
EXTERNAL_CONNECTOR = "camunda"          # the connector that answers unmapped external topics
DELEGATE_ATTRIBUTES = ("class", "delegateExpression", "expression")
# camunda:type values with a built-in connector operation (Flowable's mail and http tasks,
# normalised by engine.runtime.flowable); their camunda:field injections are the parameters
BUILTIN_TYPES = {"mail": "mail.send_text", "http": "http.request"}
_OPERATION = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_.-]*$")


# --- camunda-mapping.json ----------------------------------------------------------------

def mapping_problems(data: Any, filename: str) -> list[Problem]:
    """Problems of a camunda-mapping.json file (its shape and operation names)."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return [Problem(filename, 1, "", "camunda-mapping.json must be a JSON object with "
                                          "'topics', 'delegates', 'connectors' and/or 'beans'")]
    for key in data:
        if key not in MAPPING_SECTIONS and key != EXTERNAL_SECTION:
            problems.append(Problem(filename, 1, "", f"unknown section '{key}' (expected one of "
                                                     f"{', '.join(MAPPING_SECTIONS)})"))
    external = data.get(EXTERNAL_SECTION, [])
    if not isinstance(external, list) or not all(isinstance(x, str) and x.strip() for x in external):
        problems.append(Problem(filename, 1, "", "'external' must list the topics that outside workers "
                                                 "(Camunda external-task clients) fetch, e.g. [\"registerLookup\"]"))
    for section in MAPPING_SECTIONS:
        entries = data.get(section, {})
        if not isinstance(entries, dict):
            problems.append(Problem(filename, 1, "", f"'{section}' must map names to \"connector.operation\""))
            continue
        for name, operation in entries.items():
            if section == "beans":
                problems.extend(_bean_problems(name, operation, filename))
            elif not isinstance(operation, str) or not _OPERATION.match(operation):
                problems.append(Problem(filename, 1, "", f"{section} '{name}': {operation!r} is not a connector "
                                                         "operation of the form \"connector.operation\""))
    return problems


def _bean_problems(name: str, target: Any, filename: str) -> list[Problem]:
    """A "beans" entry: "bean.method" -> an engine function name or "connector.operation"."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*", name):
        return [Problem(filename, 1, "", f"beans '{name}': the key must be \"bean.method\" as the model "
                                         "calls it (e.g. \"user.email\")")]
    if not isinstance(target, str) or not (_OPERATION.match(target) or target.isidentifier()):
        return [Problem(filename, 1, "", f"beans '{name}': {target!r} is neither an engine function "
                                         "(e.g. \"portal_url\") nor a connector operation \"connector.operation\"")]
    return []


def bean_functions(mapping: dict[str, Any] | None) -> dict[str, str]:
    """Beans mapped to engine functions ("bean.method" -> function name)."""
    return {k: v for k, v in mapping_section(mapping, "beans").items() if v.isidentifier()}


def bean_operations(mapping: dict[str, Any] | None) -> dict[str, str]:
    """Beans mapped to connector operations ("bean.method" -> "connector.operation")."""
    return {k: v for k, v in mapping_section(mapping, "beans").items() if _OPERATION.match(v)}


def bean_call_operation(expression: str, mapping: dict[str, Any] | None) -> str | None:
    """The connector operation of ``${bean.method(...)}`` when "bean.method" is mapped to one."""
    match = re.fullmatch(r"\s*[$#]\{\s*([A-Za-z_]\w*\.[A-Za-z_]\w*)\s*\(.*\)\s*\}\s*", expression, re.S)
    return bean_operations(mapping).get(match.group(1)) if match else None


def delegate_operation(value: str, mapping: dict[str, Any] | None) -> str | None:
    """The connector operation a "delegates" entry maps a Java class or delegate expression to
    (keyed by the value as written or without its ``${}``); None when unmapped."""
    delegates = mapping_section(mapping, "delegates")
    return delegates.get(value) or delegates.get(bare_name(value))


def _translatable(expression: str) -> bool:
    try:
        juel.translate(expression.strip())
    except juel.JuelError:
        return False
    return juel.is_juel(expression)


SCRIPT_MAPPED = "{urn:amtsflow}mappedScript"  # on a script task turned service task: its "scripts" key
EXPRESSION_PROPERTY = "amtsflow:expression"   # the translated camunda:expression of a service task
TRIGGERABLE_PROPERTY = "amtsflow:triggerable"  # "true": the service task waits for its trigger after its call


def trigger_message(element_id: str) -> str:
    """The message that triggers a waiting triggerable service task: its element id."""
    return element_id


def external_topics(mapping: dict[str, Any] | None) -> set[str]:
    """Topics the process folder reserves for outside workers (``"external": [...]``)."""
    entries = (mapping or {}).get(EXTERNAL_SECTION) or []
    return {e for e in entries if isinstance(e, str)} if isinstance(entries, list) else set()


def mapping_section(mapping: dict[str, Any] | None, section: str) -> dict[str, str]:
    entries = (mapping or {}).get(section) or {}
    return {k: v for k, v in entries.items() if isinstance(v, str)} if isinstance(entries, dict) else {}


def script_operation(key: str, mapping: dict[str, Any] | None) -> str | None:
    """The connector operation a "scripts" entry maps a script (resource path or element id) to."""
    return mapping_section(mapping, "scripts").get(key) if key else None


def mapped_scripts_as_service_tasks(root: etree._Element, mapping: dict[str, Any] | None) -> None:
    """A script task whose script camunda-mapping.json maps under ``"scripts"`` (by its
    ``camunda:resource`` path, else its id) to a connector operation becomes a service task
    calling that operation: the way to bring a Groovy (or other) script whose language cannot
    run here, once its work is implemented as a connector operation. Its input parameters are
    the call's parameters, the answer lands in ``camunda:resultVariable`` as with any service
    task; listeners, input/output mappings and async flags stay."""
    from engine.runtime.checks import script_key

    if not mapping_section(mapping, "scripts"):
        return
    for node in list(root.iter(tag("scriptTask"))):
        key = script_key(node)
        if script_operation(key, mapping) is None:
            continue
        for script in node.findall(tag("script")):
            node.remove(script)
        for attr in ("scriptFormat", tag("resource", CAMUNDA)):
            node.attrib.pop(attr, None)
        node.set(SCRIPT_MAPPED, key)
        node.tag = tag("serviceTask")


def bare_name(value: str) -> str:
    """'${mailer}' / '#{mailer}' -> 'mailer'; anything else unchanged."""
    match = re.fullmatch(r"\s*[$#]\{\s*(.*?)\s*\}\s*", value)
    return match.group(1) if match else value.strip()


# --- what implements a service task ------------------------------------------------------

@dataclass(frozen=True)
class Implementation:
    """How a Camunda service task is implemented and which connector operation runs it."""

    kind: str                 # "external", "builtin", "delegate", "connector", "script", "decision", "expression",
    #                           "none"
    name: str                 # topic, delegate attribute value, connectorId, decisionRef
    attribute: str = ""       # for delegates: class, delegateExpression or expression
    operation: str | None = None   # resolved "connector.operation"; None: needs a mapping

    @property
    def mapping_entry(self) -> tuple[str, str] | None:
        """(section, key) of the camunda-mapping.json entry this task needs or uses."""
        section = {"external": "topics", "delegate": "delegates", "connector": "connectors",
                   "script": "scripts"}.get(self.kind)
        return (section, self.name) if section else None


def implementation(node: etree._Element, mapping: dict[str, Any] | None) -> Implementation:
    script = node.get(SCRIPT_MAPPED)
    if script is not None:   # a script task whose work camunda-mapping.json hands to a connector
        return Implementation("script", script, operation=mapping_section(mapping, "scripts").get(script))
    if node.get(tag("decisionRef", CAMUNDA)) is not None:
        return Implementation("decision", node.get(tag("decisionRef", CAMUNDA), ""))
    if node.get(tag("type", CAMUNDA)) == "external":
        topic = node.get(tag("topic", CAMUNDA)) or ""
        operation = mapping_section(mapping, "topics").get(topic) or (f"{EXTERNAL_CONNECTOR}.{topic}" if topic else None)
        return Implementation("external", topic, operation=operation)
    builtin = BUILTIN_TYPES.get(node.get(tag("type", CAMUNDA)) or "")
    if builtin is not None:
        return Implementation("builtin", node.get(tag("type", CAMUNDA), ""), operation=builtin)
    for attr in DELEGATE_ATTRIBUTES:
        value = node.get(tag(attr, CAMUNDA))
        if value is not None:
            delegates = mapping_section(mapping, "delegates")
            operation = delegates.get(value) or delegates.get(bare_name(value)) or bean_call_operation(value, mapping)
            if operation is None and attr == "expression" and _translatable(value):
                return Implementation("expression", value, attr)  # evaluated in the engine, no job
            return Implementation("delegate", value, attr, operation)
    connector = node.find(f"{tag('extensionElements')}/{tag('connector', CAMUNDA)}")
    if connector is not None:
        connector_id = (connector.findtext(tag("connectorId", CAMUNDA)) or "").strip()
        return Implementation("connector", connector_id, operation=mapping_section(mapping, "connectors").get(connector_id))
    return Implementation("none", "")


# --- service calls ------------------------------------------------------------------------

def service_call(node: etree._Element, mapping: dict[str, Any] | None, problems: list[Problem],
                 filename: str) -> ServiceCall | None:
    if mapping and not any(k in MAPPING_SECTIONS or k == EXTERNAL_SECTION for k in mapping):
        mapping = {"delegates": mapping}
    impl = implementation(node, mapping)
    if impl.operation is None:
        return None
    params: dict[str, str] = {}
    for field in node.findall(f"{tag('extensionElements')}/{tag('field', CAMUNDA)}"):
        value = field.get("stringValue") or field.get("expression") or field.findtext(tag("string", CAMUNDA)) \
            or field.findtext(tag("expression", CAMUNDA)) or ""
        try:
            params[field.get("name", "")] = value_expression_text(value)
        except juel.JuelError as exc:
            problems.append(Problem(filename, field.sourceline or 0, node.get("id", ""),
                                    f"field '{field.get('name')}': {exc}"))
    own = node.find(f"{tag('extensionElements')}/{tag('inputOutput', CAMUNDA)}")
    for param in own.findall(tag("inputParameter", CAMUNDA)) if own is not None else []:
        # The activity's input parameters are its local variables (engine.runtime.io_mapping),
        # already evaluated when the task parks: the operation reads them by name.
        name = param.get("name", "")
        if name.isidentifier() and not name.startswith("_"):
            params[name] = name
    connector_io = node.find(f"{tag('extensionElements')}/{tag('connector', CAMUNDA)}/{tag('inputOutput', CAMUNDA)}")
    for param in connector_io.findall(tag("inputParameter", CAMUNDA)) if connector_io is not None else []:
        try:
            params[param.get("name", "")] = parameter_expression(param)
        except juel.JuelError:
            pass  # reported by translate_tree
    retries, interval = _retry_cycle(node)
    result_variable = node.get(tag("resultVariable", CAMUNDA)) or ""
    topic = impl.name if impl.kind == "external" and impl.name not in mapping_section(mapping, "topics") else None
    ignore_errors = node.get(IGNORE_ERRORS)
    if ignore_errors is not None:
        try:
            ignore_errors = value_expression_text(ignore_errors)
        except juel.JuelError as exc:
            problems.append(Problem(filename, node.sourceline or 0, node.get("id", ""), f"ignoreException: {exc}"))
            ignore_errors = None
    return ServiceCall(operation=impl.operation, params=params, result_variable=result_variable, retries=retries,
                       retry_interval_s=interval, topic=topic, external=topic is not None
                       and topic in external_topics(mapping), ignore_errors=ignore_errors,
                       error_variable=node.get(ERROR_VARIABLE))


def parameter_expression(param: etree._Element) -> str:
    children = [c for c in param if isinstance(c.tag, str)]
    if not children:
        return value_expression_text(param.text or "")
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
        return parameter_expression(node)
    return value_expression_text(node.text or "")


def value_expression_text(text: str) -> str:
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


def _script_message(script: etree._Element) -> str:
    from engine.runtime.checks import foreign_script_message

    return foreign_script_message(script.get("scriptFormat") or "unnamed")
