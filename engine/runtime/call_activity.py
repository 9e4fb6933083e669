"""Call activities as Camunda 7 runs them, inside SpiffWorkflow.

SpiffWorkflow copies all of the caller's data into a called process and all of its data
back. Camunda passes only what ``in``/``out`` mappings name:

* ``in variables="all"`` copies every variable the call activity sees (``local="true"``:
  only its local variables, from its input mapping); ``in source="a" target="b"`` copies
  one, ``in sourceExpression="${...}" target="b"`` evaluates at the call activity;
* ``out variables="all"`` returns every variable of the called process;
  ``out source``/``sourceExpression`` evaluate over the called process's end data and are
  written into the caller (``local="true"``: as local variables of the call activity, which
  its output mapping can then pick up; they are gone afterwards);
* without any mapping, nothing is passed either way.

The called element may be an expression (evaluated when the activity starts). Which version
runs is decided when the call activity starts, as in Camunda 7: with binding ``latest`` (the
default), an expression, or ``deployment`` naming a process its own deployment does not hold,
the service layer's resolver (:func:`resolving`, a context variable set around each command:
this module does no I/O) names the newest deployed definition of the process the case's tenant
sees. When that is the version deployed with the caller (its own upload, or the files borrowed
at its deploy), the caller's bundled spec runs; otherwise the definition's spec (and its own
sub-process specs) are added to *this* workflow's ``subprocess_specs`` under
``<process>@<definition id>`` (a copy: the given dict is shared through the definition cache)
and the definition id is kept in the call task's internal data (:data:`BOUND`), so the case
restores with that version after every reload. ``version``/``versionTag`` bindings run the
version bundled at deploy. A process deployed nowhere stops the case with an incident naming
it; retrying the incident after deploying it resolves again. Calls nest at most
:data:`MAX_CALL_DEPTH` deep; deeper is a clear failure, not an endless recursion.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.util.task import TaskState

from engine.runtime import budget, initial_start
from engine.runtime.io_mapping import INPUTS, SHADOWED, Value, evaluate
from engine.runtime.io_mapping import enter as io_enter
from engine.runtime import spiff_seam

MAX_CALL_DEPTH = budget.Limits.call_depth   # default nesting limit; AMTSFLOW_MAX_CALL_DEPTH sets it
CALLED = "called_process"   # internal data: the process id this call activity started
BOUND = "called_definition"   # internal data: the definition id a late-bound call started (state format 2)
SEPARATOR = "@"               # subprocess_specs key of a late-bound spec: <process>@<definition id>
BORROWED_PREFIX = "deployed-"  # files of a called process deployed before, stored with a caller (engine.services.called)


@dataclass(frozen=True)
class Transfer:
    """One ``in``/``out`` mapping."""

    all: bool = False                 # variables="all"
    source: str | None = None         # variable name
    expression: str | None = None     # sourceExpression as a safe expression
    target: str = ""
    local: bool = False


@dataclass(frozen=True)
class CallMapping:
    called: str                       # process id, or "" when given by an expression
    called_expression: str | None     # safe expression yielding the process id
    ins: tuple[Transfer, ...] = ()
    outs: tuple[Transfer, ...] = ()
    binding: str = "latest"           # calledElementBinding: latest, deployment, version, versionTag
    id_variable: str | None = None    # Flowable's idVariableName: safe expression yielding a variable name
    version: str | None = None        # binding version looked up when the call starts: safe expression


@dataclass(frozen=True)
class Resolved:
    """The newest deployed definition of a called process, as the resolver found it.
    ``spec`` None: it is the version deployed with the caller (run the bundled spec)."""

    definition_id: str
    spec: Any = None
    subprocess_specs: dict[str, Any] | None = None


# (process id, version or None: the newest) -> that visible definition, None: none deployed
Resolver = Callable[[str, "int | None"], "Resolved | None"]
_RESOLVER: ContextVar[Resolver | None] = ContextVar("amtsflow_call_resolver", default=None)


@contextmanager
def resolving(resolver: Resolver) -> Iterator[None]:
    """Resolve late-bound call activities with ``resolver`` inside the block (nests: the inner
    one wins, the outer one is restored after)."""
    token = _RESOLVER.set(resolver)
    try:
        yield
    finally:
        _RESOLVER.reset(token)


VARIANT_MARK = "~"   # a bound token: <definition id>~<variant id> when the tenant's overrides apply


def bound_token(definition_id: str, variant: str | None) -> str:
    """What a late-bound call bound (:data:`BOUND`, ``cases.bound_definitions``): the definition
    id, with the id of the tenant's variant of it (its overrides, engine.services.variants)."""
    return definition_id if variant is None else f"{definition_id}{VARIANT_MARK}{variant}"


