"""Flowable/Activiti constructs whose Camunda twin has another shape: generated forms and
the built-in task types. Part of :func:`engine.runtime.flowable.normalise`, which has already
moved the Flowable namespace's attributes and elements into the Camunda namespace.

* ``formProperty`` -> ``camunda:formData``/``camunda:formField``: ``id`` (or ``variable``, the
  process variable it writes) -> id, ``name`` -> label, ``type`` -> type, ``default`` ->
  defaultValue, ``required="true"`` -> the required constraint, ``writable="false"`` -> readonly,
  ``readable="false"`` -> not shown, ``value`` children -> enum values. A property bound to an
  expression is refused.
* ``type="mail"`` -> connector operation ``mail.send_text``; fields ``to``, ``cc``, ``bcc``,
  ``subject``, ``text``, ``html`` become its parameters (``textVar``/``htmlVar``, a variable's
  content evaluated as a template at run time, and attachments, which in Flowable are server files,
  Java data sources or content items, are refused). The sender is the configured one (``from`` is ignored with a warning: a model
  does not choose the sender). The operation's answer lands in ``<taskId>Mail``. ``ignoreException``
  true: a failed send (the server refused the address, or it did not answer) ends the task without
  retries, its message in ``exceptionVariableName`` when that is given.
* ``type="http"`` -> ``http.request``: ``requestMethod`` -> method, ``requestUrl`` -> url,
  ``requestHeaders`` (``Name: value`` lines) -> headers, ``requestBody`` -> body_text (sent as
  given, like Flowable), ``requestTimeout`` (ms) -> timeout (s); the answer's body is kept as
  text. The answer (status, content_type, body) lands in ``responseVariableName``, default
  ``<taskId>ResponseBody`` (Flowable keeps the body alone there: read ``.body``).
* ``type="external-worker"`` -> ``camunda:type="external"`` (same topic);
  ``type="dmn"`` with ``decisionTableReferenceKey`` -> a business-rule task with
  ``camunda:decisionRef``. Other types (shell, camel, mule, case, send-event ...) are refused.
"""

from __future__ import annotations

from typing import Callable

from lxml import etree

from engine.runtime import juel
from engine.runtime.model import ERROR_VARIABLE, IGNORE_ERRORS
from engine.runtime.namespaces import CAMUNDA, tag

TYPE_ATTRIBUTE = "{urn:amtsflow:flowable}type"

BUILTIN_OPERATIONS = {"mail": "mail.send_text", "http": "http.request"}

Report = Callable[[etree._Element, str], None]

_MAIL_FIELDS = {"to": "to", "cc": "cc", "bcc": "bcc", "subject": "subject", "text": "text", "html": "html"}
_MAIL_REFUSED = {
    "textVar": "it evaluates a variable's content as a template at run time (data never becomes code here); "
               "give the text with ${...} expressions in the field 'text'",
    "attachments": "Flowable attaches files on the engine's server, Java data sources or content items, none of "
                   "which a model reaches here (an uploaded model must not read the server's files); send a document "
                   "with the mail connector's operation mail.send, whose attachments are objects of filename, "
                   "mime_type and content_base64",
    "headers": "custom mail headers are not supported",
}
_MAIL_REFUSED["htmlVar"] = _MAIL_REFUSED["textVar"].replace("'text'", "'html'")
_MAIL_IGNORED = {"from": "the configured sender is used (AMTSFLOW_CONNECTOR_MAIL_FROM)",
                 "charset": "mails are sent as UTF-8"}
_HTTP_FIELDS = {"requestMethod": "method", "requestUrl": "url", "requestHeaders": "headers", "requestBody": "body_text",
                "requestTimeout": "timeout"}


# --- formProperty ---------------------------------------------------------------------------

def forms(root: etree._Element, fail: Report) -> None:
    for ext in list(root.iter(tag("extensionElements"))):
        properties = ext.findall(tag("formProperty", CAMUNDA))
        if not properties:
            continue
        form_data = ext.find(tag("formData", CAMUNDA))
        if form_data is None:
            form_data = etree.SubElement(ext, tag("formData", CAMUNDA))
        for prop in properties:
            ext.remove(prop)
            if prop.get("expression"):
                fail(prop, f"formProperty '{prop.get('id')}' is bound to the expression {prop.get('expression')!r}; "
                           "bind it to a variable (variable=\"name\")")
                continue
            if prop.get("readable") == "false":
                continue
            form_data.append(_form_field(prop))


