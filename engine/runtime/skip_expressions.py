"""Flowable's skip expressions (``flowable:skipExpression`` / ``activiti:skipExpression``).

Skipping is switched on per case by the variable ``_ACTIVITI_SKIP_EXPRESSION_ENABLED`` or
``_FLOWABLE_SKIP_EXPRESSION_ENABLED`` (Flowable's SkipExpressionUtil: an Activiti flag that
is a boolean decides; else the Flowable flag: unset is off, a boolean decides, anything else
is an error). Only then is an element's skip expression evaluated; it must give a boolean.

* On a service task (a connector call, an expression, a mail or http task, an external
  task), a script task or a user task: when skipping is on and the expression holds, the task
  does not run (no call, no script, no work item, no task listeners) and the flow goes on
  along its outgoing flows; its execution listeners (start, end) run, as Flowable's agenda
  runs them around the skipped behaviour. The decision is taken when the task would run
  (a user task: when it would be created, after its start listeners).
* On a sequence flow: when skipping is on, the skip expression replaces the flow's condition
  (Flowable: "the 'skip' for a sequence flow means that we skip the condition"); the only
  flow leaving an activity or event is always taken. Translated at deploy time into the
  flow's condition: ``flowable_skip(<skip>) if flowable_skip_enabled(..) else <condition>``.

Refused at deploy: skip expressions on receive tasks (their wait cannot be skipped here), on
flows leaving parallel, event-based or complex gateways (Flowable would stop taking a
parallel flow), on a default flow, and skip expressions that are no ``${...}`` expression.
Elements Flowable does not read the attribute on (send tasks, decision tasks, call
activities, sub-processes, events, gateways) keep running as in Flowable: the attribute is
dropped with a warning.
"""

from __future__ import annotations

from typing import Any, Callable

from lxml import etree

from engine.runtime import juel, spiff_seam
from engine.runtime.namespaces import local_name, owner_id, tag

__all__ = ["SKIP_ATTRIBUTE", "SKIPPED", "attach", "expressions", "skipped", "translate"]

SKIP_ATTRIBUTE = "{urn:amtsflow:flowable}skipExpression"   # on an activity: its translated skip condition
SKIPPED = "flowable_skipped"   # internal data: this task was skipped
ENABLED = ("flowable_skip_enabled(execution.getVariable('_ACTIVITI_SKIP_EXPRESSION_ENABLED'), "
           "execution.getVariable('_FLOWABLE_SKIP_EXPRESSION_ENABLED'))")
_ACTIVITIES = ("serviceTask", "scriptTask", "userTask")
_NOT_TAKEN = ("parallelGateway", "eventBasedGateway", "complexGateway")
_TYPE = "{urn:amtsflow:flowable}type"
Report = Callable[[etree._Element, str], None]


def translate(node: etree._Element, value: str, fail: Report, warn: Report) -> None:
    """``node`` carried ``flowable:skipExpression="value"`` (already removed from it)."""
    kind = local_name(str(node.tag))
    if kind not in (*_ACTIVITIES, "sequenceFlow", "receiveTask") or _is_decision(node):
        warn(node, "flowable:skipExpression is ignored here, as Flowable ignores it on this element (it reads it "
                   "on service, script, user and receive tasks and on sequence flows)")
        return
    if kind == "receiveTask":
        fail(node, "flowable:skipExpression: skipping a receive task is not supported; route around it with an "
                   "exclusive gateway")
        return
    if not juel.is_juel(value):
        fail(node, f"flowable:skipExpression=\"{value}\": a skip expression must be an expression (${{...}}) that "
                   "gives true or false")
        return
    try:
        skip = juel.translate(value.strip())
    except juel.JuelError as exc:
        fail(node, f"flowable:skipExpression {value!r}: {exc}")
        return
    if kind == "sequenceFlow":
        _flow(node, skip, fail)
    else:
        node.set(SKIP_ATTRIBUTE, f"{ENABLED} and flowable_skip({skip})")