def split_token(token: str) -> tuple[str, str | None]:
    definition_id, _, variant = token.partition(VARIANT_MARK)
    return definition_id, variant or None


def bound_key(process_id: str, definition_id: str) -> str:
    return f"{process_id}{SEPARATOR}{definition_id}"


def bound_definitions(subprocess_specs: dict[str, Any]) -> list[str]:
    """The definition ids late-bound into a workflow's ``subprocess_specs``, in binding order."""
    return list(dict.fromkeys(k.rsplit(SEPARATOR, 1)[1] for k in subprocess_specs
                              if isinstance(k, str) and SEPARATOR in k))   # an event sub-process without id: None


def spec_key_of(workflow: Any) -> str:
    """The ``subprocess_specs`` key a sub-workflow's spec is kept under (late-bound or not)."""
    parent = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
    bound = parent.internal_data.get(BOUND) if parent is not None else None
    return bound_key(workflow.spec.name, bound) if bound is not None else str(workflow.spec.name)


def with_bound(specs: dict[str, Any], process_id: str, definition_id: str, spec: Any,
               subprocess_specs: dict[str, Any]) -> dict[str, Any]:
    """A new ``subprocess_specs`` dict: ``specs`` with a late-bound definition added (its spec
    under :func:`bound_key`, its own sub-process specs under their names, overriding the
    caller's: they belong to the newer version). ``specs`` itself is never changed."""
    return {**specs, **subprocess_specs, bound_key(process_id, definition_id): spec}


def call_depth(workflow: Any) -> int:
    depth = 0
    while workflow is not None and workflow is not workflow.top_workflow:
        depth += 1
        workflow = getattr(workflow, "parent_workflow", None)
    return depth


def _transfer(task: Any, transfers: tuple[Transfer, ...], source: dict[str, Any],
              local: dict[str, Any] | None) -> dict[str, Any]:
    """Values of ``transfers`` read from ``source`` (``local=true``: from ``local`` only)."""
    result: dict[str, Any] = {}
    for t in transfers:
        pool = local if (t.local and local is not None) else source
        if t.all:
            result.update(pool)
        elif t.expression is not None:
            result[t.target] = evaluate(task, ("expr", t.expression), pool)
        elif t.source is not None:
            result[t.target] = pool.get(t.source)   # a missing variable arrives as null
    return deepcopy(result)


