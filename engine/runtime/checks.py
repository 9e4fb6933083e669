"""Static checks on an uploaded BPMN tree, before SpiffWorkflow sees it.

They refuse what SpiffWorkflow would crash on with an unhelpful error or, worse, silently
mis-run (complex gateways, link events; compensation: engine.runtime.compensation_model), and check every reference.
"""

from __future__ import annotations

import copy
import re
from typing import Callable

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime import juel
from engine.runtime.data_checks import data_association_problems
from engine.runtime.io_mapping import script_language
from engine.runtime.javascript import JAVASCRIPT_NAMES
from engine.runtime.languages import is_javascript, unknown_script_message
from engine.runtime.namespaces import BPMN, CAMUNDA, SPIFF, local_name, owner_id, tag

MAX_PROCESS_ID = 200   # engine.services.inbound.MAX_NAME_LENGTH: the longest process key a start accepts
UNSUPPORTED = {
    "complexGateway": "complex gateways are not supported; model the join with a parallel or inclusive gateway",
}

REFERENCES = {
    "messageEventDefinition": ("messageRef", "message"),
    "signalEventDefinition": ("signalRef", "signal"),
    "errorEventDefinition": ("errorRef", "error"),
    "escalationEventDefinition": ("escalationRef", "escalation"),
}

# Script languages that are certainly not Python; other names (modelers write anything
# there) are accepted when the script passes the safe evaluator's check.
FOREIGN_LANGUAGES = {"groovy", "javascript", "js", "ecmascript", "nashorn", "graal.js", "juel", "feel", "ruby",
                     "jruby", "kotlin", "java", "text/javascript", "application/javascript", "text/groovy"}


def foreign_script_message(language: str, javascript: bool = True, *, task: bool = False,
                           mapping_key: str | None = None) -> str:
    """Why a script in ``language`` cannot run, and how to rewrite it (``task``: a script task).
    ``mapping_key``: the camunda-mapping.json "scripts" key that would hand the script's work to
    a connector operation instead (script tasks and listeners; not input/output values)."""
    head = f"script language '{language}' cannot run here" if task else f"{language} script cannot run here"
    if javascript:
        text = (f"{head}; rewrite the script in JavaScript (scriptFormat=\"javascript\", with the same "
                "execution.getVariable/setVariable calls; it runs in a sandbox) or in Python (the engine's safe "
                "subset), or move the work into a service task with a connector")
        if mapping_key:
            text += (", or map the script to a connector operation that does its work in camunda-mapping.json: "
                     f"{{\"scripts\": {{\"{mapping_key}\": \"connector.operation\"}}}}")
        return text
    return (f"{head} (scripts run in the engine's safe Python-subset evaluator); rewrite the script in Python "
            "or use a service task")


def script_key(node: etree._Element) -> str:
    """The camunda-mapping.json "scripts" key of a script task or a listener's camunda:script:
    its ``camunda:resource`` path as written (without ``deployment://``/``classpath://``), else
    the id of the element that owns the script."""
    attr = tag("resource", CAMUNDA) if node.tag == tag("scriptTask") else "resource"
    resource = (node.get(attr) or "").strip()
    if resource and not juel.is_juel(resource):
        return resource.split("://", 1)[-1].lstrip("/")
    return node.get("id", "") if node.tag == tag("scriptTask") else owner_id(node)


