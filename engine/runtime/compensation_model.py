"""BPMN compensation as Camunda 7 defines it: what the model says, read before SpiffWorkflow parses.

SpiffWorkflow 3.2.0 has no compensation: it parses a compensation boundary event as a boundary
event that never fires (or, worse, as a none event), never parses the handler (an activity with
``isForCompensation="true"`` and no sequence flow) and runs a compensation throw event as a none
event. :func:`read_compensation` checks the model as Camunda 7's parser does, records which
activity is undone by which handler and which throw events compensate what, and takes the
compensation boundary events out of the tree (SpiffWorkflow must not see them).
:mod:`engine.runtime.compensation` runs it.

A compensation event sub-process (in an embedded sub-process: that sub-process's compensation
handler) becomes a handler sub-process. A cancel end event of a transaction first cancels what
else runs in it and compensates it, then leaves it through the cancel boundary event.
Refused at deploy (``FILE:LINE: element-id: message``), never run wrongly: a cancel end event
in a multi-instance transaction, handlers with boundary events or multi-instance
characteristics, ``waitForCompletion="false"`` on a throw event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime.namespaces import local_name, tag

__all__ = ["CompensationModel", "read_compensation"]

_SCOPES = ("process", "subProcess", "transaction", "adHocSubProcess")
_ACTIVITIES = {"task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask",
               "manualTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
_THROWS = ("intermediateThrowEvent", "endEvent")


@dataclass
class CompensationModel:
    """Per file: activity id -> its handler's id; compensation throw event id -> activityRef (None: all)."""

    handlers: dict[tuple[str, str], str] = field(default_factory=dict)
    throws: dict[tuple[str, str], str | None] = field(default_factory=dict)
    scopes: set[tuple[str, str]] = field(default_factory=set)   # embedded sub-processes
    event_scopes: set[tuple[str, str]] = field(default_factory=set)   # event sub-processes
    scope_handlers: set[tuple[str, str]] = field(default_factory=set)   # compensation event sub-processes
    cancels: set[tuple[str, str]] = field(default_factory=set)   # cancel end events of transactions


def _scope_of(node: etree._Element) -> etree._Element | None:
    parent = node.getparent()
    while parent is not None and local_name(str(parent.tag)) not in _SCOPES:
        parent = parent.getparent()
    return parent


def _definition(node: etree._Element) -> etree._Element | None:
    return node.find(tag("compensateEventDefinition"))


