"""Business rule tasks as Camunda 7 runs them: the decision's result goes into
``camunda:resultVariable``, shaped by ``camunda:mapDecisionResult``.

SpiffWorkflow merges the matched rule's outputs into the case's variables under the output
names. Camunda stores nothing but the result variable (DmnBusinessRuleTaskTest), mapped as:

* ``resultList`` (the default): a list with one map (output name -> value) per matched rule;
* ``singleResult``: that one map, or null when no rule matched; more than one match fails;
* ``singleEntry``: the one output value of the one matched rule, or null; more fails;
* ``collectEntries``: the values of the one output across all matched rules.

A decisionRef that no DMN file of the deployment defines (and no earlier deployment lends,
:func:`engine.services.called.borrow_decisions`) deploys with a warning, as Camunda resolves the
decision only when the task runs; a case that reaches the task fails with an incident.

A task without a result variable keeps the outputs as SpiffWorkflow sets them (named by the
decision's outputs), as models written for this engine expect; Camunda would keep them only
for the task's own output mapping.

A decision-table input whose input expression is empty and that names a
``camunda:inputVariable`` tests the variable of that name (:func:`for_the_library`): Camunda
reads empty expression text as no expression (the input's value null), binds no cell input for
it, and its FEEL unary tests read the input variable from the context, i.e. the process variable
of that name, null when the case has none (DigiWF's decisions are written so). Without
``camunda:inputVariable`` an empty input expression keeps SpiffWorkflow's reading (the variable
named by the input's label).

FEEL's literals ``true``, ``false`` and ``null`` as a whole input or output entry (Camunda's
default cell language; a boolean column) are read as the boolean or null. Input entries in FEEL
(no ``expressionLanguage``, or FEEL) that are lists, ranges, comparisons or ``not(...)`` are read
as FEEL simple unary tests (engine.runtime.feel_unary); other cells are read as before (one
value compared with the input, or Python).

An empty output entry leaves its output out of the rule's result, as Camunda's
DecisionTableEvaluationHandler.evaluateOutputEntries skips empty expressions (SpiffWorkflow gives
the empty text): a result map lacks that name, singleEntry of such a rule is null, collectEntries
skips it. This holds for tasks with a result variable; without one SpiffWorkflow's reading stays.
Without ``camunda:inputVariable`` an empty input expression is read as SpiffWorkflow reads it (the
variable named by the input's label; Camunda binds no input value then, and the FEEL tests read
the variable ``cellInput``, null unless a case has one).
"""

from __future__ import annotations

import json
from copy import deepcopy
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.camunda.parser.task_spec import BusinessRuleTaskParser
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask

from engine.domain.errors import Problem
from engine.runtime import feel_unary
from engine.runtime.namespaces import CAMUNDA, tag

MAPPINGS = ("resultList", "singleResult", "singleEntry", "collectEntries")
CAMUNDA_DMN = "http://camunda.org/schema/1.0/dmn"
INPUT_VARIABLE = f"{{{CAMUNDA_DMN}}}inputVariable"


def _empty_named_inputs(root: etree._Element) -> list[tuple[etree._Element, str]]:
    """(inputExpression, camunda:inputVariable) of the inputs whose expression has no text."""
    found = []
    for node in root.iter("{*}input"):
        name = (node.get(INPUT_VARIABLE) or "").strip()
        if not name:
            continue
        for expression in node.findall("{*}inputExpression"):
            text = expression.find("{*}text")
            if text is None or not (text.text or "").strip():
                found.append((expression, name))
    return found


FEEL_LITERALS = {"true": "True", "false": "False", "null": "None"}


def _feel_literal_cells(root: etree._Element) -> list[etree._Element]:
    """The <text> of input and output entries that are nothing but a FEEL literal."""
    return [text for entry in root.iter("{*}inputEntry", "{*}outputEntry") for text in entry.findall("{*}text")
            if (text.text or "").strip() in FEEL_LITERALS]


def _is_feel(language: str | None) -> bool:
    return not (language or "").strip() or "feel" in (language or "").lower()


def _feel_unary_cells(root: etree._Element) -> list[tuple[etree._Element, str]]:
    """(<text>, Python match expression) of the FEEL input entries that are unary tests
    SpiffWorkflow would misread (lists, ranges, comparisons, not(...))."""
    if not _is_feel(root.get("expressionLanguage")):
        return []
    found = []
    for entry in root.iter("{*}inputEntry"):
        if not _is_feel(entry.get("expressionLanguage")):
            continue
        for text in entry.findall("{*}text"):
            python = feel_unary.to_python(text.text or "")
            if python is not None:
                found.append((text, python))
    return found