def static_problems(root: etree._Element, filename: str, called_ids: set[str], *,
                    javascript: bool = False, flowable: bool = False) -> list[Problem]:
    """``javascript``: the dialect runs JavaScript script tasks in the sandbox (Camunda);
    ``flowable``: a Flowable file (an event sub-process may have several start events)."""
    problems: list[Problem] = []

    def add(node: etree._Element, message: str) -> None:
        problems.append(Problem(filename, node.sourceline or 0, owner_id(node), message))

    ids = {n.get("id") for n in root.iter() if isinstance(n.tag, str) and n.get("id")}
    definitions: dict[str, set[str | None]] = {kind: set() for kind in ("message", "signal", "error", "escalation")}
    for kind in definitions:
        for node in root.iter(tag(kind)):
            definitions[kind].add(node.get("id"))
    unnamed_signals = {n.get("id") for n in root.iter(tag("signal")) if not (n.get("name") or "").strip()}

    event_subprocesses = {n.get("id") for n in root.iter(tag("subProcess")) if n.get("triggeredByEvent") == "true"}
    problems.extend(_event_name_problems(root, filename, expressions=javascript))
    problems.extend(_event_gateway_target_problems(root, filename))
    if javascript:
        problems.extend(_error_code_problems(root, filename))
    problems.extend(_escalation_subprocess_problems(root, filename))
    problems.extend(data_association_problems(root, filename))
    for node in root.iter():
        if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN}}}"):
            continue
        name = local_name(node.tag)
        if name in UNSUPPORTED:
            add(node, UNSUPPORTED[name])
        if name == "process" and len(node.get("id") or "") > MAX_PROCESS_ID:
            add(node, f"process id is longer than {MAX_PROCESS_ID} characters; no case could be started under it "
                      "(process keys are names of at most that length)")
        if name == "subProcess" and node.get("triggeredByEvent") == "true":
            problems.extend(_event_subprocess_problems(node, filename, several=flowable))
        if name == "startEvent":
            for text in _embedded_start_problems(node):
                add(node, text)
            if node.get("isInterrupting", "true").strip() == "false" and node.find(tag("errorEventDefinition")) is not None:
                add(node, "an error start event always interrupts its scope (BPMN 2.0: error events are interrupting "
                          "only); the scope that threw the error would otherwise never end: remove "
                          "isInterrupting=\"false\"")
        if name == "boundaryEvent" and node.get("attachedToRef") in event_subprocesses:
            add(node, f"a boundary event attached to the event sub-process '{node.get('attachedToRef')}' is not "
                      "supported (BPMN has no boundary events on event sub-processes; Flowable ignores them: "
                      "nothing subscribes, an error passes by); attach it to the enclosing sub-process or remove it")
        if name in ("startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent"):
            if node.find(tag("eventDefinitionRef")) is not None:
                shared = (node.findtext(tag("eventDefinitionRef")) or "").strip()
                add(node, f"eventDefinitionRef '{shared}' names no event definition at the top of this file "
                          "(a messageEventDefinition, timerEventDefinition ... with that id under definitions)")
        if name == "receiveTask" and (node.get("instantiate") or "").strip().lower() == "true":
            add(node, "a receive task that starts its process (instantiate=\"true\") is not supported; start the "
                      "process with a message start event for the same message instead")
        if name in FLOW_ACTIVITIES:
            for attr in ("startQuantity", "completionQuantity"):
                if node.get(attr, "1").strip() != "1":
                    add(node, f"{attr}={node.get(attr)} is not supported (the engine runs every activity with one "
                              "token in and one out); model the tokens with parallel gateways")
        if name == "multiInstanceLoopCharacteristics" and node.get("behavior", "All") != "All" and (
                node.get("noneBehaviorEventRef") or node.get("oneBehaviorEventRef")
                or node.find(tag("complexBehaviorDefinition")) is not None):
            # without the events they name, None, One and Complex behave as All: no event is thrown
            add(node, f"multi-instance behavior='{node.get('behavior')}' with the events it throws when instances "
                      "complete (noneBehaviorEventRef, oneBehaviorEventRef, complexBehaviorDefinition) is not "
                      "supported; throw the event from inside the activity")
        if name == "adHocSubProcess":
            # SpiffWorkflow starts every activity at once and checks the completion condition before any
            # ran: false, the case failed (KeyError); true, it waited for nothing; unset, the start crashed.
            # Flowable starts each activity on request (executeActivityInAdhocSubProcess), after which the
            # condition is checked; neither has a counterpart here yet.
            add(node, "ad-hoc sub-processes are not supported (their activities would not start on request, as "
                      "in Flowable, and the completion condition would be checked before any of them ran); "
                      "model the optional activities behind an inclusive gateway, or as event sub-processes")
        if name in REFERENCES:
            attr, kind = REFERENCES[name]
            ref = node.get(attr)
            if ref and ref not in definitions[kind]:
                add(node, f"{attr} '{ref}' points to no {kind} defined in this file")
            elif ref and kind == "signal" and ref in unnamed_signals:
                # nothing could be sent or received by it (Camunda 7 refuses it too; SpiffWorkflow's
                # parser failed on it with a TypeError of its own). A message's missing name is
                # refused with Camunda's words by _event_name_problems below.
                add(node, f"the signal '{ref}' has no name: give it one (<signal id=\"{ref}\" name=\"...\"/>), "
                          "the name a signal is sent and received by")
        if name == "sequenceFlow":
            for attr in ("sourceRef", "targetRef"):
                if node.get(attr) not in ids:
                    add(node, f"{attr} '{node.get(attr)}' points to no element in this file")
        if name == "scriptTask":
            fmt = (node.get("scriptFormat") or "").strip().lower()
            if fmt in FOREIGN_LANGUAGES and not (javascript and (fmt in JAVASCRIPT_NAMES or fmt == "juel")):
                add(node, foreign_script_message(node.get("scriptFormat") or fmt, javascript, task=True,
                                                 mapping_key=script_key(node) if javascript else None))
            elif fmt and not javascript and fmt not in FOREIGN_LANGUAGES and script_language(fmt) != "python":
                add(node, unknown_script_message(node.get("scriptFormat") or fmt))
                for script in node.findall(tag("script")):
                    script.text = ""   # reported once here, not again as a Python syntax error
        if name == "callActivity":
            called = node.get("calledElement")
            case_ref = node.get(tag("caseRef", CAMUNDA))
            if not called and case_ref is not None:
                add(node, f"call activity calls the CMMN case '{case_ref}' (camunda:caseRef); CMMN cases cannot run "
                          "here (only BPMN processes): model the case as a BPMN process and call it with "
                          "calledElement")
            elif not called:
                add(node, "call activity has no calledElement")
    return problems


def missing_called_problems(root: etree._Element, filename: str, called_ids: set[str], *,
                            camunda: bool = False) -> list[Problem]:
    """Call activities whose fixed calledElement is neither in the deployment nor deployed
    before. ``camunda``: said as a warning, since Camunda 7 and Flowable look the called process
    up only when a case reaches the call activity (a model calling a building block kept in
    another folder deploys); a case that gets there before the called process is deployed
    stops with an incident, which a retry after the deploy resolves."""
    problems = []
    for node in root.iter(tag("callActivity")):
        called = node.get("calledElement")
        if not called or called in called_ids or juel.is_juel(called):
            continue
        if camunda:
            text = (f"called process '{called}' is not deployed yet; a case that reaches this call activity "
                    "stops with an incident until it is (deploy the called process, then retry the incident; "
                    "cases call its newest version)")
        else:
            text = (f"called process '{called}' is neither part of this deployment nor deployed before; "
                    "deploy it first or together")
        problems.append(Problem(filename, node.sourceline or 0, owner_id(node), text))
    return problems


