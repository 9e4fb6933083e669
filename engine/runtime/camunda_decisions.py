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
value compared with the input, or Python). FEEL's ``date("...")``, ``time("...")``,
``date and time("...")`` and ``duration("...")`` with one ISO text are read in input entries
(comparisons, ranges, lists, not(...), alone) as feel-scala compares them, an ISO text input as
the literal's type (engine.runtime.feel_temporal), and as a whole output entry as their ISO text
(variables are JSON).

JUEL: an input expression or output entry written ``${...}`` without a language (Camunda's legacy
default) or with ``expressionLanguage="juel"`` (its own or the definitions'; text without ``${``
is read as ``${text}``, as ExpressionEvaluationHandler does) is translated by engine.runtime.juel;
a JUEL input entry sees the input as ``cellInput`` (or the ``camunda:inputVariable``) and matches
when it is true. Cells the engine cannot read so (a temporal function of a variable or in a
calculation, JUEL outside the translated subset) are refused at deploy
(:func:`decision_problems`), never evaluated otherwise.

The ``typeRef`` of an input expression and of an output (string, boolean, integer, long, double,
date; engine.runtime.dmn_types) converts the value as Camunda's DmnDataTypeTransformers do: the
input expression and each non-empty output entry of such a column are wrapped in the evaluator's
``dmn_type`` (:func:`_typed`), so the input entries test the converted value and the result holds
it; a value the type cannot take fails the task with an incident. An input whose expression is
empty (``camunda:inputVariable``) has no value to convert, as in Camunda; a typeRef Camunda does
not know converts nothing and is not refused (Camunda logs it and passes the value on).
SpiffWorkflow evaluates an input only where a rule's cell tests it, so a value no remaining rule
tests is not converted (Camunda converts every input first and would fail there).