def for_the_library(root: etree._Element) -> etree._Element:
    """``root`` (a DMN tree) as the decision engine is to read it: each empty input expression
    that names a ``camunda:inputVariable`` reads that variable, null when absent, as Camunda tests
    the column; each cell that is a FEEL literal (true, false, null) is that value, each FEEL
    input entry that is a list, range, comparison or not(...) its Python match expression (a copy;
    ``root`` itself is never changed; ``root`` when nothing is to do)."""
    if not _empty_named_inputs(root) and not _feel_literal_cells(root) and not _feel_unary_cells(root):
        return root
    copy = deepcopy(root)
    for cell, python in _feel_unary_cells(copy):
        cell.text = python
    for expression, name in _empty_named_inputs(copy):
        text = expression.find("{*}text")
        if text is None:
            text = etree.SubElement(expression, f"{{{etree.QName(expression).namespace}}}text")
        text.text = f"execution.getVariable({json.dumps(name)})"
    for text in _feel_literal_cells(copy):
        text.text = FEEL_LITERALS[(text.text or "").strip()]
    return copy


def map_result(results: list[dict[str, Any]], mapping: str) -> Any:
    """The decision result (one output map per matched rule) as ``mapping`` shapes it; raises
    ValueError with Camunda's reason when the result does not fit the shape."""
    if mapping == "resultList":
        return results
    if mapping == "collectEntries":
        if any(len(r) > 1 for r in results):
            raise ValueError("collectEntries needs a decision with one output; this result has several")
        return [next(iter(r.values())) for r in results if r]
    if len(results) > 1:
        raise ValueError(f"{mapping} needs at most one matched rule; {len(results)} rules matched")
    if not results:
        return None
    if mapping == "singleResult":
        return results[0]
    if len(results[0]) > 1:
        raise ValueError("singleEntry needs a decision with one output; the matched rule has several")
    return next(iter(results[0].values()), None)


def rule_outputs(rule: Any, task: Any) -> dict[str, Any]:
    """The outputs of a matched rule, without those whose output entry is empty (Camunda leaves
    them out of the result; SpiffWorkflow gives the empty text)."""
    outputs = dict(rule.output_as_dict(task))
    for entry in rule.outputEntries:
        key = entry.output.name or entry.output.label
        if not (getattr(entry, "text", None) or "").strip() and "." not in key:
            outputs.pop(key, None)
    return outputs


class MissingDecision:
    """Stands in for the decision table of a decisionRef the deployment lacks: fails when run."""

    def __init__(self, decision_ref: str) -> None:
        self.decision_ref = decision_ref

    def _fail(self, task: Any) -> Any:
        raise WorkflowTaskException(
            f"the decision '{self.decision_ref}' is not deployed with this process; deploy its DMN file, then "
            "deploy the process again and start a new case (or move this case to the new version)", task=task)

    decide = result = _fail


def missing_decision_warnings(root: etree._Element, filename: str, decisions: set[str]) -> list[Problem]:
    """Business rule tasks whose fixed decisionRef no DMN file of the deployment defines."""
    warnings = []
    for node in root.iter(tag("businessRuleTask")):
        ref = (node.get(f"{{{CAMUNDA}}}decisionRef") or "").strip()
        if ref and "{" not in ref and ref not in decisions:
            warnings.append(Problem(filename, node.sourceline or 0, node.get("id", ""),
                                    f"the decision '{ref}' is neither part of this deployment nor deployed before; "
                                    "a case that reaches this task fails with an incident: deploy the DMN file, "
                                    "then deploy this model again (it takes the decision at its deployment)"))
    return warnings


class CamundaDecisionTask(BusinessRuleTask):  # type: ignore[misc]
    result_variable = ""
    map_decision_result = "resultList"

    def _run_hook(self, my_task: Any) -> Any:
        if not self.result_variable:
            return super()._run_hook(my_task)
        try:
            results = [rule_outputs(rule, my_task) for rule in self.dmnEngine.decide(my_task)]
            my_task.data[self.result_variable] = map_result(results, self.map_decision_result)
        except ValueError as exc:
            raise WorkflowTaskException(f"decision result of '{self.bpmn_name or self.bpmn_id}': {exc}",
                                        task=my_task) from exc
        return True


class CamundaDecisionTaskParser(BusinessRuleTaskParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        ref = self.get_decision_ref(self.node)
        parser = self.process_parser.parser
        engine = parser.get_engine(ref, self.node) if ref in parser.dmn_parsers else MissingDecision(ref)
        spec = CamundaDecisionTask(self.spec, self.bpmn_id, dmnEngine=engine, **self.bpmn_attributes)
        spec.result_variable = (self.node.get(f"{{{CAMUNDA}}}resultVariable") or "").strip()
        mapping = (self.node.get(f"{{{CAMUNDA}}}mapDecisionResult") or "resultList").strip()
        if mapping not in MAPPINGS:
            self.raise_validation_exception(f"camunda:mapDecisionResult '{mapping}' is none of {', '.join(MAPPINGS)}")
        spec.map_decision_result = mapping
        return spec


__all__ = ["CamundaDecisionTask", "CamundaDecisionTaskParser", "MissingDecision", "map_result", "rule_outputs",
           "missing_decision_warnings", "for_the_library"]