class CamundaCall:
    """Mixin for SpiffWorkflow's CallActivity spec (attribute ``call_mapping``)."""

    call_mapping: CallMapping

    def _called_name(self, my_task: Any) -> str:
        mapping = self.call_mapping
        if mapping.called_expression is None:
            return mapping.called
        value = evaluate(my_task, ("expr", mapping.called_expression), my_task.data)
        if not isinstance(value, str) or not value:
            raise WorkflowTaskException(f"calledElement gave {value!r}, not a process id", task=my_task)
        return value

    def start_workflow(self, my_task: Any) -> None:
        top = my_task.workflow.top_workflow
        name = my_task.internal_data.get(CALLED) or self._called_name(my_task)
        limit = budget.current_limits().call_depth
        if call_depth(my_task.workflow) >= limit:
            my_task.error()
            raise WorkflowTaskException(
                f"call activity nesting deeper than {limit} levels (recursive call of '{name}'?); "
                "limit AMTSFLOW_MAX_CALL_DEPTH", task=my_task)
        spec_key = self._spec_key(my_task, top, name)
        my_task.internal_data[CALLED] = name
        subworkflow = top.create_subprocess(my_task, spec_key)
        subworkflow.completed_event.connect(self._on_subworkflow_completed, my_task)  # type: ignore[attr-defined]
        self.copy_data(my_task, subworkflow)
        self._store_instance_id(my_task)
        subworkflow.get_next_task(spec_name="Start").run()
        initial_start.pass_only_start(subworkflow)   # Camunda starts it at its initial

    def _store_instance_id(self, my_task: Any) -> None:
        """Flowable's ``idVariableName``: after the ``in`` mappings (the called process does not
        get it), before the called process runs, the caller's variable named by the expression
        holds the called instance's id. A called process runs inside its caller's case: its
        instance is the case (the id its tasks report as their process instance and that
        ``execution.processInstanceId`` gives inside it)."""
        if self.call_mapping.id_variable is None:
            return
        name = evaluate(my_task, ("expr", self.call_mapping.id_variable), my_task.data)
        if name is None or name == "":
            return   # as Flowable: an empty name stores nothing
        if not isinstance(name, str):
            raise WorkflowTaskException(f"idVariableName gave {name!r}, not a variable name", task=my_task)
        case_id = getattr(my_task.workflow.top_workflow, "case_ref", (None, None))[0]
        my_task.data[name] = case_id

    def _run_hook(self, my_task: Any) -> Any:
        if my_task.workflow.top_workflow.subprocesses.get(my_task.id) is None:
            # A call whose start failed (its called process deployed nowhere: an incident) and
            # that the incident's retry made ready again: start it now, as its update would have.
            self.start_workflow(my_task)
            return None   # STARTED: it completes when its called process does
        return super()._run_hook(my_task)  # type: ignore[misc]

    def _late(self, top: Any, name: str) -> bool:
        """Resolved when the call starts: binding latest, an expression, and binding deployment
        when the caller's own deployment does not hold the process (not bundled, or bundled only
        as borrowed files of an earlier deployment)."""
        mapping = self.call_mapping
        if mapping.binding == "latest" or mapping.called_expression is not None or mapping.version is not None:
            return True
        if mapping.binding != "deployment":
            return False
        spec = top.subprocess_specs.get(name)
        return spec is None or os.path.basename(getattr(spec, "file", "") or "").startswith(BORROWED_PREFIX)

    def _spec_key(self, my_task: Any, top: Any, name: str) -> str:
        """The ``subprocess_specs`` key of the spec this call runs (see the module docstring)."""
        bound = my_task.internal_data.get(BOUND)
        if bound is not None and bound_key(name, bound) in top.subprocess_specs:
            return bound_key(name, bound)
        resolver = _RESOLVER.get()
        if resolver is not None and self._late(top, name):
            version = self._version(my_task)
            resolved = resolver(name, version)
            if resolved is None and version is not None:
                my_task.error()
                raise WorkflowTaskException(f"the called process '{name}' has no deployed version {version}: deploy "
                                            "it, then retry this incident", task=my_task)
            if resolved is not None and resolved.spec is not None:
                key = bound_key(name, resolved.definition_id)
                if key not in top.subprocess_specs:
                    top.subprocess_specs = with_bound(top.subprocess_specs, name, resolved.definition_id,
                                                      resolved.spec, resolved.subprocess_specs or {})
                my_task.internal_data[BOUND] = resolved.definition_id
                return key
            if resolved is None and name not in top.subprocess_specs:
                my_task.error()
                raise WorkflowTaskException(
                    f"the called process '{name}' is not deployed: deploy it, then retry this incident",
                    task=my_task)
        if name not in top.subprocess_specs:
            my_task.error()
            raise WorkflowTaskException(f"the called process '{name}' is not deployed with this process; deploy "
                                        "it, then retry this incident", task=my_task)
        return name

    def _version(self, my_task: Any) -> int | None:
        """Binding version looked up when the call starts: the version the expression gives (a
        whole number, or its digits as text, as Camunda 7 takes it); None: the newest."""
        if self.call_mapping.version is None:
            return None
        value = evaluate(my_task, ("expr", self.call_mapping.version), my_task.data)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            my_task.error()
            raise WorkflowTaskException(f"calledElementVersion gave {value!r}, not a version number", task=my_task)
        return int(value)

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        io = getattr(self, "io_mapping", None)
        if io:
            io_enter(my_task, io)
        start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
        local = {k: my_task.data[k] for k in my_task.internal_data.get(INPUTS) or {} if k in my_task.data}
        start.set_data(**_transfer(my_task, self.call_mapping.ins, my_task.data, local))

    def update_data(self, my_task: Any, subworkflow: Any) -> None:
        end_data = subworkflow.last_task.data
        for t in self.call_mapping.outs:
            values = _transfer(my_task, (t,), end_data, None)
            if t.local:  # local variables of the call activity: dropped when it completes
                locals_ = my_task.internal_data.setdefault(INPUTS, {})
                shadowed = my_task.internal_data.setdefault(SHADOWED, {})
                for name, value in values.items():
                    if name not in locals_ and name in my_task.data:
                        shadowed[name] = my_task.data[name]
                    locals_[name] = value
            my_task.data.update(values)