def _is_decision(node: etree._Element) -> bool:
    types = {node.get(_TYPE), *(v for k, v in node.attrib.items() if local_name(k) == "type")}
    return local_name(str(node.tag)) == "serviceTask" and "dmn" in types


def _flow(flow: etree._Element, skip: str, fail: Report) -> None:
    container = flow.getparent()
    source_id = flow.get("sourceRef", "")
    source = next((n for n in container if isinstance(n.tag, str) and n.get("id") == source_id), None) \
        if container is not None else None
    source_kind = local_name(str(source.tag)) if source is not None else ""
    outgoing = [f for f in container if isinstance(f.tag, str) and f.tag == tag("sequenceFlow")
                and f.get("sourceRef") == source_id] if container is not None else [flow]
    if source_kind in _NOT_TAKEN:
        fail(flow, f"flowable:skipExpression on a flow leaving a {source_kind} is not supported (Flowable would "
                   "not take the flow while skipping is on); put the skip expression on the activity")
        return
    if source is not None and source.get("default") == flow.get("id"):
        fail(flow, "flowable:skipExpression on a default flow is not supported; give it to a conditional flow")
        return
    if not source_kind.endswith("Gateway") and len(outgoing) == 1:
        return   # the only flow of an activity or event is always taken, skipping or not
    condition = flow.find(tag("conditionExpression"))
    otherwise: str | None = "True"
    if condition is None:
        condition = etree.SubElement(flow, tag("conditionExpression"))
    else:
        otherwise = _condition(condition, fail)
        if otherwise is None:
            return
    condition.text = f"(flowable_skip({skip}) if {ENABLED} else ({otherwise}))"


def _condition(condition: etree._Element, fail: Report) -> str | None:
    """The flow's own condition as an expression of the engine (what camunda_checks would make of it)."""
    text = (condition.text or "").strip()
    language = (condition.get("language") or "").lower()
    if language not in ("juel", "python", ""):
        fail(condition, f"flowable:skipExpression: the flow's condition is written in '{condition.get('language')}', "
                        "which cannot run here; write it as a ${...} expression")
        return None
    if not juel.is_juel(text):
        return text or "True"
    try:
        return juel.translate(text)
    except juel.JuelError as exc:
        fail(condition, f"expression {text!r}: {exc}")
        return None


def expressions(root: etree._Element) -> dict[str, str]:
    """Element id -> translated skip condition, for the activities that have one."""
    return {owner_id(node): node.get(SKIP_ATTRIBUTE, "") for node in root.iter()
            if isinstance(node.tag, str) and node.get(SKIP_ATTRIBUTE)}


def skipped(task: Any) -> bool:
    """A user task whose skip expression held: the engine runs it through instead of waiting."""
    return bool(task.internal_data.get(SKIPPED))


class Skippable:
    """Mixin for a task spec with a skip expression (``skip_expression``: the translated condition)."""

    skip_expression: str
    manual: bool

    def _holds(self, my_task: Any) -> bool:
        return bool(my_task.workflow.top_workflow.script_engine.evaluate(my_task, self.skip_expression))

    def _on_ready_hook(self, my_task: Any) -> None:
        if self.manual and self._holds(my_task):   # before its create listeners: none run, no work item
            my_task.internal_data[SKIPPED] = True
        super()._on_ready_hook(my_task)  # type: ignore[misc]

    def _run_hook(self, my_task: Any) -> Any:
        if self.manual:
            return True if skipped(my_task) else super()._run_hook(my_task)  # type: ignore[misc]
        if self._holds(my_task):
            my_task.internal_data[SKIPPED] = True
            return True
        return super()._run_hook(my_task)  # type: ignore[misc]


def attach(task_spec: Any, expression: str) -> None:
    """Give ``task_spec`` its skip expression (a subclass of its class with :class:`Skippable`)."""
    spiff_seam.mix_in(task_spec, Skippable, "Skippable")
    task_spec.skip_expression = expression
