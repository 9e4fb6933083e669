"""Stepping a SpiffWorkflow workflow and reading what it waits for.

The only place (with parsing/serialisation) that touches SpiffWorkflow objects; services
see plain dataclasses (Waits) and ids. The Waits dataclasses and reading them off a
workflow live in :mod:`engine.runtime.waits` and are re-exported here.
"""

from __future__ import annotations

import copy
import weakref
from typing import Any, Iterable
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.domain.errors import InvalidState, NotFound, WorkflowFailure
from engine.runtime import shared_scope, spiff_seam
from engine.runtime import budget, conditions
from engine.runtime.call_activity import CamundaCall
from engine.runtime.compaction import compact
from engine.runtime.io_mapping import INPUTS, SHADOWED, connector_result, enclosing_chain, in_called_process, outer_view
from engine.runtime import listeners as listeners_module
from engine.runtime.listeners import STARTED as LISTENERS_STARTED
from engine.runtime.milestones import STATUS_KEY
from engine.runtime.parsing import ParsedProcess
from engine.runtime.script_engine import SafeScriptEngine
from engine.runtime.specs import AWAITING_TRIGGER
from engine.runtime import event_names, event_subprocesses, initial_start, message_waits
from engine.runtime.event_routing import interrupting_catches, routing
from engine.runtime.script_errors import catch_error_at, error_definition, raise_pending
from engine.runtime.event_names import subscribed_name
from engine.runtime.event_subprocesses import mark_caught, offered_starts, retry_scope_names, scope_name_failures
from engine.runtime.interrupting import complete_if_finished, interrupt
from engine.runtime.stepping import drop_orphan_waits, engine_steps
from engine.runtime.thrown import Thrown, ThrowRecorder, take_thrown
from engine.runtime.waits import (
    MessageWait, ServiceWait, TimerWait, UserTaskWait, Waits, element_id_of, process_key_of, read_waits)

__all__ = ["COMPACT_EVERY", "CONDITION_PREVIOUS", "MessageWait", "ServiceWait", "TimerWait", "UserTaskWait",
           "Waits", "WorkflowRunner", "element_id_of", "process_key_of"]


def _waits_on_timers(wf: BpmnWorkflow) -> bool:
    """Whether refresh_timers() has anything to look at (the timers it checks)."""
    return any(isinstance(task.task_spec.event_definition, (TimerEventDefinition, MultipleEventDefinition))
               for task in wf.event_manager.tasks.values())


COMPACT_EVERY = 16  # engine step layers between compactions inside one command
CONDITION_PREVIOUS = "condition_previous"   # attribute of a workflow: the variables conditions last saw
_NONE_STARTS: "weakref.WeakKeyDictionary[Any, bool]" = weakref.WeakKeyDictionary()   # WorkflowRunner.has_none_start