class _Reader:
    def __init__(self, root: etree._Element, filename: str, model: CompensationModel) -> None:
        self.root = root
        self.filename = filename
        self.model = model
        self.problems: list[Problem] = []
        self.by_id = {n.get("id"): n for n in root.iter() if isinstance(n.tag, str) and n.get("id")}
        self.flows = [n for n in root.iter(tag("sequenceFlow"))]
        self.associations = [n for n in root.iter(tag("association"))]

    def add(self, node: etree._Element, message: str) -> None:
        self.problems.append(Problem(self.filename, node.sourceline or 0, node.get("id", ""), message))

    def read(self) -> list[Problem]:
        for node in self.root.iter(tag("subProcess"), tag("transaction")):
            kind = self.model.event_scopes if node.get("triggeredByEvent") == "true" else self.model.scopes
            kind.add((self.filename, node.get("id", "")))
        for node in self.root.iter(tag("endEvent")):
            transaction = _scope_of(node)
            if node.find(tag("cancelEventDefinition")) is None:
                continue
            if transaction is None or transaction.tag != tag("transaction"):
                self.add(node, "end event with cancelEventDefinition only supported inside transaction subprocess")
                continue
            if transaction.find(tag("multiInstanceLoopCharacteristics")) is not None:
                if next(transaction.iter(tag("compensateEventDefinition")), None) is None:
                    continue   # nothing to compensate: SpiffWorkflow's cancel as it is
                self.add(node, "a cancel end event in a multi-instance transaction is not supported (the other "
                               "instances would be cancelled without being compensated)")
                continue
            self.model.throws[(self.filename, node.get("id", ""))] = None   # compensates, then cancels
            self.model.cancels.add((self.filename, node.get("id", "")))
        for node in list(self.root.iter(tag("startEvent"))):
            if _definition(node) is not None:
                self._event_subprocess(node)
        for node in self.root.iter(tag("intermediateCatchEvent")):
            if _definition(node) is not None:
                self.add(node, "an intermediate catch event cannot catch a compensation; use a compensation "
                               "boundary event with a compensation handler")
        cancels: set[str] = set()
        for node in list(self.root.iter(tag("boundaryEvent"))):
            if _definition(node) is not None:
                self._boundary(node)
            elif node.find(tag("cancelEventDefinition")) is not None:
                if node.get("attachedToRef", "") in cancels:
                    self.add(node, "multiple boundary events with cancelEventDefinition not supported on same "
                                   "transaction")
                cancels.add(node.get("attachedToRef", ""))
        for node in list(self.root.iter(*(tag(t) for t in _THROWS))):
            if _definition(node) is not None:
                self._throw(node)
        for node in self.root.iter():
            if isinstance(node.tag, str) and node.get("isForCompensation") == "true":
                self._handler(node)
        return self.problems

    def _event_subprocess(self, start: etree._Element) -> None:
        """A compensation event sub-process is its sub-process's compensation handler: it becomes
        a handler sub-process (no longer triggered by an event) that starts when the sub-process
        is compensated; a compensation it throws compensates that sub-process's activities."""
        handler = start.getparent()
        scope = handler.getparent() if handler is not None else None
        if handler is None or handler.get("triggeredByEvent") != "true" or scope is None:
            self.add(start, "a compensation start event is only allowed in an event sub-process")
            return
        if scope.tag != tag("subProcess") or scope.get("triggeredByEvent") == "true":
            self.add(start, "event subprocess with compensation start event is only supported for embedded subprocess")
            return
        key = (self.filename, scope.get("id", ""))
        if key in self.model.handlers:
            self.add(start, "multiple event subprocesses with compensation start event are not supported on the "
                            "same scope")
            return
        if any(b.get("attachedToRef") == key[1] and _definition(b) is not None
               for b in self.root.iter(tag("boundaryEvent"))):
            self.add(scope, "compensation boundary event and event subprocess with compensation start event are not "
                            "supported on the same scope")
            return
        definition = _definition(start)
        assert definition is not None
        start.remove(definition)                  # a none start event: the handler runs when started
        del handler.attrib["triggeredByEvent"]
        handler.set("isForCompensation", "true")
        handler_key = (self.filename, handler.get("id", ""))
        self.model.event_scopes.discard(handler_key)
        self.model.scopes.discard(handler_key)
        self.model.scope_handlers.add(handler_key)
        self.model.handlers[key] = handler_key[1]

    def _throw(self, node: etree._Element) -> None:
        definition = _definition(node)
        assert definition is not None
        if (definition.get("waitForCompletion") or "true").strip().lower() == "false":
            self.add(node, "waitForCompletion=\"false\" is not supported: the throw event always waits until the "
                           "compensation handlers have finished (as in Camunda 7)")
            return
        ref = definition.get("activityRef") or None
        scope = _scope_of(node)
        scopes = [scope]
        if scope is not None and scope.tag == tag("subProcess") and (
                scope.get("triggeredByEvent") == "true" or (self.filename, scope.get("id", "")) in self.model.scope_handlers):
            scopes.append(_scope_of(scope))   # an event sub-process also compensates its parent's activities
        if ref is not None:
            target = self.by_id.get(ref)
            if target is None or local_name(str(target.tag)) not in _ACTIVITIES:
                self.add(node, f"Invalid attribute value for 'activityRef': no activity with id '{ref}' in this file")
                return
            if target.get("isForCompensation") == "true":   # Flowable: the handler stands for its activity
                undone = [a for (f, a), h in self.model.handlers.items() if f == self.filename and h == ref]
                if len(undone) != 1:
                    self.add(node, f"activityRef '{ref}' names a compensation handler that no (or more than one) "
                                   "compensation boundary event leads to")
                    return
                ref, target = undone[0], self.by_id[undone[0]]
            if not any(_scope_of(target) is s for s in scopes):
                name = scopes[-1].get("id", "") if scopes[-1] is not None else ""
                self.add(node, f"Invalid attribute value for 'activityRef': no activity with id '{ref}' in scope "
                               f"'{name}'")
                return
        self.model.throws[(self.filename, node.get("id", ""))] = ref

    def _boundary(self, node: etree._Element) -> None:
        attached = node.get("attachedToRef", "")   # activityRef, waitForCompletion: ignored (Camunda 7 warns)
        targets = [self.by_id.get(a.get("targetRef", "")) for a in self.associations
                   if a.get("sourceRef") == node.get("id")]
        handlers = [t for t in targets if t is not None and t.get("isForCompensation") == "true"]
        handler = handlers[0] if len(handlers) == 1 else None
        if not targets:
            pass   # no handler (Camunda deploys it): the activity has nothing to undo
        elif len(handlers) > 1:
            self.add(node, "a compensation boundary event is associated with more than one compensation handler")
        elif handler is None:
            self.add(node, "compensation boundary catch must be connected to element with isForCompensation=true "
                           "(one association from the boundary event to its handler)")
        elif (self.filename, attached) in self.model.handlers:
            self.add(node, "multiple boundary events with compensateEventDefinition not supported on same activity")
        elif attached not in self.by_id:
            self.add(node, f"attachedToRef '{attached}' points to no activity in this file")
        else:
            self.model.handlers[(self.filename, attached)] = handler.get("id", "")
        parent = node.getparent()
        if parent is not None:
            parent.remove(node)   # SpiffWorkflow must not wait on it: :mod:`compensation` runs the handler

    def _handler(self, node: etree._Element) -> None:
        name = local_name(str(node.tag))
        if node.get("triggeredByEvent") == "true":
            return   # a compensation event sub-process: refused at its start event
        node_id = node.get("id", "")
        for flow in self.flows:
            if flow.get("targetRef") == node_id:
                self.add(node, f"Invalid incoming sequence flow of compensation activity '{node_id}'. A compensation "
                               "activity should not have an incoming or outgoing sequence flow.")
                return
            if flow.get("sourceRef") == node_id:
                self.add(node, f"Invalid outgoing sequence flow of compensation activity '{node_id}'. A compensation "
                               "activity should not have an incoming or outgoing sequence flow.")
                return
        if name not in _ACTIVITIES:
            self.add(node, "isForCompensation is only allowed on activities")
        elif node.find(tag("multiInstanceLoopCharacteristics")) is not None \
                or node.find(tag("standardLoopCharacteristics")) is not None:
            self.add(node, "a multi-instance or looping compensation handler is not supported; make the handler a "
                           "sub-process that loops")
        elif any(b.get("attachedToRef") == node_id for b in self.root.iter(tag("boundaryEvent"))):
            self.add(node, "boundary events on a compensation handler are not supported; wrap the handler in a "
                           "sub-process and attach them there")


def read_compensation(root: etree._Element, filename: str, model: CompensationModel) -> list[Problem]:
    """Check the file's compensation constructs, record them in ``model`` and remove the
    compensation boundary events from the tree; the problems found."""
    return _Reader(root, filename, model).read()