def _event_gateway_target_problems(root: etree._Element, filename: str) -> list[Problem]:
    """An event or receive task after an event-based gateway is reached from the gateway only
    (BPMN; Camunda 7 refuses other incoming flows): another flow would make a second token wait
    there beside the gateway's choice."""
    problems: list[Problem] = []
    for container in [*root.iter(tag("process")), *root.iter(tag("subProcess"), tag("transaction"))]:
        flows = [f for f in container if isinstance(f.tag, str) and f.tag == tag("sequenceFlow")]
        gateways = {n.get("id") for n in container if isinstance(n.tag, str) and n.tag == tag("eventBasedGateway")}
        targets = {f.get("targetRef") for f in flows if f.get("sourceRef") in gateways}
        kinds = {n.get("id"): local_name(n.tag) for n in container if isinstance(n.tag, str)}
        for flow in flows:
            target = flow.get("targetRef")
            if target in targets and flow.get("sourceRef") not in gateways:
                problems.append(Problem(filename, flow.sourceline or 0, flow.get("id", ""),
                                        f"Invalid incoming sequenceflow for {kinds.get(target, 'element')} with id "
                                        f"'{target}' connected to an event-based gateway (only the gateway may lead "
                                        "to it)"))
    return problems


def _error_code_problems(root: etree._Element, filename: str) -> list[Problem]:
    """Camunda 7: an error thrown by an end event must have an error code (a catch names it)."""
    codes = {n.get("id"): (n.get("errorCode") or "").strip() for n in root.iter(tag("error"))}
    problems: list[Problem] = []
    for thrower in root.iter(tag("endEvent"), tag("intermediateThrowEvent")):
        definition = thrower.find(tag("errorEventDefinition"))
        ref = definition.get("errorRef") if definition is not None else None
        if ref and ref in codes and not codes[ref]:
            problems.append(Problem(filename, thrower.sourceline or 0, thrower.get("id", ""),
                                    f"'errorCode' is mandatory on errors referenced by throwing error event "
                                    f"definitions (error '{ref}' has none)"))
    return problems


# Camunda 7's words (BpmnParse) for an event definition on the start event of a sub-process that
# is not an event sub-process; a compensation start is refused by compensation_model.
_EMBEDDED_START = {"errorEventDefinition": "only allowed on start event if subprocess is an event subprocess",
                   "messageEventDefinition": "only allowed on start event if subprocess is an event subprocess",
                   "signalEventDefinition": "only allowed on start event if subprocess is an event subprocess",
                   "escalationEventDefinition": "is not allowed on start event within a subprocess",
                   "timerEventDefinition": "is not allowed on start event within a subprocess",
                   "conditionalEventDefinition": "is not allowed on start event within a subprocess"}


def _embedded_start_problems(start: etree._Element) -> list[str]:
    """A sub-process or transaction (not an event sub-process) starts at its none start event
    only: an event definition there would wait for something that never starts it."""
    parent = start.getparent()
    if parent is None or parent.tag not in (tag("subProcess"), tag("transaction"), tag("adHocSubProcess")) \
            or parent.get("triggeredByEvent") == "true":
        return []
    return [f"{local_name(d.tag)} {_EMBEDDED_START[local_name(d.tag)]} (an embedded sub-process starts at a "
            "none start event; make it an event sub-process with triggeredByEvent=\"true\", or remove the "
            "event definition)"
            for d in start if isinstance(d.tag, str) and local_name(d.tag) in _EMBEDDED_START]


