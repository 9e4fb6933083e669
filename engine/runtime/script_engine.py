"""SpiffWorkflow script engine that evaluates everything through the safe evaluator."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Mapping
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from engine.domain.errors import ExpressionError
from engine.ports import Clock
from engine.runtime import budget, script_errors
from engine.runtime._safe_errors import BpmnErrorThrown
from engine.runtime._safe_context import ExecutionContext, ModelScope
from engine.runtime.beans import BEAN_FUNCTION
from engine.runtime.expressions import SafeEvaluator
from engine.runtime.javascript import JavaScriptSandbox, ScriptOutcome
from engine.runtime.io_mapping import script_language
from engine.runtime.languages import is_javascript


def _element_id(task: Any) -> str:
    spec = getattr(task, "task_spec", None)
    return str(getattr(spec, "bpmn_id", None) or getattr(spec, "name", ""))


def _check_size(value: Any, element_id: str) -> None:
    """An expression's result that would be too big to store is refused before anyone keeps it."""
    limits = budget.current_limits()
    try:
        size = budget.stored_size(value, limits.state_bytes, max_depth=limits.data_depth)
    except budget.Unmeasurable as exc:
        raise ExpressionError(f"the result cannot be used: {exc}", element_id=element_id) from None
    except budget.Unstorable:
        return  # a condition may well yield an iterator; storing one is refused where it happens
    if size > limits.state_bytes:
        raise ExpressionError(f"the result would take more than {limits.state_bytes:,} bytes when stored "
                              "(AMTSFLOW_MAX_STATE_BYTES)", element_id=element_id)


def _keep_storable(data: dict[str, Any]) -> list[str]:
    """Remove what a script left in ``data`` that cannot be stored (iterators, cycles, nesting
    too deep) or that makes the data too big (largest first); returns why, per variable.
    The data is measured as stored, shared references counted each time: ``[s] * 1000`` of a
    1 MB text is 1 GB, measured without building it."""
    limits = budget.current_limits()
    try:
        if budget.stored_size(data, limits.state_bytes, max_depth=limits.data_depth + 1) <= limits.state_bytes:
            return []
    except budget.Unstorable:
        pass
    refused: list[str] = []
    sizes: dict[str, int] = {}
    for name, value in list(data.items()):
        try:
            sizes[name] = budget.stored_size(value, limits.state_bytes, max_depth=limits.data_depth)
        except budget.Unstorable as exc:
            del data[name]
            refused.append(f"'{name}': {exc}")
    total = sum(sizes.values())
    for name in sorted(sizes, key=sizes.__getitem__, reverse=True):
        if total <= limits.state_bytes:
            break
        del data[name]
        total -= sizes[name]
        size = "more than " + f"{limits.state_bytes:,}" if sizes[name] > limits.state_bytes else f"{sizes[name]:,}"
        refused.append(f"'{name}' would take {size} bytes when stored")
    return refused


def _refuse(refused: list[str]) -> None:
    if refused:
        limit = budget.current_limits().state_bytes
        too_big = any("bytes when stored" in reason for reason in refused)
        raise ExpressionError(
            "the script's results cannot be stored and were not kept: " + "; ".join(refused)
            + (f" (the data of a case may take at most {limit:,} bytes when stored, "
               "AMTSFLOW_MAX_STATE_BYTES)" if too_big else ""))


class SafeEnvironment:
    """Replaces SpiffWorkflow's eval/exec environment, which some library code calls directly
    (message correlation retrieval expressions, ad-hoc completion conditions)."""

    def __init__(self, evaluator: SafeEvaluator) -> None:
        self.evaluator = evaluator
        self.globals: dict[str, Any] = {}

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        names: Any = ChainMap(context, external_context) if external_context else context
        return self.evaluator.evaluate(expression, names)

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        self.evaluator.execute(script, context)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> str:
        raise ExpressionError("service tasks are executed by the job executor")



def _not_here(task: Any, thrown: BpmnErrorThrown) -> WorkflowTaskException:
    exc = script_errors.not_here(thrown)
    return WorkflowTaskException(exc.message, task=task, exception=exc)


def _bound(function: Callable[..., Any], *first: Any) -> Callable[[list[Any]], Any]:
    """``function(*first, *args)`` for the sandbox's argument list; other failures than an
    ExpressionError become one (a bean call fails the step, as in JUEL)."""
    def call(args: list[Any]) -> Any:
        try:
            return function(*first, *args)
        except ExpressionError:
            raise
        except Exception as exc:  # noqa: BLE001 - an engine function's failure fails the step
            raise ExpressionError(f"{type(exc).__name__}: {str(exc)[:200]}") from None
    return call