class WorkflowRunner:
    def __init__(self, script_engine: SafeScriptEngine, limits: budget.Limits | None = None) -> None:
        self.script_engine = script_engine
        self.limits = limits or budget.Limits()
        spiff_seam.lazy_log_extras()   # the library's log extras only when its records can be logged

    def new(self, parsed: ParsedProcess, data: dict[str, Any]) -> BpmnWorkflow:
        wf = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=self.script_engine)
        start = wf.get_next_task(state=TaskState.READY)
        if start is not None:
            start.data.update(copy.deepcopy(data))  # the workflow (and the case cache) owns its data
        return wf

    def step(self, wf: BpmnWorkflow) -> int:
        """Run every engine task until only waits remain; compact as we go. Every task run counts
        against the command's budget (steps, wall time; see :mod:`engine.runtime.budget`): a
        model that does not come to a wait ends with :class:`budget.BudgetExceeded` between two
        tasks, leaving a consistent task tree that a retry continues from."""
        with budget.command(self.limits) as spent:
            return self._step(wf, spent)

    def _step(self, wf: BpmnWorkflow, spent: budget.Budget) -> int:
        ran = 0
        recorder = ThrowRecorder(wf)

        def count(task: Any) -> None:
            nonlocal ran
            ran += 1
            raise_pending(wf, task)   # a BPMN error its script threw (engine.runtime.script_errors)
            recorder.completed(task)
            interrupt(task)
            spent.step()
            self._conditions(wf)   # Camunda evaluates conditions on the variable writes of each step
            if isinstance(task.task_spec, BoundaryEventSplit):   # a condition may hold as the activity starts
                mark_caught(wf)
            for catcher in interrupting_catches(wf):   # an interrupting catch acts before anything else runs
                if catcher.state == TaskState.READY:
                    catcher.run()
                    count(catcher)

        layers = 0

        def advance() -> None:
            # Compacting every few layers keeps the tree far from SpiffWorkflow's depth limit
            # in a long loop, without paying for a compaction after every single layer.
            nonlocal layers
            while engine_steps(wf, count):
                layers += 1
                if layers % COMPACT_EVERY == 0:
                    compact(wf)

        try:
            with routing(wf), recorder:
                self._conditions(wf)   # what the command set before stepping (a completed task's data)
                advance()
                if _waits_on_timers(wf):  # a timer that is due now fires and its path runs on
                    wf.refresh_timers()
                    advance()
                drop_orphan_waits(wf)
                while complete_if_finished(wf):  # an interrupted scope ended: its parent goes on
                    advance()
                    drop_orphan_waits(wf)
        except budget.BudgetExceeded:
            compact(wf)  # stopped between two tasks: store the tree as small as it gets
            raise
        except SpiffWorkflowException as exc:
            raise WorkflowFailure(_describe(exc)) from exc
        except RecursionError as exc:
            raise WorkflowFailure("the workflow nests too deeply (sub-processes or call activities calling "
                                  "each other?)") from exc
        except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
            # A SpiffWorkflow internal tripping over model data: the case fails with an incident
            # that names the error instead of the command crashing.
            raise WorkflowFailure(f"{type(exc).__name__} in the workflow library: {exc}") from exc
        compact(wf)
        return ran

    def _conditions(self, wf: BpmnWorkflow) -> None:
        """Hand the variables changed since the last look to the waiting conditional events
        and the conditional starts of event sub-processes (:func:`conditions.propagate`), when
        the command tracks them (``wf.condition_previous``, set by the command when the case
        has conditions): a variable set by one step and reset by a later step of the same
        command fires what its first value satisfies, as in Camunda 7."""
        previous = getattr(wf, CONDITION_PREVIOUS, None)
        if previous is None:
            return
        now = conditions.propagate(wf, previous, self.snapshot)
        if now is not None:
            setattr(wf, CONDITION_PREVIOUS, now)

    @staticmethod
    def take_thrown(wf: BpmnWorkflow) -> list[Thrown]:
        """Messages, signals, uncaught errors and escalations the case threw since the last call."""
        return take_thrown(wf)

    @staticmethod
    def take_listener_calls(wf: BpmnWorkflow) -> list[dict[str, Any]]:
        """Connector calls of listeners mapped to connector operations, since the last call."""
        return listeners_module.take_calls(wf)

    def waits(self, wf: BpmnWorkflow, models: dict[str, Any]) -> Waits:
        return read_waits(wf, models, self._correlation)

    def _correlation(self, task: Any, definition: MessageEventDefinition) -> str | None:
        """The case's value of the message's correlation properties, evaluated on its data."""
        if not definition.correlation_properties:
            return None
        values = []
        for prop in definition.correlation_properties:
            try:
                values.append(str(self.script_engine.evaluate(task, prop.retrieval_expression)))
            except Exception:  # noqa: BLE001 - data not there yet: correlate on nothing
                return None
        return "|".join(values)

    @staticmethod
    def snapshot(wf: BpmnWorkflow) -> dict[str, Any]:
        """The case's data as people see it. Branches keep their own data in SpiffWorkflow;
        the view shows the open branches overlaid with the most recent change."""
        if wf.completed:
            return {k: v for k, v in wf.data.items() if k not in ("data_objects", STATUS_KEY)}
        data: dict[str, Any] = {}
        open_tasks = spiff_seam.tasks_in_state(wf, TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR)
        for task in open_tasks:
            data.update(outer_view(task))  # an activity's local variables are not case data
        last = wf.last_task
        # SpiffWorkflow's own control tasks (e.g. the join after an interrupting boundary event)
        # complete last with the data of the interrupted branch: only a model element's data counts.
        if last is not None and getattr(last.task_spec, "bpmn_id", None) is not None:
            data.update(last.data)
            # A task reached from the last one started with its data and may have changed it since
            # (start/create listeners): that is the newer state.
            for task in open_tasks:
                if task.internal_data.get(LISTENERS_STARTED) and _descends_from(task, last):
                    data.update(outer_view(task))
        data.update(shared_scope.current_values(open_tasks))   # parallel instances' writes, as they stand
        return data

    @staticmethod
    def activity_variables(wf: BpmnWorkflow, element_id: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Per open instance of activity ``element_id``: (all it sees, its local variables)."""
        return [(dict(task.data), dict(task.internal_data.get(INPUTS) or {}))
                for task in wf.get_tasks(state=TaskState.READY | TaskState.STARTED | TaskState.WAITING)
                if getattr(task.task_spec, "bpmn_id", None) == element_id]

    def is_open(self, wf: BpmnWorkflow, task_id: str) -> bool:
        """A user task still waiting for a person."""
        return bool(self.task(wf, task_id).state == TaskState.READY)

    def is_parked(self, wf: BpmnWorkflow, task_id: str) -> bool:
        """A service task still waiting for its connector's answer."""
        return bool(self.task(wf, task_id).state == TaskState.STARTED)

    def task(self, wf: BpmnWorkflow, task_id: str) -> Any:
        try:
            task = wf.get_task_from_id(UUID(task_id))
        except (ValueError, SpiffWorkflowException):
            task = None
        if task is None:
            raise NotFound(f"task {task_id} not found in the workflow")
        return task

    def complete_user_task(self, wf: BpmnWorkflow, task_id: str, data: dict[str, Any]) -> None:
        task = self.task(wf, task_id)
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise InvalidState(f"task {task_id} is not open", user_message="Die Aufgabe ist nicht mehr offen.")
        task.data.update(data)
        try:
            task.run()
        except SpiffWorkflowException as exc:
            raise WorkflowFailure(_describe(exc)) from exc

    def complete_service_task(self, wf: BpmnWorkflow, task_id: str, result_variable: str, result: Any) -> None:
        task = self.task(wf, task_id)
        if task.state != TaskState.STARTED:
            raise InvalidState(f"service task {task_id} is not waiting for a result")
        try:
            if isinstance(result, dict) and connector_result(task, result):
                pass                      # only the connector's output parameters reach the process
            elif result_variable:
                task.data[result_variable] = result
            elif isinstance(result, dict):
                task.data.update(result)
            if getattr(task.task_spec, "triggerable", False):
                task.internal_data[AWAITING_TRIGGER] = True   # waits for its trigger message (waits.py)
                return
            task.complete()
        except SpiffWorkflowException as exc:
            raise WorkflowFailure(_describe(exc)) from exc

    def complete_external_task(self, wf: BpmnWorkflow, task_id: str, variables: dict[str, Any],
                               local_variables: dict[str, Any]) -> None:
        """An outside worker's result: ``variables`` reach the case; ``local_variables`` are
        local to the task (its output mapping reads them, then they are gone, as in Camunda)."""
        task = self.task(wf, task_id)
        if task.state != TaskState.STARTED:
            raise InvalidState(f"external task {task_id} is not waiting for a result")
        mapping = getattr(task.task_spec, "io_mapping", None)
        try:
            if local_variables and mapping is not None:
                locals_ = task.internal_data.setdefault(INPUTS, {})
                shadowed = task.internal_data.setdefault(SHADOWED, {})
                for name in local_variables:
                    if name in task.data and name not in locals_ and name not in shadowed:
                        shadowed[name] = task.data[name]   # the case's value comes back when the task ends
                locals_.update(copy.deepcopy(local_variables))
                task.data.update(local_variables)
            task.data.update(variables)
            task.complete()
        except SpiffWorkflowException as exc:
            raise WorkflowFailure(_describe(exc)) from exc

    def throw_error(self, wf: BpmnWorkflow, task_id: str, code: str, message: str,
                    variables: dict[str, Any] | None = None) -> bool:
        """Raise BPMN error ``code`` at a parked service task (``variables`` reach the catching
        path, as an external worker's do in Camunda); False if nothing catches it."""
        task = self.task(wf, task_id)
        definition = error_definition(wf, code)
        if definition is None:
            return False
        return catch_error_at(wf, task, BpmnEvent(definition, {**(variables or {}), "error_message": message}))

    def retry_errored(self, wf: BpmnWorkflow) -> None:
        for task in wf.get_tasks(state=TaskState.ERROR):
            spiff_seam.force_state(task, TaskState.READY)
        event_names.clear_failures(wf.event_manager.tasks.values())   # their names are evaluated again
        retry_scope_names(wf)                                          # so are those of event sub-process starts

    @staticmethod
    def new_wait_failures(wf: BpmnWorkflow) -> list[tuple[str, str]]:
        """(element id, message) of waiting tasks whose event name could not be evaluated in this
        command (engine.runtime.event_names.subscribed_name); each is reported once."""
        return [(element_id_of(task), message)
                for task, message in event_names.take_new_failures(wf.event_manager.tasks.values())] + \
            scope_name_failures(wf)

    def fire_timers(self, wf: BpmnWorkflow) -> None:
        wf.refresh_timers()

    @staticmethod
    def message_targets(wf: BpmnWorkflow, name: str, local: dict[str, Any] | None = None) -> list[str]:
        """The wait ids of the case's subscriptions for message ``name`` (one per waiting
        activity instance, see :mod:`engine.runtime.message_waits`) whose activity instance
        has every local variable of ``local`` with that value."""
        return [target.wait_id for target in message_waits.targets(wf, name)
                if not local or all(k in target.locals and target.locals[k] == v for k, v in local.items())]

    def deliver_message(self, wf: BpmnWorkflow, name: str, wait_id: str, payload: Any) -> bool:
        """Hand message ``name`` to the one subscription ``wait_id``; False if it no longer waits."""
        target = next((t for t in message_waits.targets(wf, name) if t.wait_id == wait_id), None)
        if target is None:
            return False
        try:
            return message_waits.deliver_to(wf, target, payload)
        except SpiffWorkflowException as exc:
            raise WorkflowFailure(_describe(exc)) from exc

    def deliver(self, wf: BpmnWorkflow, name: str, payload: Any, kind: str = "message") -> bool:
        """A message reaches the first subscription for it (a waiting task first, else an event
        sub-process's start; services address one with :meth:`deliver_message`); a signal
        reaches every waiting catcher and every event sub-process of an active scope that
        waits for it."""
        if kind == "message":
            found = message_waits.targets(wf, name)
            tasks_first = [t for t in found if t.offered is None] + [t for t in found if t.offered is not None]
            return bool(tasks_first) and self.deliver_message(wf, name, tasks_first[0].wait_id, payload)
        offered = [o for o in offered_starts(wf) if isinstance(o.definition, SignalEventDefinition)
                   and o.name == name]
        delivered = False
        for task in list(wf.event_manager.tasks.values()):
            definition = task.task_spec.event_definition
            for d in getattr(definition, "event_definitions", [definition]):
                if isinstance(d, SignalEventDefinition) and subscribed_name(task, d) == name:
                    sent = copy.copy(d)
                    sent.name = name   # a name expression: every catcher compares what it subscribed under
                    wf.send_event(BpmnEvent(sent, payload, {}))
                    if getattr(d, "variable", "") is None and isinstance(payload, dict):
                        task.data.update(payload)
                    delivered = True
                    break
            if delivered:
                break
        for start in offered:  # event sub-processes waiting for it to start
            d = start.definition
            started = event_subprocesses.start(wf, start, BpmnEvent(copy.copy(d), payload, {}))
            if started is not None and getattr(d, "variable", "") is None and isinstance(payload, dict):
                started.data.update(payload)
            delivered = True
        return delivered

    def fire_start_timer(self, wf: BpmnWorkflow) -> bool:
        """A case started by the scheduler at its start timer's due time: that timer has fired."""
        from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

        self.step(wf)
        fired = False
        for task in list(wf.event_manager.tasks.values()):
            definition = task.task_spec.event_definition
            defs = getattr(definition, "event_definitions", [definition])
            if isinstance(task.task_spec, StartEvent) and task.workflow is wf and any(
                    isinstance(d, TimerEventDefinition) for d in defs):
                if any(isinstance(d, CycleTimerEventDefinition) for d in defs):
                    # A cycle start event spawns one branch per cycle; a scheduled case is one cycle.
                    spiff_seam.spawn_cycle_branches(task)
                task.internal_data["event_fired"] = True
                spiff_seam.update(task)
                fired = True
        return fired

    @staticmethod
    def has_none_start(parsed: ParsedProcess) -> bool:
        """Whether the process has a none start event (Camunda's "initial" activity, where a case
        started by a person or a client begins even when timer or event starts exist too).
        Looked up once per spec (parsed once, shared by its cases): every start asks."""
        spec = parsed.spec
        found = _NONE_STARTS.get(spec)
        if found is None:
            from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
            from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

            found = _NONE_STARTS[spec] = any(
                isinstance(s, StartEvent) and isinstance(s.event_definition, NoneEventDefinition)
                for s in spec.task_specs.values())
        return found

    def leave_none_starts(self, wf: BpmnWorkflow) -> None:
        """Before a message or signal starts a case: open the process's start events and cancel
        its none start events, so that the event's start event begins the case alone (Camunda,
        MessageStartEventTest.testMessageStartEventAndNoneStartEvent); SpiffWorkflow would run a
        none start event first and cancel the others."""
        from SpiffWorkflow.bpmn.specs.control import StartEventSplit
        from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

        initial_start.open_start_events(wf)
        split = [t for t in wf.get_tasks(state=TaskState.COMPLETED)
                 if t.workflow is wf and isinstance(t.task_spec, StartEventSplit)]
        for task in [c for t in split for c in t.children]:
            if isinstance(task.task_spec, StartEvent) and task.state == TaskState.READY:
                task.cancel()   # only none start events are ready: event start events wait

    def listens(self, parsed: ParsedProcess, process_key: str, element_id: str, event: str) -> bool:
        """Whether the user task ``element_id`` has task listeners for ``event``."""
        specs = [parsed.spec, *parsed.subprocess_specs.values()]
        return any(listeners_module.listens(task_spec, "task", event) for spec in specs
                   for task_spec in spec.task_specs.values() if getattr(task_spec, "bpmn_id", None) == element_id)

    def assigned(self, wf: BpmnWorkflow, task_id: str, assignee: str | None) -> None:
        """Run the assignment listeners of an open user task (claim, return, delegation)."""
        task = self.task(wf, task_id)
        try:
            listeners_module.fire_assignment(task, assignee)
        except SpiffWorkflowException as exc:
            raise WorkflowFailure(_describe(exc)) from exc

    @staticmethod
    def set_case_data(wf: BpmnWorkflow, changes: dict[str, Any]) -> int:
        """Set case variables as an operator's repair does (Camunda: setVariable on the process
        instance): on every open task, so each branch continues with the new values; where an
        activity's local input covers the name, the case value behind it changes. Returns the
        number of tasks changed (0: the case has no open task)."""
        changed = 0
        for task in wf.get_tasks(state=TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR):
            if in_called_process(task):
                continue   # a called process has variables of its own; its call activity gets the change
            covered = [scope for scope in enclosing_chain(task) if scope.internal_data.get(INPUTS)]
            for name, value in changes.items():
                owner = next((t for t in covered if name in t.internal_data[INPUTS]), None)
                if owner is not None:
                    owner.internal_data.setdefault(SHADOWED, {})[name] = copy.deepcopy(value)
                else:
                    task.data[name] = copy.deepcopy(value)
            changed += 1
        last = wf.last_task   # the case view overlays the most recent step's data (snapshot)
        if changed and last is not None and not in_called_process(last):
            for name, value in changes.items():
                if name in last.data:
                    last.data[name] = copy.deepcopy(value)
        return changed

    def cancel(self, wf: BpmnWorkflow) -> None:
        """Cancel every open task; the case keeps the data it had (for the record and the cockpit)."""
        kept = self.snapshot(wf)
        wf.cancel()
        wf.data.update(kept)

    @staticmethod
    def set_variables(wf: BpmnWorkflow, values: dict[str, Any], remove: Iterable[str] = ()) -> None:
        """Set case variables (Camunda's and Flowable's runtimeService.setVariables on the process
        instance) and remove others (removeVariables): every open branch (a failed step too,
        which a retry runs again) and the case's current view see them, and so do the
        sub-processes' scopes; an activity's local input of the same name stays as it is, and
        the case's value it covers (put back when the activity ends) is set or removed instead.
        A join's merge keeps a removal: no branch holds the variable any more
        (tests/camunda_scenarios/test_variables_removed.py)."""
        gone = [name for name in remove if name not in values]
        open_states = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR
        # the last task of each active sub-process too: its scope's view (conditions, listeners) reads it
        lasts = [wf.last_task, *(sub.last_task for sub in wf.get_active_subprocesses() if _embedded(wf, sub))]
        for task in [*wf.get_tasks(state=open_states), *lasts]:
            if task is None:
                continue
            covered = [scope for scope in enclosing_chain(task) if scope.internal_data.get(INPUTS)]
            for name in [*values, *gone]:
                holders = [scope for scope in covered if name in scope.internal_data[INPUTS]]
                if holders:   # a local input covers it: the case's value behind it changes
                    shadowed = holders[-1].internal_data.setdefault(SHADOWED, {})
                    if name in values:
                        shadowed[name] = copy.deepcopy(values[name])
                    else:
                        shadowed.pop(name, None)
                elif name in values:
                    task.data[name] = copy.deepcopy(values[name])
                else:
                    task.data.pop(name, None)


def _embedded(wf: BpmnWorkflow, sub: Any) -> bool:
    """An embedded sub-process (or event sub-process), not a called process (a case of its own in Camunda)."""
    try:
        holder = wf.get_task_from_id(sub.parent_task_id)
    except SpiffWorkflowException:
        return False
    spec = holder.task_spec
    # SpiffWorkflow reads an embedded sub-process as a call activity of its own spec (named by its id)
    return not isinstance(spec, CamundaCall) and getattr(spec, "spec", None) == getattr(spec, "bpmn_id", None)


def _descends_from(task: Any, ancestor: Any, depth: int = 8) -> bool:
    current = task.parent
    while current is not None and depth > 0:
        if current is ancestor:
            return True
        current, depth = current.parent, depth - 1
    return False


def _describe(exc: Exception) -> str:
    task = getattr(exc, "task", None)
    where = f"{element_id_of(task)}: " if task is not None else ""
    return f"{where}{exc}"