THROWER_DATA = "thrower_data"   # internal data of a boundary event: the data of the task that threw what it caught


def outputs_on_error(call_task: Any, thrower_data: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the out mappings of ``call_task`` (and of the call activities nested in its called
    process) return when an error or escalation from inside is caught on it: Camunda applies
    the out mappings level by level before the boundary event's path starts, after the
    throwing event's own start listeners ran. ``thrower_data`` is the thrower's data when it
    threw (with what those listeners set); the innermost called process's variables are its
    last finished task's data overlaid with it."""
    spec = call_task.task_spec
    sub = call_task.workflow.top_workflow.subprocesses.get(call_task.id)
    if sub is None or getattr(spec, "call_mapping", None) is None:
        return {}
    inner: dict[str, Any] = dict(sub.last_task.data) if sub.last_task is not None else {}
    nested = False
    for task in sub.get_tasks(state=TaskState.STARTED):
        if getattr(task.task_spec, "call_mapping", None) is not None and \
                task.workflow.top_workflow.subprocesses.get(task.id) is not None:
            inner = {**task.data, **outputs_on_error(task, thrower_data)}   # the nested call the error came through
            nested = True
    if not nested and thrower_data:
        inner.update(thrower_data)
    return _transfer(call_task, spec.call_mapping.outs, inner, None)


class CaughtOnCall:
    """Mixin for boundary events: caught on a call activity with out mappings, an error's or
    escalation's payload (the thrower's variables in SpiffWorkflow) becomes what the out
    mappings return."""

    def _run_hook(self, my_task: Any) -> Any:
        definition = getattr(self, "event_definition", None)
        name = getattr(definition, "name", None)   # None for an error without a name: still its payload's key
        if definition is not None and name in my_task.internal_data and my_task.parent is not None:
            main = [t for t in my_task.parent.children if not hasattr(t.task_spec, "cancel_activity")]
            if main and getattr(main[0].task_spec, "call_mapping", None) is not None:
                my_task.internal_data[name] = outputs_on_error(main[0], my_task.internal_data.pop(THROWER_DATA, None))
        return super()._run_hook(my_task)  # type: ignore[misc]


def catch_on_call(task_spec: Any) -> None:
    spiff_seam.mix_in(task_spec, CaughtOnCall, "Camunda")


def attach(task_spec: Any, mapping: CallMapping) -> None:
    spiff_seam.mix_in(task_spec, CamundaCall, "Camunda")
    task_spec.call_mapping = mapping


__all__ = ["BOUND", "MAX_CALL_DEPTH", "THROWER_DATA", "CallMapping", "Resolved", "Resolver", "Transfer", "CamundaCall",
           "attach", "bound_definitions", "bound_key", "bound_token", "split_token", "call_depth", "resolving", "spec_key_of", "with_bound", "Value"]