def _form_field(prop: etree._Element) -> etree._Element:
    field = etree.Element(tag("formField", CAMUNDA), id=prop.get("variable") or prop.get("id") or "",
                          label=prop.get("name") or prop.get("id") or "", type=prop.get("type") or "string")
    if prop.get("default") is not None:
        field.set("defaultValue", prop.get("default", ""))
    constraints = [name for name, attr, value in (("required", "required", "true"), ("readonly", "writable", "false"))
                   if prop.get(attr) == value]
    if constraints:
        validation = etree.SubElement(field, tag("validation", CAMUNDA))
        for name in constraints:
            etree.SubElement(validation, tag("constraint", CAMUNDA), name=name)
    for value in prop.findall(tag("value", CAMUNDA)):
        etree.SubElement(field, tag("value", CAMUNDA), id=value.get("id", ""), name=value.get("name") or "")
    return field


# --- task types ------------------------------------------------------------------------------

def task_types(root: etree._Element, fail: Report, warn: Report) -> None:
    for node in list(root.iter()):
        if not isinstance(node.tag, str) or TYPE_ATTRIBUTE not in node.attrib:
            continue
        kind = node.attrib.pop(TYPE_ATTRIBUTE)
        if kind == "mail":
            _mail(node, fail, warn)
        elif kind == "http":
            _http(node, fail)
        elif kind == "external-worker":
            node.set(tag("type", CAMUNDA), "external")
        elif kind == "dmn":
            _dmn(node, fail)
        else:
            fail(node, f"flowable:type=\"{kind}\" tasks cannot run here (supported: mail, http, external-worker, dmn; "
                       "for others map a delegate class to a connector operation)")


def _fields(node: etree._Element) -> dict[str, etree._Element]:
    ext = node.find(tag("extensionElements"))
    return {f.get("name", ""): f for f in ext.findall(tag("field", CAMUNDA))} if ext is not None else {}


def _rename(field: etree._Element, name: str) -> None:
    field.set("name", name)


def _literal(field: etree._Element) -> str | None:
    """The field's fixed text, or None when it is an expression."""
    if field.get("stringValue") is not None:
        return field.get("stringValue")
    text = field.findtext(tag("string", CAMUNDA))
    return text.strip() if text is not None else None


def _set_expression(field: etree._Element, expression: str) -> None:
    """Replace the field's value by a ${...} expression."""
    for child in list(field):
        field.remove(child)
    field.attrib.pop("stringValue", None)
    field.set("expression", expression)


def _mail(node: etree._Element, fail: Report, warn: Report) -> None:
    node.set(tag("type", CAMUNDA), "mail")
    node.set(tag("resultVariable", CAMUNDA), f"{node.get('id', 'mail')}Mail")
    for name, field in _fields(node).items():
        if name in _MAIL_FIELDS:
            _rename(field, _MAIL_FIELDS[name])
            continue
        if name in ("ignoreException", "exceptionVariableName"):
            # Flowable's MailActivityBehavior: with ignoreException a failed send does not stop the
            # case; the error's message goes to exceptionVariableName (when given) and the task ends
            value = _literal(field)
            if value is None:
                value = field.get("expression") or field.findtext(tag("expression", CAMUNDA)) or ""
            if name == "exceptionVariableName" and (juel.is_juel(value) or not value.strip().isidentifier()):
                fail(field, f"mail field 'exceptionVariableName' must name a variable, not {value!r}")
            else:
                node.set(IGNORE_ERRORS if name == "ignoreException" else ERROR_VARIABLE, value.strip())
            field.getparent().remove(field)  # type: ignore[union-attr]
            continue
        if name in _MAIL_IGNORED:
            warn(field, f"mail field '{name}' is ignored: {_MAIL_IGNORED[name]}")
        else:
            fail(field, f"mail field '{name}' is not supported: " + _MAIL_REFUSED.get(
                name, f"the mail task knows {', '.join(_MAIL_FIELDS)}"))
        field.getparent().remove(field)  # type: ignore[union-attr]


