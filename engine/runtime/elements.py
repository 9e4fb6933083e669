"""Extract dialect-independent element metadata (ElementInfo) from a BPMN process element."""

from __future__ import annotations

from typing import Any, Callable

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime import cycle_end, juel
from engine.runtime.model import INSTANCE_SIGNAL, ElementInfo, Form, ServiceCall
from engine.runtime.namespaces import BPMN, CAMUNDA, SPIFF, local_name, tag

FLOW_NODE_KINDS = {
    "userTask", "manualTask", "task", "serviceTask", "sendTask", "receiveTask", "scriptTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "startEvent", "endEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway",
    "parallelGateway", "inclusiveGateway", "eventBasedGateway",
}

FormLoader = Callable[[str, etree._Element], Form | None]  # (reference, element node) -> Form


def lanes_of(process: etree._Element) -> dict[str, str]:
    """flow node id -> lane name (nested lanes: the innermost wins)."""
    result: dict[str, str] = {}
    for lane in process.iter(tag("lane")):
        name = lane.get("name") or lane.get("id") or ""
        for ref in lane.findall(tag("flowNodeRef")):
            if ref.text:
                result[ref.text.strip()] = name
    return result


def split_names(value: str | None) -> list[str]:
    """A comma-separated list of names and ${...} expressions; a comma inside an expression
    (``${'user1, user2'}``) does not split."""
    parts: list[str] = []
    current, depth = "", 0
    for char in value or "":
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


_split = split_names


def _extension_properties(node: etree._Element) -> dict[str, str]:
    props: dict[str, str] = {}
    ext = node.find(tag("extensionElements"))
    if ext is None:
        return props
    for ns in (SPIFF, CAMUNDA):
        for prop in ext.iter(tag("property", ns)):
            if prop.get("name"):
                props[prop.get("name", "")] = prop.get("value", "")
    return props


def _documentation(node: etree._Element) -> str:
    doc = node.find(tag("documentation"))
    return (doc.text or "").strip() if doc is not None else ""


def _instructions(node: etree._Element) -> str:
    ext = node.find(tag("extensionElements"))
    found = ext.find(tag("instructionsForEndUser", SPIFF)) if ext is not None else None
    return (found.text or "").strip() if found is not None else ""


def spiff_service_call(node: etree._Element) -> ServiceCall | None:
    ext = node.find(tag("extensionElements"))
    op = ext.find(tag("serviceTaskOperator", SPIFF)) if ext is not None else None
    if op is None:
        return None
    params = {
        p.get("id", ""): p.get("value", "")
        for p in op.iter(tag("parameter", SPIFF))
        if p.get("id")
    }
    retries = op.get("retries") or (ext.findtext(tag("retry", SPIFF)) if ext is not None else None)
    return ServiceCall(
        operation=op.get("id", ""),
        params=params,
        result_variable=op.get("resultVariable") or f"{node.get('id')}_result",
        retries=int(retries) if retries and retries.isdigit() else None,
    )


def _event_details(info: ElementInfo, node: etree._Element, messages: dict[str, str],
                   signals: dict[str, str], instance_signals: set[str]) -> None:
    ref = node.find(tag("messageEventDefinition"))
    if ref is not None and ref.get("messageRef"):
        info.message = messages.get(ref.get("messageRef", ""), ref.get("messageRef"))
    ref = node.find(tag("signalEventDefinition"))
    if ref is not None and ref.get("signalRef"):
        info.signal = signals.get(ref.get("signalRef", ""), ref.get("signalRef"))
        if ref.get("signalRef") in instance_signals:
            info.properties[INSTANCE_SIGNAL] = "true"
    timer = node.find(tag("timerEventDefinition"))
    if timer is not None:
        for child in timer:
            if isinstance(child.tag, str) and child.text:
                info.timer = child.text.strip()
                info.timer_end = cycle_end.expression_of(child)


