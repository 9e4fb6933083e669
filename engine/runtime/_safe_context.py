"""Camunda's context objects for model expressions and scripts: ``execution`` and ``task``.

Camunda 7 models read and write variables through ``execution.getVariable('x')`` /
``execution.setVariable('x', v)`` and ask for ``execution.processBusinessKey``; task
listeners see the user task as ``task`` (``task.name``, ``task.setAssignee('x')``). The safe
evaluator gets these as plain objects whose public methods and properties are listed in
:data:`CONTEXT_METHODS` / :data:`CONTEXT_ATTRS` (the evaluator calls nothing else, and
everything else is private, ``_``-prefixed, and so out of reach). Variables are the
task's data dict; a context object itself can never be stored in a variable.

:class:`ModelScope` is the name lookup of one evaluation: the context objects in front
of the variables (as in Camunda, where ``execution`` wins over a variable of that name),
writes going to the variables.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from engine.runtime._safe_errors import Refused

_MAX_DEPTH = 100


class ModelContext:
    """Base of the context objects (a marker: such values never become variables)."""

    __slots__ = ()


def plain(value: Any, depth: int = 0) -> Any:
    """``value`` once it is known to hold no context object (only those can hide host state)."""
    if isinstance(value, ModelContext):
        raise Refused("a context object (execution, task) cannot be stored in a variable")
    if depth > _MAX_DEPTH:
        raise Refused(f"value is nested more than {_MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        for item in value.values():
            plain(item, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            plain(item, depth + 1)
    return value


def _name(name: Any) -> str:
    if not isinstance(name, str) or not name or name.startswith("__"):
        raise Refused(f"variable name {name!r} is not allowed")
    return name


class ExecutionContext(ModelContext):
    """Camunda's ``DelegateExecution`` over one task's variables (``_data``) and facts (``_meta``:
    process_instance_id, business_key, activity_id, activity_name, event_name, process_key)."""

    __slots__ = ("_data", "_meta")

    def __init__(self, data: MutableMapping[str, Any], meta: Mapping[str, Any]) -> None:
        self._data = data
        self._meta = meta

    # variables (Camunda's VariableScope); there is one scope per task here, so *Local is the same
    def getVariable(self, name: str) -> Any:  # noqa: N802 - Camunda's API names
        return self._data.get(_name(name))

    def getVariableLocal(self, name: str) -> Any:  # noqa: N802
        return self.getVariable(name)

    def hasVariable(self, name: str) -> bool:  # noqa: N802
        return _name(name) in self._data

    def hasVariableLocal(self, name: str) -> bool:  # noqa: N802
        return self.hasVariable(name)

    def setVariable(self, name: str, value: Any) -> None:  # noqa: N802
        self._data[_name(name)] = plain(value)

    def setVariableLocal(self, name: str, value: Any) -> None:  # noqa: N802
        self.setVariable(name, value)

    def removeVariable(self, name: str) -> None:  # noqa: N802
        self._data.pop(_name(name), None)

    def getVariables(self) -> dict[str, Any]:  # noqa: N802
        return dict(self._data)

    def getVariableNames(self) -> list[str]:  # noqa: N802
        return list(self._data)

    # facts about the case and the element
    def getProcessInstanceId(self) -> Any:  # noqa: N802
        return self._meta.get("process_instance_id")

    def getProcessBusinessKey(self) -> Any:  # noqa: N802
        return self._meta.get("business_key")

    def getBusinessKey(self) -> Any:  # noqa: N802
        return self._meta.get("business_key")

    def getCurrentActivityId(self) -> Any:  # noqa: N802
        return self._meta.get("activity_id")

    def getCurrentActivityName(self) -> Any:  # noqa: N802
        return self._meta.get("activity_name")

    def getActivityId(self) -> Any:  # noqa: N802
        return self._meta.get("activity_id")

    def getEventName(self) -> Any:  # noqa: N802
        return self._meta.get("event_name")

    def getProcessDefinitionId(self) -> Any:  # noqa: N802
        return self._meta.get("process_key")

    def getId(self) -> Any:  # noqa: N802
        return self._meta.get("execution_id")

    def getProcessInstance(self) -> "ExecutionContext":  # noqa: N802
        """The case's own execution (Camunda: the process instance's DelegateExecution): the
        same variables, the case's id as its id, no current activity."""
        meta = {k: v for k, v in self._meta.items() if k not in ("activity_id", "activity_name", "task_id")}
        meta["execution_id"] = self._meta.get("process_instance_id")
        return ExecutionContext(self._data, meta)

    processInstanceId = property(getProcessInstanceId)  # noqa: N815 - JUEL property names
    processBusinessKey = property(getProcessBusinessKey)  # noqa: N815
    businessKey = property(getBusinessKey)  # noqa: N815
    currentActivityId = property(getCurrentActivityId)  # noqa: N815
    currentActivityName = property(getCurrentActivityName)  # noqa: N815
    activityId = property(getActivityId)  # noqa: N815
    eventName = property(getEventName)  # noqa: N815
    processDefinitionId = property(getProcessDefinitionId)  # noqa: N815
    id = property(getId)
    variables = property(getVariables)
    processInstance = property(getProcessInstance)  # noqa: N815

    def __repr__(self) -> str:
        return f"execution({self._meta.get('activity_id')})"


class ProcessContext(ModelContext):
    """``process`` in listener expressions: ``process.setStatus('Bescheid erteilt')`` sets the
    citizen's status (a milestone, :mod:`engine.runtime.milestones`) through ``_set``."""

    __slots__ = ("_set",)

    def __init__(self, set_status: Any) -> None:
        self._set = set_status

    def setStatus(self, value: Any) -> None:  # noqa: N802 - the name Camunda models use
        if not isinstance(value, str) or not value.strip():
            raise Refused("setStatus needs a non-empty text")
        self._set(value)

    def __repr__(self) -> str:
        return "process"