def _http(node: etree._Element, fail: Report) -> None:
    node.set(tag("type", CAMUNDA), "http")
    result = f"{node.get('id', 'http')}ResponseBody"
    fields = _fields(node)
    for name, field in fields.items():
        ext = field.getparent()
        if name == "responseVariableName":
            result = _literal(field) or result
            ext.remove(field)  # type: ignore[union-attr]
            continue
        if name not in _HTTP_FIELDS:
            fail(field, f"http field '{name}' is not supported (supported: {', '.join(_HTTP_FIELDS)}, "
                        "responseVariableName)")
            continue
        _rename(field, _HTTP_FIELDS[name])
        literal = _literal(field)
        if name in ("requestHeaders", "requestTimeout") and literal is None:
            fail(field, f"http field '{name}' must be fixed text, not an expression")
        elif name == "requestHeaders" and literal is not None:
            ext.remove(field)  # type: ignore[union-attr]
            _headers(node, literal)
        elif name == "requestTimeout" and literal is not None:
            if not literal.isdigit():
                fail(field, f"http field 'requestTimeout' {literal!r} is not a number of milliseconds")
            else:
                _set_expression(field, "${" + repr(int(literal) / 1000) + "}")
    ext = node.find(tag("extensionElements"))
    if ext is not None:  # Flowable keeps the answer's body as text
        etree.SubElement(ext, tag("field", CAMUNDA), name="expect", stringValue="text")
    node.set(tag("resultVariable", CAMUNDA), result)


def _headers(node: etree._Element, text: str) -> None:
    """``Name: value`` lines -> an input parameter ``headers`` holding a camunda:map."""
    ext = node.find(tag("extensionElements"))
    assert ext is not None  # the field came from there
    io = ext.find(tag("inputOutput", CAMUNDA))
    if io is None:
        io = etree.SubElement(ext, tag("inputOutput", CAMUNDA))
    param = etree.SubElement(io, tag("inputParameter", CAMUNDA), name="headers")
    mapping = etree.SubElement(param, tag("map", CAMUNDA))
    for line in text.splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            etree.SubElement(mapping, tag("entry", CAMUNDA), key=key.strip()).text = value.strip()


def _dmn(node: etree._Element, fail: Report) -> None:
    fields = _fields(node)
    key = _literal(fields["decisionTableReferenceKey"]) if "decisionTableReferenceKey" in fields else None
    if not key:
        fail(node, "a flowable:type=\"dmn\" task needs the field decisionTableReferenceKey with a fixed decision key")
        return
    node.tag = tag("businessRuleTask")
    node.set(tag("decisionRef", CAMUNDA), key)
    for field in fields.values():
        field.getparent().remove(field)  # type: ignore[union-attr]


# --- structure Flowable accepts and Camunda's parser does not ----------------------------------

_SINK_KINDS = ("task", "userTask", "serviceTask", "sendTask", "receiveTask", "scriptTask", "businessRuleTask",
               "manualTask", "callActivity", "subProcess", "intermediateCatchEvent", "intermediateThrowEvent",
               "exclusiveGateway", "parallelGateway", "inclusiveGateway")


def loop_data_input(root: etree._Element) -> None:
    """``<loopDataInputRef>list</loopDataInputRef><inputDataItem name="item"/>`` (BPMN's own
    multi-instance collection, which Flowable reads as a variable name) -> camunda:collection and
    camunda:elementVariable."""
    for loop in root.iter(tag("multiInstanceLoopCharacteristics")):
        ref = loop.find(tag("loopDataInputRef"))
        if ref is None or not (ref.text or "").strip() or loop.get(tag("collection", CAMUNDA)):
            continue
        name = (ref.text or "").strip()
        loop.set(tag("collection", CAMUNDA), name if name.startswith(("${", "#{")) else "${" + name + "}")
        item = loop.find(tag("inputDataItem"))
        if item is not None and item.get("name") and not loop.get(tag("elementVariable", CAMUNDA)):
            loop.set(tag("elementVariable", CAMUNDA), item.get("name", ""))
        for child in (ref, item):
            if child is not None:
                loop.remove(child)