def element_infos(
    process: etree._Element,
    dialect: str,
    load_form: FormLoader,
    problems: list[Problem],
    filename: str,
    camunda_service: Callable[[etree._Element, list[Problem]], ServiceCall | None] | None = None,
) -> dict[str, ElementInfo]:
    lanes = lanes_of(process)
    root = process.getroottree().getroot()
    messages = {m.get("id", ""): m.get("name") or m.get("id") or "" for m in root.iter(tag("message"))}
    signals = {m.get("id", ""): m.get("name") or m.get("id") or "" for m in root.iter(tag("signal"))}
    instance_signals = {m.get("id", "") for m in root.iter(tag("signal"))
                        if (m.get(tag("scope", CAMUNDA)) or "").lower() == "processinstance"}
    infos: dict[str, ElementInfo] = {}
    process_properties = _extension_properties(process)  # once: a process node has every element as a child
    for node in process.iter():
        if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN}}}"):
            continue
        kind = local_name(node.tag)
        if kind not in FLOW_NODE_KINDS or not node.get("id"):
            continue
        element_id = node.get("id", "")
        line = node.sourceline or 0
        info = ElementInfo(
            id=element_id,
            name=node.get("name") or element_id,
            kind=kind,
            line=line,
            lane=lanes.get(element_id),
            properties=_extension_properties(node),
            documentation=_documentation(node),
            instructions=_instructions(node) if dialect == "spiff" else "",
        )
        if kind.endswith("Event"):
            _event_details(info, node, messages, signals, instance_signals)
            info.nested = node.getparent() is not process
        if kind in ("userTask", "manualTask", "startEvent"):
            _user_task_fields(info, node, dialect, load_form)
        info.job_priority, info.job_priority_expression = _job_priority(node, process, process_properties, problems,
                                                                        filename)
        if kind in ("serviceTask", "sendTask"):
            if dialect == "spiff":
                info.service = spiff_service_call(node)
            elif camunda_service is not None:
                info.service = camunda_service(node, problems)
        infos[element_id] = info
    return infos


def _job_priority(node: etree._Element, process: etree._Element, process_properties: dict[str, str],
                  problems: list[Problem], filename: str) -> tuple[int | None, str | None]:
    """``camunda:jobPriority`` (or the spiff property ``jobPriority``) of the activity, else of
    its process: a whole number; higher runs first among due jobs (engine/domain/priorities.py).
    A ``${...}`` value is (None, its translation): evaluated for each job with the task's
    variables (engine.services.projections), as Camunda evaluates it when it creates the job."""
    for owner in (node, process):
        properties = process_properties if owner is process else _extension_properties(owner)
        attribute = owner.get(tag("jobPriority", CAMUNDA))
        value = attribute or properties.get("jobPriority")
        if value is None:
            continue
        if attribute is not None and juel.is_juel(value):   # Camunda's attribute takes JUEL
            try:
                return None, juel.translate(value.strip())
            except juel.JuelError as exc:
                problems.append(Problem(filename, owner.sourceline or 0, owner.get("id", ""),
                                        f"jobPriority {value!r}: {exc}"))
                return None, None
        try:
            return int(value.strip()), None
        except ValueError:
            problems.append(Problem(filename, owner.sourceline or 0, owner.get("id", ""),
                                    f"jobPriority {value!r} must be a whole number such as 100 "
                                    "or a ${...} expression that gives one"))
            return None, None
    return None, None


def _user_task_fields(info: ElementInfo, node: etree._Element, dialect: str, load_form: FormLoader) -> None:
    groups = _split(node.get(tag("candidateGroups", CAMUNDA)))
    if not groups and info.lane:
        groups = [info.lane]
    info.candidate_groups = groups
    info.candidate_users = _split(node.get(tag("candidateUsers", CAMUNDA)))
    info.assignee = node.get(tag("assignee", CAMUNDA))
    info.due_date = node.get(tag("dueDate", CAMUNDA)) or info.properties.get("dueDate")
    info.follow_up_date = node.get(tag("followUpDate", CAMUNDA)) or info.properties.get("followUpDate")
    info.priority = node.get(tag("priority", CAMUNDA))
    reference = None
    if dialect == "spiff":
        reference = info.properties.get("formJsonSchemaFilename")
        if reference:
            ui = info.properties.get("formUiSchemaFilename", "")
            reference = f"{reference}|{ui}"
    else:
        reference = node.get(tag("formKey", CAMUNDA)) or node.get(tag("formRef", CAMUNDA))
        if reference is None and node.find(f".//{tag('formField', CAMUNDA)}") is not None:
            reference = "camunda:formData"
    if reference:
        info.form = load_form(reference, node)


def camunda_form_fields(node: etree._Element) -> list[dict[str, Any]]:
    """camunda:formField elements as plain dicts for the form translator."""
    fields: list[dict[str, Any]] = []
    for field in node.iter(tag("formField", CAMUNDA)):
        item: dict[str, Any] = {
            "id": field.get("id", ""),
            "label": field.get("label", ""),
            "type": field.get("type", "string"),
            "defaultValue": field.get("defaultValue"),
            "constraints": [
                {"name": c.get("name", ""), "config": c.get("config")}
                for c in field.iter(tag("constraint", CAMUNDA))
            ],
            "values": [
                {"id": v.get("id", ""), "name": v.get("name", "")} for v in field.iter(tag("value", CAMUNDA))
            ],
        }
        fields.append(item)
    return fields