def _event_name_problems(root: etree._Element, filename: str, *, expressions: bool) -> list[Problem]:
    """Message and signal names given as expressions are resolved per case (Camunda dialect,
    :mod:`event_names`) but never on a start event; and one activity cannot wait for the same
    message on two boundary events (which one would be chance)."""
    problems: list[Problem] = []
    names: dict[str, str] = {}
    for kind in ("message", "signal"):
        for node in root.iter(tag(kind)):
            name = names[node.get("id", "")] = node.get("name") or ""
            if not expressions and juel.is_juel(name):
                problems.append(Problem(filename, node.sourceline or 0, node.get("id", ""),
                                        f"{kind} name {name!r} is an expression; only fixed names can be "
                                        "correlated here (put the varying part into the correlation key)"))
    # A name expression is resolved per case (event_names); a process's start event has no case
    # variables yet, so, as in Camunda 7, its message or signal name must be fixed. The start
    # event of an event sub-process subscribes when its scope starts (event_subprocesses).
    for start in root.iter(tag("startEvent")):
        parent = start.getparent()
        if parent is None or parent.tag != tag("process"):
            continue
        for kind in ("message", "signal"):
            definition = start.find(tag(f"{kind}EventDefinition"))
            referenced = definition.get(f"{kind}Ref", "") if definition is not None else ""
            name = names.get(referenced, "")
            if not (expressions and juel.is_juel(name)):
                continue
            text = (f"start event: {kind} name {name!r} is an expression; a start event needs a fixed "
                    f"{kind} name (there are no case variables yet to resolve it; put the varying part "
                    f"into the correlation key). Camunda 7 refuses it too: \"expressions in the {kind} start "
                    "event name are not allowed\"")
            problems.append(Problem(filename, start.sourceline or 0, start.get("id", ""), text))
    unnamed = {n.get("id") for n in root.iter(tag("message")) if not (n.get("name") or "").strip()}
    for catcher in root.iter(tag("intermediateCatchEvent"), tag("boundaryEvent"), tag("startEvent"), tag("receiveTask")):
        definition = catcher.find(tag("messageEventDefinition"))
        ref = catcher.get("messageRef") if definition is None else definition.get("messageRef")
        if (ref and ref in unnamed) or (definition is not None and not ref):
            problems.append(Problem(filename, catcher.sourceline or 0, catcher.get("id", ""),
                                    "Cannot have a message event subscription with an empty or missing name "
                                    "(the message needs a name to be correlated)"))
    starts: set[tuple[str, str]] = set()
    for process in root.iter(tag("process")):    # Camunda: one subscription per message name and scope
        for start in process.findall(tag("startEvent")):
            definition = start.find(tag("messageEventDefinition"))
            message = names.get(definition.get("messageRef", "")) if definition is not None else None
            if message and (process.get("id", ""), message) in starts:
                problems.append(Problem(filename, start.sourceline or 0, start.get("id", ""),
                                        f"Cannot have more than one message event subscription with name '{message}' "
                                        f"for scope '{process.get('id', '')}'"))
            elif message:
                starts.add((process.get("id", ""), message))
    seen: dict[tuple[str, str], str] = {}
    for boundary in root.iter(tag("boundaryEvent")):
        definition = boundary.find(tag("messageEventDefinition"))
        if definition is None or not definition.get("messageRef"):
            continue
        slot = (boundary.get("attachedToRef", ""), names.get(definition.get("messageRef", ""), ""))
        if slot in seen:
            problems.append(Problem(filename, boundary.sourceline or 0, boundary.get("id", ""),
                                    f"activity '{slot[0]}' already has a boundary event for message '{slot[1]}' "
                                    f"({seen[slot]}); one message cannot trigger two of them"))
        else:
            seen[slot] = boundary.get("id", "")
    return problems