def implicit_end_events(root: etree._Element) -> None:
    """An activity without an outgoing sequence flow ends its path (BPMN's implicit end, as
    Camunda 7 and Flowable run it), in a sub-process with end events on other paths too.
    SpiffWorkflow needs an end event there: without one the path stops dead, and a sub-process
    whose last path stops so never ends. Each such path gets one. Not for event sub-processes
    and compensation handlers (they never have outgoing flows) nor link throw events (they go on
    at their catch event, :mod:`engine.runtime.links`). A process's own paths need none: a case
    with nothing left to do is complete (:func:`engine.runtime.interrupting.complete_if_finished`)."""
    for sub in root.iter(tag("subProcess"), tag("transaction")):
        children = [c for c in sub if isinstance(c.tag, str)]
        sources = {f.get("sourceRef") for f in children if f.tag == tag("sequenceFlow")}
        for node in children:
            node_id = node.get("id")
            if etree.QName(node).localname not in _SINK_KINDS or not node_id or node_id in sources:
                continue
            if node.get("triggeredByEvent") == "true" or node.get("isForCompensation") == "true" \
                    or node.find(tag("linkEventDefinition")) is not None:
                continue
            end_id = f"{node_id}__implicit_end"
            etree.SubElement(sub, tag("endEvent"), id=end_id)
            etree.SubElement(sub, tag("sequenceFlow"), id=f"{end_id}_flow", sourceRef=node_id, targetRef=end_id)


def uncontrolled_flows(root: etree._Element) -> None:
    """Several sequence flows leaving an activity or event (no gateway): BPMN takes every
    unconditional one and every conditional one whose condition holds, the activity's default
    flow only when no *condition* holds (BPMN 2.0, 10.3, Activity ``default``: "when none of the
    conditionExpressions on other outgoing Sequence Flows evaluate to true"; an unconditional
    flow does not keep the default from being taken, 13.2.1). SpiffWorkflow's parser refuses
    such splits for most activities, so the split becomes explicit gateways: a parallel one when
    no flow has a condition, an inclusive one (unconditional flows always true) when some do, and
    with a default besides unconditional flows a parallel gateway for the unconditional flows
    followed by an inclusive one for the conditional flows and the default. (Camunda 7 takes the
    default only when no other flow is taken, unconditional ones included.)"""
    for container in [*root.iter(tag("process")), *root.iter(tag("subProcess"), tag("transaction"))]:
        flows = [f for f in container if isinstance(f.tag, str) and f.tag == tag("sequenceFlow")]
        by_source: dict[str, list[etree._Element]] = {}
        for flow in flows:
            by_source.setdefault(flow.get("sourceRef", ""), []).append(flow)
        for node in [c for c in container if isinstance(c.tag, str)]:
            outgoing = by_source.get(node.get("id") or "", [])
            if len(outgoing) < 2 or etree.QName(node).localname.endswith("Gateway") or node.tag == tag("sequenceFlow"):
                continue
            _split_after(container, node, outgoing)


def _split_after(container: etree._Element, node: etree._Element, outgoing: list[etree._Element]) -> None:
    node_id = node.get("id", "")
    conditional = [f for f in outgoing if f.find(tag("conditionExpression")) is not None]
    default = node.attrib.pop("default", None)
    always = [f for f in outgoing if f not in conditional and f.get("id") != default]
    gateway_id = f"{node_id}__split"
    if not conditional:
        _gateway(container, "parallelGateway", gateway_id, node_id, outgoing)
    elif default and always:   # the default competes with the conditions only, not with the unconditional flows
        choice_id = f"{node_id}__choice"
        _gateway(container, "parallelGateway", gateway_id, node_id, always)
        choice = _gateway(container, "inclusiveGateway", choice_id, gateway_id,
                          [f for f in outgoing if f not in always], flow_id=f"{choice_id}_in")
        choice.set("default", default)
    else:
        gateway = _gateway(container, "inclusiveGateway", gateway_id, node_id, outgoing)
        if default:
            gateway.set("default", default)
        for flow in always:
            etree.SubElement(flow, tag("conditionExpression")).text = "True"


def _gateway(container: etree._Element, kind: str, gateway_id: str, source_id: str,
             outgoing: list[etree._Element], *, flow_id: str | None = None) -> etree._Element:
    """A gateway ``gateway_id`` after ``source_id`` that the ``outgoing`` flows now leave."""
    gateway = etree.SubElement(container, tag(kind), id=gateway_id)
    for flow in outgoing:
        flow.set("sourceRef", gateway_id)
    etree.SubElement(container, tag("sequenceFlow"), id=flow_id or f"{gateway_id}_in", sourceRef=source_id,
                     targetRef=gateway_id)
    return gateway