An empty output entry leaves its output out of the rule's result, as Camunda's
DecisionTableEvaluationHandler.evaluateOutputEntries skips empty expressions (SpiffWorkflow gives
the empty text): a result map lacks that name, singleEntry of such a rule is null, collectEntries
skips it. This holds for tasks with a result variable; without one SpiffWorkflow's reading stays.
Without ``camunda:inputVariable`` an empty input expression is read as SpiffWorkflow reads it (the
variable named by the input's label; Camunda binds no input value then, and the FEEL tests read
the variable ``cellInput``, null unless a case has one).
"""

from __future__ import annotations

import ast
import io
import json
import tokenize
from copy import deepcopy
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.camunda.parser.task_spec import BusinessRuleTaskParser
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask

from engine.domain.errors import Problem
from engine.runtime import dmn_types, feel_temporal, feel_unary, juel
from engine.runtime.namespaces import CAMUNDA, owner_id, tag

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


def _language(node: etree._Element, root: etree._Element) -> str:
    """The language Camunda reads ``node`` in (DmnExpressionTransformHelper): its own
    ``expressionLanguage``, else the definitions' unless that is FEEL; '' for the engine's default
    (FEEL since 7.13), lower case."""
    own = (node.get("expressionLanguage") or "").strip()
    if own:
        return own.lower()
    inherited = (root.get("expressionLanguage") or "").strip()
    return "" if _is_feel(inherited) else inherited.lower()


def _juel(text: str) -> str:
    """A JUEL cell as Python (Camunda reads text without ``${`` as ``${text}``); raises JuelError."""
    return juel.translate(text if juel.is_juel(text) else "${" + text + "}")


def _bind_input(python: str, name: str) -> str:
    """``python`` with each use of the variable ``name`` read as the decision's input ``?``."""
    edits, previous = [], ""
    for token in tokenize.generate_tokens(io.StringIO(python).readline):
        if token.type == tokenize.NAME and token.string == name and previous != ".":
            edits.append(token.start[1])
        previous = token.string
    for column in reversed(edits):
        python = python[:column] + "?" + python[column + len(name):]
    return python


def _python_expression(text: str) -> bool:
    """Whether a FEEL input expression is also an expression of the engine's evaluator (the
    simple FEEL expressions modelers write: names, paths, literals, arithmetic, comparisons)."""
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return True


def _temporal_output(text: str) -> str | None:
    """An output entry that is one FEEL temporal literal as the Python text of its ISO form."""
    literal = feel_temporal.LITERAL.fullmatch(text.strip())
    if literal is None:
        return None
    iso = feel_temporal.iso_text(literal[1], literal[2])
    return None if iso is None else repr(iso)


REFUSED_TEMPORAL = ("FEEL-Datums- und Zeitfunktionen werden in {where} nur als ganzer Zelleninhalt mit einem festen "
                    'ISO-Text gelesen (date("2024-01-01"), date and time("2024-01-01T10:00:00"), time("10:00:00"), '
                    'duration("P1D")); bitte schreiben Sie die Zelle so oder rechnen Sie den Wert vor der '
                    "Entscheidung aus.")


def _typed(python: str, node: etree._Element, where: str, output: bool = False) -> str:
    """``python`` converted to the typeRef of ``node`` (an inputExpression or output) by the
    evaluator's ``dmn_type`` (engine.runtime.dmn_types); ``python`` itself for no or an unknown typeRef."""
    type_ref = node.get("typeRef") or ""
    if dmn_types.known(type_ref) is None:
        return python
    return f"dmn_type(({python}), {type_ref!r}, {where!r}{', True' if output else ''})"


def _column(node: etree._Element, *names: str) -> str:
    return next((node.get(name, "").strip() for name in names if node.get(name, "").strip()), "")


def _cells(root: etree._Element) -> tuple[list[tuple[etree._Element, str]], list[tuple[etree._Element, str]]]:
    """The cells SpiffWorkflow would misread, as (<text>, Python) to put there, and the cells that
    cannot be read here, as (element, German reason): FEEL input entries that are unary tests
    (engine.runtime.feel_unary), JUEL input expressions, input entries and output entries, output
    entries that are one FEEL temporal literal, input expressions and output entries whose column
    has a typeRef (converted by the evaluator's ``dmn_type``, engine.runtime.dmn_types)."""
    rewrites: list[tuple[etree._Element, str]] = []
    refused: list[tuple[etree._Element, str]] = []
    for table in root.iter("{*}decisionTable"):
        inputs = table.findall("{*}input")
        outputs = table.findall("{*}output")
        for node in inputs:
            for expression in node.findall("{*}inputExpression"):
                _input_expression(expression, root, _column(node, "label", "id"), rewrites, refused)
        for rule in table.findall("{*}rule"):
            for index, entry in enumerate(rule.findall("{*}inputEntry")):
                column = inputs[index] if index < len(inputs) else None
                name = ((column.get(INPUT_VARIABLE) if column is not None else None) or "cellInput").strip()
                _input_entry(entry, root, name, rewrites, refused)
            for index, entry in enumerate(rule.findall("{*}outputEntry")):
                _output_entry(entry, root, outputs[index] if index < len(outputs) else None, rewrites, refused)
    return rewrites, refused


def _juel_cell(body: str, node: etree._Element, what: str, refused: list[tuple[etree._Element, str]]) -> str | None:
    """A JUEL cell's Python; None, with ``node`` refused (``what``: the German name of the cell),
    when it is outside the translated subset."""
    try:
        return _juel(body)
    except juel.JuelError as exc:
        refused.append((node, f"{what} '{body}' kann hier nicht gelesen werden: {exc}"))
        return None


def _input_expression(expression: etree._Element, root: etree._Element, where: str,
                      rewrites: list[tuple[etree._Element, str]], refused: list[tuple[etree._Element, str]]) -> None:
    language = _language(expression, root)
    for text in expression.findall("{*}text"):
        body = (text.text or "").strip()
        if not body:
            continue
        if language == "juel" or (not language and juel.is_juel(body)):
            python = _juel_cell(body, expression, "Der JUEL-Eingabeausdruck", refused)
            if python is not None:
                rewrites.append((text, _typed(python, expression, where)))
        elif _is_feel(language) and feel_temporal.mentions_temporal(body):
            refused.append((expression, REFUSED_TEMPORAL.format(where="Eingabeausdrücken nicht; bitte übergeben Sie "
                                                                      "den Wert als ISO-Text") + f" ('{body}')"))
        elif _is_feel(language) and not _python_expression(body):
            refused.append((expression, f"Der FEEL-Eingabeausdruck '{body}' kann hier nicht gelesen werden: gelesen "
                                        "werden Variablen, Pfade (antrag.datum), Literale und Rechnungen mit + - * / "
                                        "und Vergleichen; bitte schreiben Sie den Ausdruck so oder als ${...}."))
        elif _typed(body, expression, where) != body:
            rewrites.append((text, _typed(body, expression, where)))


def _input_entry(entry: etree._Element, root: etree._Element, name: str,
                 rewrites: list[tuple[etree._Element, str]], refused: list[tuple[etree._Element, str]]) -> None:
    language = _language(entry, root)
    for text in entry.findall("{*}text"):
        body = (text.text or "").strip()
        if not body or body == "-":
            continue
        if language == "juel":
            python = _juel_cell(body, entry, "Die JUEL-Bedingung", refused)
            if python is not None:
                rewrites.append((text, f"dmn_true({_bind_input(python, name)}, ?)"))
        elif _is_feel(language):
            try:
                python = feel_unary.to_python(body)
            except feel_unary.Unsupported as exc:
                refused.append((entry, f"Die FEEL-Zelle kann hier nicht gelesen werden: {exc}"))
                continue
            if python is not None:
                rewrites.append((text, python))


def _output_entry(entry: etree._Element, root: etree._Element, output: etree._Element | None,
                  rewrites: list[tuple[etree._Element, str]], refused: list[tuple[etree._Element, str]]) -> None:
    language = _language(entry, root)
    where = _column(output, "name", "label", "id") if output is not None else ""
    for text in entry.findall("{*}text"):
        body = (text.text or "").strip()
        if not body:
            continue
        python: str | None = None
        if language == "juel" or (not language and juel.is_juel(body)):
            python = _juel_cell(body, entry, "Der JUEL-Ausgabeausdruck", refused)
            if python is None:
                continue
        elif _is_feel(language) and feel_temporal.mentions_temporal(body):
            python = _temporal_output(body)
            if python is None:
                refused.append((entry, REFUSED_TEMPORAL.format(where="Ausgabezellen") + f" ('{body}')"))
                continue
        if output is not None and dmn_types.known(output.get("typeRef")) is not None:
            python = _typed(python or FEEL_LITERALS.get(body, body), output, where, output=True)
        if python is not None:
            rewrites.append((text, python))


def decision_problems(root: etree._Element, filename: str) -> list[Problem]:
    """Deploy problems of a DMN tree: the cells this engine cannot read as Camunda reads them."""
    return [Problem(filename, node.sourceline or 0, owner_id(node), message) for node, message in _cells(root)[1]]


def for_the_library(root: etree._Element) -> etree._Element:
    """``root`` (a DMN tree) as the decision engine is to read it: each empty input expression
    that names a ``camunda:inputVariable`` reads that variable, null when absent, as Camunda tests
    the column; each cell that is a FEEL literal (true, false, null) is that value, each FEEL
    input entry that is a list, range, comparison, not(...) or a temporal test its Python match
    expression, each JUEL cell its translation, each output entry that is a FEEL temporal literal
    its ISO text (a copy; ``root`` itself is never changed; ``root`` when nothing is to do).
    Cells :func:`decision_problems` refuses stay as they are (a stored model deployed before)."""
    if not _empty_named_inputs(root) and not _feel_literal_cells(root) and not _cells(root)[0]:
        return root
    copy = deepcopy(root)
    for cell, python in _cells(copy)[0]:
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


__all__ = ["CamundaDecisionTask", "CamundaDecisionTaskParser", "MissingDecision", "decision_problems", "map_result",
           "rule_outputs", "missing_decision_warnings", "for_the_library"]
