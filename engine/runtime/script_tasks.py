"""Script tasks of the Camunda dialect: Python in the safe evaluator, JavaScript in the sandbox.

The parser keeps ``scriptFormat`` and ``camunda:resultVariable`` on the task spec; a JUEL
task (``scriptFormat="juel"``, Camunda's default language, translated at deploy) is an
expression whose value lands in the result variable; a JavaScript task runs in :class:`engine.runtime.javascript.JavaScriptSandbox` with Camunda's
script API (``execution.getVariable/setVariable``), and its completion value lands in the
result variable when one is named. Python scripts run as before (assignments become
variables). Other languages never get here: the deploy-time checks refuse them.

A task whose ``camunda:resource`` was not inlined at deploy (a file the deployment lacks, or a
path given as an expression) loads it when it runs, as Camunda does
(:mod:`engine.runtime.script_resources`): a missing file fails the task with an incident.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.task_parsers import ScriptTaskParser
from SpiffWorkflow.bpmn.specs.defaults import ScriptTask

from engine.domain.errors import ExpressionError
from engine.runtime import juel, script_errors, script_resources
from engine.runtime._safe_errors import BpmnErrorThrown
from engine.runtime.javascript import JAVASCRIPT_NAMES
from engine.runtime.namespaces import CAMUNDA, tag


class CamundaScriptTask(ScriptTask):
    """A script task that knows its language and result variable."""

    script_format = ""
    result_variable = ""
    resource = ""                       # camunda:resource loaded when the task runs ("" = inline script)
    resource_expression = ""            # the resource as a translated expression when it is one
    scripts: Mapping[str, str] = {}     # the deployment's script files (set by engine.runtime.parsing)

    def _execute(self, task: Any) -> Any:
        if self.resource:
            return self._run_script(task, self._load(task))
        return self._run_script(task, self.script)

    def _load(self, task: Any) -> str:
        reference = self.resource
        if self.resource_expression:
            value = task.workflow.script_engine.evaluate(task, self.resource_expression)
            if not isinstance(value, str) or not value.strip():
                raise WorkflowTaskException(f"camunda:resource {self.resource!r} gave {value!r}, not a script path",
                                            task=task)
            reference = value.strip()
        text = script_resources.find_script(reference, self.scripts)
        if text is None:
            raise WorkflowTaskException(script_resources.missing_message(reference), task=task)
        return text

    def _run_script(self, task: Any, script: str) -> Any:
        engine = task.workflow.script_engine
        if self.script_format == "juel":  # translated at deploy (camunda_checks): an expression
            try:
                source = juel.translate(script.strip()) if self.resource else script
            except juel.JuelError as exc:
                raise WorkflowTaskException(f"script resource {self.resource!r}: {exc}", task=task) from exc
            result = engine.evaluate(task, source)
            if self.result_variable:
                task.data[self.result_variable] = result
            return True
        if self.script_format not in JAVASCRIPT_NAMES:
            with script_errors.main_script():   # its BPMN error may leave the task
                return engine.execute(task, script)
        try:
            outcome = engine.run_javascript(task, script, may_throw=True)
        except ExpressionError as exc:
            raise WorkflowTaskException(exc.message, task=task, exception=exc) from exc
        if outcome.bpmn_error is not None:   # what it set is kept; engine.runtime.script_errors throws it
            script_errors.park(task, BpmnErrorThrown(*outcome.bpmn_error))
            return None
        if self.result_variable:
            task.data[self.result_variable] = outcome.result
        return True


class CamundaScriptTaskParser(ScriptTaskParser):
    def create_task(self) -> Any:
        spec = super().create_task()
        spec.script_format = (self.node.get("scriptFormat") or "").strip().lower()
        spec.result_variable = self.node.get(tag("resultVariable", CAMUNDA)) or ""
        resource = (self.node.get(tag("resource", CAMUNDA)) or "").strip()
        if resource:  # left by the deploy-time translation: not in the deployment, or an expression
            spec.resource = resource
            if script_resources.is_dynamic(resource):
                spec.resource_expression = juel.translate(resource)
            if not spec.script_format:
                spec.script_format = "juel"   # Camunda's default script language
        return spec
