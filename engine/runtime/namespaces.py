"""XML namespaces of the dialects we read, and naming elements in messages."""

from __future__ import annotations

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def tag(local: str, ns: str = BPMN) -> str:
    return f"{{{ns}}}{local}"


def local_name(qualified: str) -> str:
    return qualified.rsplit("}", 1)[-1]


def owner_id(node: etree._Element) -> str:
    """The id of ``node`` or of its nearest ancestor that has one ('' if none has)."""
    current: etree._Element | None = node
    while current is not None and not current.get("id"):
        current = current.getparent()
    return current.get("id", "") if current is not None else ""