FLOW_ACTIVITIES = {"task", "userTask", "manualTask", "serviceTask", "sendTask", "receiveTask", "scriptTask",
                   "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}


def _event_subprocess_problems(node: etree._Element, filename: str, *, several: bool = False) -> list[Problem]:
    """Event sub-processes run in every scope (engine.runtime.event_subprocesses); what is not
    supported there is refused: a start event without an event definition (BPMN requires one),
    with several definitions, or one the engine cannot trigger in an event sub-process.
    ``several``: a Flowable file, where each of several start events triggers the event
    sub-process on its own (:func:`_several_start_problems`); BPMN and Camunda 7 want one."""
    problems = []
    starts = node.findall(tag("startEvent"))
    if len(starts) > 1 and several:
        problems.extend(_several_start_problems(starts, filename))
    elif len(starts) != 1:
        problems.append(Problem(filename, node.sourceline or 0, node.get("id", ""),
                                f"an event sub-process needs exactly one start event (found {len(starts)})"))
    for start in starts:
        definitions = [local_name(c.tag) for c in start if isinstance(c.tag, str) and c.tag.endswith("EventDefinition")]
        if not definitions:
            problems.append(Problem(filename, start.sourceline or 0, start.get("id", ""),
                                    "the start event of an event sub-process needs an event definition (message, "
                                    "signal, timer, error, escalation or conditional)"))
        if len(definitions) > 1:
            problems.append(Problem(filename, start.sourceline or 0, start.get("id", ""),
                                    "an event sub-process start event with several event definitions is not "
                                    "supported; use one event sub-process per event"))
        for name in definitions:
            if name not in ESP_STARTS and name != "compensateEventDefinition":   # see compensation_model
                problems.append(Problem(filename, start.sourceline or 0, start.get("id", ""),
                                        f"an event sub-process cannot start on a {name} here"))
    return problems


def _several_start_problems(starts: list[etree._Element], filename: str) -> list[Problem]:
    """Flowable: each start event of an event sub-process triggers it on its own, the event
    sub-process then runs from that start event (the others do not wait in that instance:
    engine.runtime.event_subprocesses.start). Refused where that would not hold here: a timer or
    compensation start among them (they wait inside an instance started with the scope), and
    start events that differ in isInterrupting (an open instance interrupts its scope or not)."""
    problems = []
    for start in starts:
        kinds = {local_name(c.tag) for c in start if isinstance(c.tag, str)}
        for kind in sorted(kinds & {"timerEventDefinition", "compensateEventDefinition"}):
            problems.append(Problem(filename, start.sourceline or 0, start.get("id", ""),
                                    f"a {kind.removesuffix('EventDefinition')} start event is supported in an event "
                                    "sub-process with one start event only; give it an event sub-process of its own"))
    flags = {(s.get("isInterrupting") or "true").strip().lower() != "false" for s in starts}
    if len(flags) > 1:
        start = starts[0]
        problems.append(Problem(filename, start.sourceline or 0, start.get("id", ""),
                                "the start events of an event sub-process differ in isInterrupting; give the "
                                "interrupting and the non-interrupting ones event sub-processes of their own"))
    return problems


def competing_escalation(code: str | None, seen: list[str | None], what: str, whats: str) -> str | None:
    """Camunda 7's words when an escalation catcher (``what``: "escalation event subprocess" or
    "escalation boundary event"; ``whats`` its plural) with ``code`` (None: catches every code) joins catchers of
    ``seen`` codes on one scope, where it is undefined which one catches; None when it may."""
    if code is not None and code in seen:
        return f"multiple {whats} with the same escalationCode '{code}' are not supported on same scope"
    if code is None and None in seen:
        return f"The same scope can not contains more than one {what} without escalation code."
    if seen and (code is None or None in seen):
        return f"The same scope can not contains an {what} without escalation code and another one with escalation code."
    return None


def _escalation_subprocess_problems(root: etree._Element, filename: str) -> list[Problem]:
    """Camunda 7's rules for escalation event sub-processes of one scope: one per escalation
    code, and a catch-all only alone (which of two would catch is otherwise undefined)."""
    codes = {n.get("id"): n.get("escalationCode") or None for n in root.iter(tag("escalation"))}
    problems: list[Problem] = []
    for scope in root.iter(tag("process"), tag("subProcess")):
        seen: list[str | None] = []
        for sub in scope.findall(tag("subProcess")):
            if sub.get("triggeredByEvent") != "true":
                continue
            for start in sub.findall(tag("startEvent")):
                definition = start.find(tag("escalationEventDefinition"))
                if definition is None:
                    continue
                code = codes.get(definition.get("escalationRef")) if definition.get("escalationRef") else None
                message = competing_escalation(code, seen, "escalation event subprocess", "escalation event subprocesses")
                if message:
                    problems.append(Problem(filename, start.sourceline or 0, start.get("id", ""), message))
                seen.append(code)
    return problems


ESP_STARTS = {"messageEventDefinition", "signalEventDefinition", "timerEventDefinition", "errorEventDefinition",
              "escalationEventDefinition", "conditionalEventDefinition"}


def error_boundaries_interrupt(root: etree._Element) -> None:
    """An error boundary event always interrupts its activity (BPMN 2.0, 10.5.4: error events are
    interrupting only; Flowable runs ``cancelActivity="false"`` on one as interrupting too): the
    activity that raised the error is over. Run as written, the activity would wait forever for
    an end it never reaches, and its scope with it."""
    for node in root.iter(tag("boundaryEvent")):
        if node.find(tag("errorEventDefinition")) is not None:
            node.attrib.pop("cancelActivity", None)


def implicit_error_codes(root: etree._Element) -> None:
    """Camunda 7 reads an errorRef that names no error element as the error code itself
    (errorRef="myError" throws/catches the code myError): such an error is added."""
    defined = {n.get("id") for n in root.iter(tag("error"))}
    for node in root.iter(tag("errorEventDefinition")):
        ref = node.get("errorRef")
        if ref and ref not in defined:
            root.insert(0, etree.Element(tag("error"), {"id": ref, "errorCode": ref}))
            defined.add(ref)


def address_bare_receive_tasks(root: etree._Element) -> None:
    """A receive task without messageRef is a wait state in Camunda 7 (left by an API call for
    that execution); SpiffWorkflow passed straight through it. Here it waits for a message
    named like the task's id, so `amtsflow message <task id>` (or a thrown message) moves it on."""
    for node in root.iter(tag("receiveTask")):
        if node.get("messageRef") or node.find(tag("messageEventDefinition")) is not None or not node.get("id"):
            continue
        message_id = f"amtsflow_receive_{node.get('id')}"
        root.insert(0, etree.Element(tag("message"), {"id": message_id, "name": node.get("id", "")}))
        node.set("messageRef", message_id)


def unconditional_exclusive_flows(root: etree._Element) -> None:
    """Camunda 7 lets one outgoing flow of an exclusive gateway go without condition (and
    without being the default): gateway flows are tried in document order and a flow without
    condition is true. SpiffWorkflow refuses it; the flow gets the condition True, which
    keeps Camunda's order. Two such flows stay refused."""
    flows_by_source: dict[str, list[etree._Element]] = {}
    for flow in root.iter(tag("sequenceFlow")):
        flows_by_source.setdefault(flow.get("sourceRef", ""), []).append(flow)
    for gateway in root.iter(tag("exclusiveGateway")):
        bare = [f for f in flows_by_source.get(gateway.get("id", ""), [])
                if f.find(tag("conditionExpression")) is None and f.get("id") != gateway.get("default")]
        if len(bare) == 1 and len(flows_by_source.get(gateway.get("id", ""), [])) > 1:
            condition = etree.SubElement(bare[0], tag("conditionExpression"))
            condition.text = "True"


def unconditional_inclusive_flows(root: etree._Element) -> None:
    """Camunda 7 and Flowable take every outgoing flow of an inclusive gateway that has no
    condition (and is not the default) as if its condition were true. SpiffWorkflow refuses such
    a flow; each gets the condition True."""
    flows_by_source: dict[str, list[etree._Element]] = {}
    for flow in root.iter(tag("sequenceFlow")):
        flows_by_source.setdefault(flow.get("sourceRef", ""), []).append(flow)
    for gateway in root.iter(tag("inclusiveGateway")):
        flows = flows_by_source.get(gateway.get("id", ""), [])
        if len(flows) < 2:
            continue   # one flow: SpiffWorkflow takes it as the default
        for flow in flows:
            if flow.find(tag("conditionExpression")) is None and flow.get("id") != gateway.get("default"):
                etree.SubElement(flow, tag("conditionExpression")).text = "True"


def local_references(root: etree._Element) -> None:
    """A reference written as a qualified name whose prefix stands for the file's own
    targetNamespace (``messageRef="tns:newInvoice"`` with ``xmlns:tns`` = targetNamespace) names
    the element of that id in this file, as Camunda's and Flowable's parsers resolve it; it is
    written as the plain id. A prefix of another namespace stays (and points to nothing here)."""
    target = root.get("targetNamespace")
    if not target:
        return
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        for attribute in ("messageRef", "signalRef", "errorRef", "escalationRef"):
            prefix, colon, local = (node.get(attribute) or "").partition(":")
            if colon and local and node.nsmap.get(prefix) == target:
                node.set(attribute, local)


def inline_event_definition_refs(root: etree._Element) -> None:
    """An event whose ``<eventDefinitionRef>`` names an event definition written once at the top
    of the file (a root element under ``definitions``, BPMN's shared event definitions) gets its
    own copy of that definition in its place (id ``<event id>__<definition id>``), as if it were
    written inside the event; the shared definitions are then removed. A reference to nothing
    stays, and is refused by :func:`static_problems`."""
    shared = {d.get("id"): d for d in root
              if isinstance(d.tag, str) and d.tag.startswith(f"{{{BPMN}}}") and d.tag.endswith("EventDefinition")
              and d.get("id")}
    if not shared:
        return
    for ref in list(root.iter(tag("eventDefinitionRef"))):
        target = shared.get((ref.text or "").strip().rpartition(":")[2])
        event = ref.getparent()
        if target is None or event is None:
            continue
        inline = copy.deepcopy(target)
        inline.set("id", f"{event.get('id', '')}__{target.get('id')}")
        inline.tail = ref.tail
        event.replace(ref, inline)
    if not any(True for _ in root.iter(tag("eventDefinitionRef"))):
        for definition in shared.values():
            root.remove(definition)


ANONYMOUS_PREFIXES = {"sequenceFlow": "flow", "subProcess": "subProcess", "transaction": "transaction",
                      "adHocSubProcess": "adHocSubProcess"}


def name_anonymous_flows(root: etree._Element) -> None:
    """Give every sequence flow and every sub-process without an id one (``flow_<line>_<n>``,
    ``subProcess_<line>_<n>``). BPMN lets flows go unnamed (Camunda's own test models do);
    SpiffWorkflow keys flows by id, so unnamed flows overwrite each other and the case stalls
    without a word. An event sub-process needs no id either (nothing flows into it; Flowable's
    and Camunda's test models leave it out), but SpiffWorkflow keys its spec by id: unnamed, it
    crashed the first save of every case."""
    taken = {n.get("id") for n in root.iter() if isinstance(n.tag, str) and n.get("id")}
    for name, prefix in ANONYMOUS_PREFIXES.items():
        for n, node in enumerate(root.iter(tag(name))):
            if not node.get("id"):
                new_id = f"{prefix}_{node.sourceline or 0}_{n}"
                while new_id in taken:
                    new_id += "_"
                node.set("id", new_id)
                taken.add(new_id)


# Gateways whose prediction stops at their outgoing flows (SpiffWorkflow predicts what follows
# them as "likely"/"maybe", looking only a step or two ahead).
PREDICTION_STOPS = ("exclusiveGateway", "inclusiveGateway", "complexGateway", "eventBasedGateway")


def gateway_free_loops(root: etree._Element) -> None:
    """A loop of sequence flows with no deciding gateway in it (``task1 -> task1``, ``a -> b ->
    a``: left only by a boundary event, an event sub-process, a terminate or error elsewhere;
    Flowable's BoundaryConditionalEventTest) gets a pass-through exclusive gateway on one flow
    of the loop (``<flow id>__loop``, its one flow unconditional). SpiffWorkflow predicts every
    certain next step when a case starts, and in such a loop it predicted without end: the
    start crashed (RecursionError). A gateway's next steps are predicted only a step ahead."""
    for container in [*root.iter(tag("process")), *root.iter(tag("subProcess"), tag("transaction"),
                                                              tag("adHocSubProcess"))]:
        children = [c for c in container if isinstance(c.tag, str)]
        stops = {c.get("id") for c in children if local_name(str(c.tag)) in PREDICTION_STOPS}
        flows = [c for c in children if c.tag == tag("sequenceFlow")
                 and c.get("sourceRef") not in stops and c.get("targetRef") not in stops]
        out: dict[str, list[etree._Element]] = {}
        for flow in flows:
            out.setdefault(flow.get("sourceRef", ""), []).append(flow)
        state: dict[str, int] = {}   # 1: on the current path, 2: done
        back: list[etree._Element] = []
        for start in [f.get("sourceRef", "") for f in flows]:
            if start in state:
                continue
            state[start] = 1
            stack = [(start, iter(out.get(start, [])))]
            while stack:
                node, pending = stack[-1]
                following = next(pending, None)
                if following is None:
                    state[node] = 2
                    stack.pop()
                    continue
                target = following.get("targetRef", "")
                if state.get(target) == 1:
                    back.append(following)
                elif target not in state:
                    state[target] = 1
                    stack.append((target, iter(out.get(target, []))))
        for flow in back:
            gateway_id = f"{flow.get('id')}__loop"
            target = flow.get("targetRef", "")
            etree.SubElement(container, tag("exclusiveGateway"), id=gateway_id)
            flow.set("targetRef", gateway_id)
            etree.SubElement(container, tag("sequenceFlow"), id=f"{gateway_id}_out", sourceRef=gateway_id,
                             targetRef=target)


TIMER_TAGS = ("timeDuration", "timeDate", "timeCycle")


def iso_timer_literals(root: etree._Element) -> None:
    """In the spiff dialect a timer value is a Python expression, so a bare ISO 8601 value
    (``PT1S``, ``R4/PT1S``, ``2026-12-01T08:00:00``: what the BPMN standard and every other
    modeler write) would be read as a variable name or a division and fail when the timer
    starts. Such a value is its own string literal here, as in the Camunda dialect."""
    for name in TIMER_TAGS:
        for node in root.iter(tag(name)):
            text = (node.text or "").strip()
            if text and juel.is_iso_timer(text):
                node.text = repr(text)


def process_ids(root: etree._Element) -> set[str]:
    return {p.get("id", "") for p in root.iter(tag("process")) if p.get("id")}


EVAL_TAGS = ("conditionExpression", "completionCondition", "loopCardinality", "timeDuration", "timeDate",
             "timeCycle", "condition", "loopCondition")


THROW_CALL = re.compile(r"\bthrow_bpmn_error\s*\(")
THROWN_ELSEWHERE = ("throw_bpmn_error() works in a script task's script only (a condition, a timer or a pre-/post-"
                    "script cannot end its element with a BPMN error); throw the error from a script task, or "
                    "lead a gateway's flow to an error end event")


def expression_problems(root: etree._Element, filename: str,
                        check: Callable[[str, str, str], list[str]]) -> list[Problem]:
    """Every script and expression in the file, reachable or not, through the safe checker."""
    found: list[tuple[etree._Element, str, str]] = []
    problems_elsewhere: list[Problem] = []   # throw_bpmn_error() outside a script task's script
    for node in root.iter(tag("script"), tag("preScript", SPIFF), tag("postScript", SPIFF)):
        parent = node.getparent()
        language = (parent.get("scriptFormat") or "").strip().lower() if parent is not None else ""
        mode = "javascript" if language in JAVASCRIPT_NAMES else "eval" if language == "juel" else "exec"
        if node.tag == tag("script") and mode == "javascript":
            mode = "javascript-task"   # a script task's own script: it may throw a BpmnError
        elif node.tag != tag("script") and mode == "exec" and THROW_CALL.search(node.text or ""):
            problems_elsewhere.append(Problem(filename, node.sourceline or 0, owner_id(node), THROWN_ELSEWHERE))
        found.append((node, node.text or "", mode))
    for name in EVAL_TAGS:
        for node in root.iter(tag(name)):
            text = node.text or ""
            found.append((node, text, "javascript" if is_javascript(text) else "eval"))
            if THROW_CALL.search(node.text or ""):
                problems_elsewhere.append(Problem(filename, node.sourceline or 0, owner_id(node), THROWN_ELSEWHERE))
    problems = problems_elsewhere
    for node, source, mode in found:
        if not source.strip():
            continue
        element_id = owner_id(node)
        for message in check(source.strip() if mode == "eval" else source, mode, element_id):
            problems.append(Problem(filename, node.sourceline or 0, element_id, message))
    return problems


OMG_NAMESPACES = "{http://www.omg.org/spec/"    # BPMN 2.0 model and DI, DC, DI, DMN


def duplicate_id_problems(root: etree._Element, filename: str) -> list[Problem]:
    """Ids of BPMN/DMN (and diagram) elements are unique in their document (xsd:ID); SpiffWorkflow
    would silently keep one of two same-named elements. Extension elements (spiffworkflow:,
    camunda: ...) use ``id`` for other things and are not counted. Reported at each
    repetition, naming the first occurrence."""
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for node in root.iter():
        spec_element = isinstance(node.tag, str) and node.tag.startswith(OMG_NAMESPACES)
        element_id = node.get("id") if spec_element else None
        if not element_id:
            continue
        line = node.sourceline or 0
        if element_id in first:
            problems.append(Problem(filename, line, element_id,
                                    f"duplicate id '{element_id}' (first used on line {first[element_id]})"))
        else:
            first[element_id] = line
    return problems


def start_event_problems(root: etree._Element, filename: str, *, flowable: bool) -> list[Problem]:
    """Start events Camunda 7 and Flowable refuse at deploy: more than one none start event on a
    process (nothing says at which one a person's case begins; a case began at one of them and
    the others' paths never ran). Camunda refuses a none start beside a timer start too; here
    that works on purpose (a person starts at the none start, the scheduler at the timer's,
    tests/camunda_scenarios/test_start_choice.py). Camunda also refuses formKey together with
    formRef."""
    problems: list[Problem] = []
    for process in root.iter(tag("process")):
        starts = [n for n in process if isinstance(n.tag, str) and n.tag == tag("startEvent")]
        kinds = [(n, next((local_name(c.tag) for c in n if isinstance(c.tag, str)
                           and local_name(c.tag).endswith("EventDefinition")), None)) for n in starts]
        counted = [n for n, kind in kinds if kind is None]
        for node in counted[1:]:
            problems.append(Problem(filename, node.sourceline or 0, node.get("id", ""),
                                    "Multiple none start events are not supported" if flowable else
                                    "multiple none start events or timer start events not supported on process "
                                    "definition"))
    if not flowable:
        for node in root.iter(tag("startEvent"), tag("userTask")):
            if node.get(tag("formKey", CAMUNDA)) is not None and node.get(tag("formRef", CAMUNDA)) is not None:
                problems.append(Problem(filename, node.sourceline or 0, node.get("id", ""),
                                        "Invalid element definition: only one of the attributes formKey and "
                                        "formRef is allowed."))
    return problems


_EXPRESSION_TEXTS = ("conditionExpression", "completionCondition", "loopCardinality", "timeDuration", "timeDate",
                     "timeCycle")
_OPENER = re.compile(r"(?<!\\)[$#]\{")


def unclosed_expression_problems(root: etree._Element, filename: str) -> list[Problem]:
    """An expression opened with ``${`` or ``#{`` and never closed (``${currentUser()``):
    Camunda 7 refuses it at deploy ("Error parsing ..."); read as plain text it would, for
    example, make a person named '${currentUser()' the assignee."""
    problems: list[Problem] = []

    def check(node: etree._Element, value: str | None) -> None:
        if value and _OPENER.search(juel.strip_expressions(value)):
            problems.append(Problem(filename, node.sourceline or 0, owner_id(node),
                                    f"Error parsing '{value.strip()}': an expression opened with '${{' or '#{{' "
                                    "is not closed with '}'"))

    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        for name, value in node.attrib.items():
            if name.startswith(f"{{{CAMUNDA}}}") or name in ("calledElement", "sourceExpression") or (
                    name == "name" and node.tag in (tag("message"), tag("signal"))):
                check(node, value)
        if local_name(node.tag) in _EXPRESSION_TEXTS or node.tag in (
                tag("inputParameter", CAMUNDA), tag("outputParameter", CAMUNDA)):
            if not any(isinstance(c.tag, str) for c in node):
                check(node, node.text)
    return problems


_ESCALATION_HOSTS = ("subProcess", "callActivity", "userTask", "transaction")


def escalation_and_signal_problems(root: etree._Element, filename: str, *, escalations: bool = True) -> list[Problem]:
    """What Camunda 7 refuses of escalation and signal events, in its words
    (EscalationEventParseInvalidProcessTest, SignalEventParseInvalidProcessTest): a thrown
    escalation without a reference or a code (nothing could say what is thrown), escalation
    boundary events that compete on one activity (which of them catches is undefined) or sit on
    an activity that cannot escalate, two signals of one name, and two signal start events of
    one scope listening to the same name. The signal rules hold in every dialect (plain BPMN
    too); ``escalations`` (the Camunda dialect) adds the others. A signal event without a
    signalRef, which Camunda refuses too, stays: bare SpiffWorkflow runs such models
    (its own boundary_event_split.bpmn), and the engine must run all it runs."""
    problems: list[Problem] = []

    def add(node: etree._Element, message: str) -> None:
        problems.append(Problem(filename, node.sourceline or 0, node.get("id", ""), message))

    codes = {n.get("id"): (n.get("escalationCode") or "").strip() or None for n in root.iter(tag("escalation"))}
    for thrower in root.iter(tag("intermediateThrowEvent"), tag("endEvent")) if escalations else ():
        definition = thrower.find(tag("escalationEventDefinition"))
        if definition is None:
            continue
        ref = definition.get("escalationRef")
        if not ref:
            add(thrower, "escalationEventDefinition does not have required attribute 'escalationRef'")
        elif ref in codes and codes[ref] is None:
            add(thrower, "escalation end event must have an 'escalationCode'" if thrower.tag == tag("endEvent")
                else "throwing escalation event must have an 'escalationCode'")
    by_host: dict[str, list[str | None]] = {}   # activity -> codes of its escalation boundary events
    hosts = {n.get("id"): local_name(n.tag) for n in root.iter() if isinstance(n.tag, str) and n.get("id")}
    for boundary in root.iter(tag("boundaryEvent")) if escalations else ():
        definition = boundary.find(tag("escalationEventDefinition"))
        if definition is None:
            continue
        host = boundary.get("attachedToRef", "")
        if hosts.get(host) not in _ESCALATION_HOSTS:
            add(boundary, "An escalation boundary event should only be attached to a subprocess, a call activity or "
                          "an user task")
            continue
        ref = definition.get("escalationRef")
        code = codes.get(ref) if ref else None
        seen = by_host.setdefault(host, [])
        message = competing_escalation(code, seen, "escalation boundary event", "escalation boundary events")
        if message:
            add(boundary, message)
        seen.append(code)
    names: dict[str, str] = {}
    for signal in root.iter(tag("signal")):
        name = (signal.get("name") or "").strip()
        if name and name in names.values():
            add(signal, f"duplicate signal name '{name}'")
        names[signal.get("id", "")] = name
    for scope in [*root.iter(tag("process")), *root.iter(tag("subProcess"))]:
        starts = list(scope.findall(tag("startEvent")))
        starts += [s for sub in scope.findall(tag("subProcess")) if sub.get("triggeredByEvent") == "true"
                   for s in sub.findall(tag("startEvent")) if s.get("isInterrupting", "true") != "false"]
        listening: set[str] = set()
        for start in starts:
            definition = start.find(tag("signalEventDefinition"))
            name = names.get(definition.get("signalRef", ""), "") if definition is not None else ""
            if not name:
                continue
            if name in listening:
                add(start, f"Cannot have more than one signal event subscription with name '{name}'")
            listening.add(name)
    return problems