def case_facts(task: Any) -> dict[str, Any]:
    """What ``execution`` tells about a task: its case (set on the workflow by the command that
    runs it, see engine.services.commands), business key and element."""
    workflow = task.workflow
    case_id, business_key = getattr(workflow.top_workflow, "case_ref", (None, None))
    workflow.top_workflow.case_facts_read = True   # the step saw the business key (engine/services/case_start.py)
    spec = task.task_spec
    # Camunda's execution id is the process instance's own id outside concurrent branches
    return {"process_instance_id": case_id, "business_key": business_key, "execution_id": case_id or str(task.id),
            "activity_id": getattr(spec, "bpmn_id", None), "activity_name": getattr(spec, "bpmn_name", None),
            "process_key": workflow.spec.name, "task_id": str(task.id)}


def with_execution(task: Any, names: Any, source: str) -> Any:
    """``names`` with Camunda's ``execution`` object (and ``authenticatedUserId``, the user whose
    command runs the model, None for the engine's own jobs) in front, when ``source`` mentions them."""
    contexts: dict[str, Any] = {}
    if "execution" in source:
        contexts["execution"] = ExecutionContext(names, case_facts(task))
    if "authenticatedUserId" in source:
        contexts["authenticatedUserId"] = authenticated_user(task)
    return ModelScope(names, contexts) if contexts else names


def authenticated_user(task: Any) -> str | None:
    """Camunda's authenticatedUserId: the person whose command runs the model (None for the
    engine's own jobs and system commands)."""
    actor = getattr(task.workflow.top_workflow, "actor", None)
    return None if actor in (None, "system") or ":" in str(actor) else str(actor)


def model_checker(evaluator: SafeEvaluator, javascript: JavaScriptSandbox) -> Callable[[str, str, str], list[str]]:
    """The deploy-time check of one expression ("eval"), Python script ("exec") or JavaScript
    ("javascript"; "javascript-task" for a script task's own script, which may throw a BpmnError):
    (source, mode, element_id) -> problems. Nothing of the model runs."""
    def check(source: str, mode: str, element_id: str) -> list[str]:
        if mode in ("javascript", "javascript-task"):
            return javascript.check(source, script_task=mode == "javascript-task")
        return evaluator.check(source, mode=mode, element_id=element_id)
    return check