_TASK_TEXT = ("name", "description", "assignee", "owner")


class TaskContext(ExecutionContext):
    """Camunda's ``DelegateTask`` in task listeners: the user task's attributes (``_task``,
    changed in place by the setters) and its variables."""

    __slots__ = ("_task",)

    def __init__(self, data: MutableMapping[str, Any], meta: Mapping[str, Any], task: dict[str, Any]) -> None:
        super().__init__(data, meta)
        self._task = task

    def getName(self) -> Any:  # noqa: N802
        return self._task.get("name")

    def getDescription(self) -> Any:  # noqa: N802
        return self._task.get("description")

    def getAssignee(self) -> Any:  # noqa: N802
        return self._task.get("assignee")

    def getOwner(self) -> Any:  # noqa: N802
        return self._task.get("owner")

    def getPriority(self) -> Any:  # noqa: N802
        return self._task.get("priority", 50)

    def getDueDate(self) -> Any:  # noqa: N802
        return self._task.get("due_date")

    def getTaskDefinitionKey(self) -> Any:  # noqa: N802
        return self._meta.get("activity_id")

    def getCandidateGroups(self) -> list[str]:  # noqa: N802
        return list(self._task.get("candidate_groups", []))

    def getCandidateUsers(self) -> list[str]:  # noqa: N802
        return list(self._task.get("candidate_users", []))

    def getExecution(self) -> ExecutionContext:  # noqa: N802
        return ExecutionContext(self._data, self._meta)

    def getId(self) -> Any:  # noqa: N802
        return self._meta.get("task_id")

    def _set(self, key: str, value: Any) -> None:
        if value is not None and not isinstance(value, str):
            raise Refused(f"task {key} must be text, not {type(value).__name__}")
        self._task[key] = value
        self._task.setdefault("changed", []).append(key)

    def setName(self, value: Any) -> None:  # noqa: N802
        self._set("name", value)

    def setDescription(self, value: Any) -> None:  # noqa: N802
        self._set("description", value)

    def setAssignee(self, value: Any) -> None:  # noqa: N802
        self._set("assignee", value)

    def setOwner(self, value: Any) -> None:  # noqa: N802
        self._set("owner", value)

    def setDueDate(self, value: Any) -> None:  # noqa: N802
        self._set("due_date", value)

    def setPriority(self, value: Any) -> None:  # noqa: N802
        if isinstance(value, bool) or not isinstance(value, int):
            raise Refused(f"task priority must be a whole number, not {type(value).__name__}")
        self._task["priority"] = value
        self._task.setdefault("changed", []).append("priority")

    def _add(self, key: str, names: Any) -> None:
        items = [names] if isinstance(names, str) else names
        if not isinstance(items, (list, tuple)) or not all(isinstance(n, str) for n in items):
            raise Refused(f"{key.replace('_', ' ')} must be text or a list of text")
        current = self._task.setdefault(key, [])
        current.extend(n for n in items if n not in current)
        self._task.setdefault("changed", []).append(key)

    def addCandidateGroup(self, name: Any) -> None:  # noqa: N802
        self._add("candidate_groups", name)

    def addCandidateGroups(self, names: Any) -> None:  # noqa: N802
        self._add("candidate_groups", names)

    def addCandidateUser(self, name: Any) -> None:  # noqa: N802
        self._add("candidate_users", name)

    def addCandidateUsers(self, names: Any) -> None:  # noqa: N802
        self._add("candidate_users", names)

    name = property(getName)
    description = property(getDescription)
    assignee = property(getAssignee)
    owner = property(getOwner)
    priority = property(getPriority)
    dueDate = property(getDueDate)  # noqa: N815
    taskDefinitionKey = property(getTaskDefinitionKey)  # noqa: N815
    execution = property(getExecution)
    id = property(getId)
    candidateGroups = property(getCandidateGroups)  # noqa: N815
    candidateUsers = property(getCandidateUsers)  # noqa: N815

    def __repr__(self) -> str:
        return f"task({self._meta.get('activity_id')})"


def _public(cls: type, kind: type) -> frozenset[str]:
    names = {n for c in cls.__mro__ for n, v in vars(c).items() if not n.startswith("_") and isinstance(v, kind)}
    return frozenset(names)


def _methods(cls: type) -> frozenset[str]:
    return frozenset(n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n))
                     and not isinstance(getattr(cls, n), property))


# What the evaluator may call / read on each context object (exact type first: TaskContext
# before its base class).
CONTEXT_METHODS: dict[type, frozenset[str]] = {TaskContext: _methods(TaskContext),
                                                ExecutionContext: _methods(ExecutionContext),
                                                ProcessContext: _methods(ProcessContext)}
CONTEXT_ATTRS: dict[type, frozenset[str]] = {TaskContext: _public(TaskContext, property),
                                              ExecutionContext: _public(ExecutionContext, property),
                                              ProcessContext: frozenset()}


class ModelScope(MutableMapping[str, Any]):
    """Names of one evaluation: the context objects first, then the variables; writes go to
    the variables and may not store a context object."""

    __slots__ = ("_data", "_contexts")

    def __init__(self, data: MutableMapping[str, Any], contexts: Mapping[str, Any]) -> None:
        self._data = data
        self._contexts = contexts

    def __getitem__(self, key: str) -> Any:
        if key in self._contexts:
            return self._contexts[key]
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._contexts or key in self._data

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self._contexts:
            raise Refused(f"'{key}' is a context object and cannot be assigned")
        self._data[key] = plain(value)

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)
