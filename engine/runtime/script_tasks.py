"""Script tasks of the Camunda dialect: Python in the safe evaluator, JavaScript in the sandbox.

The parser keeps ``scriptFormat`` and ``camunda:resultVariable`` on the task spec; a JUEL
task (``scriptFormat="juel"``, Camunda's default language, translated at deploy) is an
expression whose value lands in the result variable; a JavaScript task runs in :class:`engine.runtime.javascript.JavaScriptSandbox` with Camunda's
script API (``execution.getVariable/setVariable``), and its completion value lands in the
result variable when one is named. Python scripts run as before (assignments become
variables). Other languages never get here: the deploy-time checks refuse them.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.task_parsers import ScriptTaskParser
from SpiffWorkflow.bpmn.specs.defaults import ScriptTask

from engine.domain.errors import ExpressionError
from engine.runtime.javascript import JAVASCRIPT_NAMES
from engine.runtime.namespaces import CAMUNDA, tag


class CamundaScriptTask(ScriptTask):
    """A script task that knows its language and result variable."""

    script_format = ""
    result_variable = ""

    def _execute(self, task: Any) -> Any:
        if self.script_format == "juel":  # translated at deploy (camunda_checks): an expression
            result = task.workflow.script_engine.evaluate(task, self.script)
            if self.result_variable:
                task.data[self.result_variable] = result
            return True
        if self.script_format not in JAVASCRIPT_NAMES:
            return super()._execute(task)
        try:
            outcome = task.workflow.script_engine.run_javascript(task, self.script)
        except ExpressionError as exc:
            raise WorkflowTaskException(exc.message, task=task, exception=exc) from exc
        if self.result_variable:
            task.data[self.result_variable] = outcome.result
        return True


class CamundaScriptTaskParser(ScriptTaskParser):
    def create_task(self) -> Any:
        spec = super().create_task()
        spec.script_format = (self.node.get("scriptFormat") or "").strip().lower()
        spec.result_variable = self.node.get(tag("resultVariable", CAMUNDA)) or ""
        return spec