class SafeScriptEngine(PythonScriptEngine):
    """Never calls eval/exec: conditions, scripts, DMN cells and timer expressions of
    uploaded models all go through :class:`SafeEvaluator`."""

    def __init__(self, evaluator: SafeEvaluator, clock: Clock) -> None:
        super().__init__(environment=SafeEnvironment(evaluator))
        self.evaluator = evaluator
        self.clock = clock
        self.zone = "UTC"   # the authority's time zone (Settings.timezone): cron timers (engine.runtime.cron)
        # Script languages besides Python for mapping values: canonical name -> runner
        # (source, names, element_id) -> value. See io_mapping.SCRIPT_LANGUAGES for names.
        self.script_runners: dict[str, Callable[[str, Mapping[str, Any], str], Any]] = {}
        self.javascript = JavaScriptSandbox()

    def evaluate(self, task: Any, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        names: Any = ChainMap(external_context, task.data) if external_context else task.data
        if is_javascript(expression):
            return self.javascript_value(task, expression, names)
        try:
            result = self.evaluator.evaluate(expression, with_execution(task, names, expression),
                                             element_id=_element_id(task))
            if isinstance(result, (list, tuple, dict, set, frozenset)):  # may be stored (DMN, parameters)
                _check_size(result, _element_id(task))
            return result
        except BpmnErrorThrown as thrown:
            raise _not_here(task, thrown) from None
        except ExpressionError as exc:
            raise WorkflowTaskException(exc.message, task=task, exception=exc) from exc

    def evaluate_over(self, task: Any, expression: str, names: Mapping[str, Any]) -> Any:
        """Evaluate at ``task`` over other names than its data (an enclosing scope's view)."""
        if is_javascript(expression):
            return self.javascript_value(task, expression, names)
        try:
            return self.evaluator.evaluate(expression, with_execution(task, names, expression),
                                           element_id=_element_id(task))
        except BpmnErrorThrown as thrown:
            raise _not_here(task, thrown) from None
        except ExpressionError as exc:
            raise WorkflowTaskException(exc.message, task=task, exception=exc) from exc

    def javascript_value(self, task: Any, expression: str, names: Mapping[str, Any]) -> Any:
        """The value of a condition written in JavaScript (engine.runtime.languages marked it at
        deploy) over ``names``; it reads variables only (the deploy check refused setting them)."""
        try:
            outcome = self.javascript.run(expression, dict(names), case_facts(task), element_id=_element_id(task),
                                          beans=self.javascript_beans(task))
        except ExpressionError as exc:
            raise WorkflowTaskException(exc.message, task=task, exception=exc) from exc
        if outcome.bpmn_error is not None:
            raise _not_here(task, BpmnErrorThrown(*outcome.bpmn_error)) from None
        return outcome.result

    def script_value(self, task: Any, language: str, source: str, names: Mapping[str, Any]) -> Any:
        """The value of a script used as a mapping value. Python runs in the safe evaluator;
        another language needs a runner in ``script_runners`` (canonical name -> function of
        (source, names, element_id)); the deploy-time check refuses languages without one."""
        canonical = script_language(language)
        try:
            if canonical == "python":
                return self.evaluator.script_value(source, with_execution(task, names, source),
                                                   element_id=_element_id(task))
            if canonical == "javascript":
                return self.run_javascript(task, source, names).result
            runner = self.script_runners.get(canonical or "")
            if runner is None:
                raise ExpressionError(f"{language} scripts cannot run here", element_id=_element_id(task))
            return runner(source, names, _element_id(task))
        except BpmnErrorThrown as thrown:
            raise _not_here(task, thrown) from None
        except ExpressionError as exc:
            raise WorkflowTaskException(exc.message, task=task, exception=exc) from exc

    def execute(self, task: Any, script: str, external_context: dict[str, Any] | None = None) -> bool | None:
        """Run a Python script at ``task``; None when a script task's script threw a BPMN error
        (what it wrote is kept; the task stays started and engine.runtime.script_errors throws it)."""
        element_id = _element_id(task)
        thrown: BpmnErrorThrown | None = None
        try:
            if external_context:
                scope = dict(external_context)
                scope.update(task.data)
                try:
                    self.evaluator.execute(script, with_execution(task, scope, script), element_id=element_id)
                except BpmnErrorThrown as exc:
                    thrown = exc
                refused = _keep_storable(scope)
                for key, value in scope.items():
                    if key not in external_context or key in task.data:
                        task.data[key] = value
            else:
                try:
                    self.evaluator.execute(script, with_execution(task, task.data, script), element_id=element_id)
                except BpmnErrorThrown as exc:
                    thrown = exc
                refused = _keep_storable(task.data)
            _refuse(refused)
        except ExpressionError as exc:
            raise WorkflowTaskException(exc.message, task=task, exception=exc) from exc
        if thrown is None:
            return True
        if not script_errors.may_throw(task, script):
            raise _not_here(task, thrown)
        script_errors.park(task, thrown)
        return None

    def run_javascript(self, task: Any, source: str, names: Mapping[str, Any] | None = None, *,
                       event: str | None = None, attributes: dict[str, Any] | None = None,
                       facts: dict[str, Any] | None = None, may_throw: bool = False) -> ScriptOutcome:
        """Run JavaScript at ``task`` over ``names`` (default: its data) in the sandbox; the
        variables it sets or removes change the task's data. Raises ExpressionError, also for a
        BpmnError thrown unless ``may_throw`` (a script task's own script; the caller throws it)."""
        facts = dict(facts) if facts is not None else case_facts(task)
        if event is not None:
            facts["event_name"] = event
        outcome = self.javascript.run(source, task.data if names is None else names, facts, task=attributes,
                                      element_id=_element_id(task), beans=self.javascript_beans(task))
        for name in outcome.removed:
            task.data.pop(name, None)
        task.data.update(outcome.variables)
        _refuse(_keep_storable(task.data))
        if outcome.bpmn_error is not None and not may_throw:
            raise script_errors.not_here(BpmnErrorThrown(*outcome.bpmn_error))
        if outcome.status is not None:
            from engine.runtime import milestones

            milestones.set_status(task, outcome.status)
        return outcome

    def javascript_beans(self, task: Any) -> dict[str, Callable[[list[Any]], Any]]:
        """The beans camunda-mapping.json of the task's deployment maps ("bean.method" -> target,
        put on the process spec when it is parsed), as the host functions the JavaScript sandbox
        calls: a connector operation through the engine function ``bean_call`` (as a JUEL bean
        call), an engine function directly. Built-ins and ``bean_call`` itself are never offered."""
        mapped: Mapping[str, str] = getattr(getattr(task.workflow, "spec", None), "javascript_beans", None) or {}
        callables = self.evaluator.callables
        engine_functions = set(callables) - set(self.evaluator.kwargs_allowed) - {BEAN_FUNCTION}
        beans: dict[str, Callable[[list[Any]], Any]] = {}
        for name, target in mapped.items():
            if "." in target and BEAN_FUNCTION in callables:
                beans[name] = _bound(callables[BEAN_FUNCTION], target)
            elif target in engine_functions:
                beans[name] = _bound(callables[target])
        return beans

    def call_service(self, task: Any, **kwargs: Any) -> str:
        # Service tasks are parked by our task specs and run by the job executor.
        raise WorkflowTaskException("service tasks are executed by the job executor", task=task)
