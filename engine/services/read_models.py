"""What the services hand to the web layer and the API: typed read models.

The web layer imports services and these types, never ``engine.runtime`` or the tables, and
mypy checks every key it reads against them. Views that travel as JSON (case, task, incident,
definition) are TypedDicts: plain dicts at run time, ready for ``jsonify``; documents and
deployments are dataclasses. The runtime's model descriptions a page renders (a process model,
its elements and forms) are part of this contract and are named here too.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

if TYPE_CHECKING:
    from engine.runtime.model import ElementInfo, Form, ProcessModel
    from engine.runtime.parsing import SourceFile
    from engine.runtime.task_owners import OWNERS_GROUP
    from engine.services.deploy import DeployedProcess, DeployResult
    from engine.services.documents import Document

# The runtime's names are loaded when first asked for (PEP 562), not when a read model is: the
# CLI's read commands (``amtsflow tasks``, ``case``) then load no runtime (SpiffWorkflow, parsers).
_LAZY = {
    "ElementInfo": "engine.runtime.model", "Form": "engine.runtime.model", "ProcessModel": "engine.runtime.model",
    "SourceFile": "engine.runtime.parsing", "OWNERS_GROUP": "engine.runtime.task_owners",
    "DeployedProcess": "engine.services.deploy", "DeployResult": "engine.services.deploy",
    "Document": "engine.services.documents",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


class TaskSummary(TypedDict):
    label: str
    value: str | None


class TaskView(TypedDict):
    """An open (or finished) work item: inbox rows, ``GET /api/v1/tasks``, ``amtsflow tasks --json``."""

    id: str
    case_id: str
    process_key: str
    name: str
    element_id: str
    state: str
    candidate_groups: list[str]
    candidate_users: list[str]
    assignee: str | None
    due: str | None
    follow_up: str | None
    priority: int | None
    created_at: str | None
    business_key: str | None
    summary: NotRequired[TaskSummary | None]   # inbox rows: the field service.toml [aufgabenliste] names


class CaseIncident(TypedDict):
    id: str
    message: str
    element_id: str | None
    kind: str
    created_at: str | None


class HistoryEntry(TypedDict):
    at: str | None
    actor: str
    action: str
    details: Any


class CaseView(TypedDict):
    """One case with its data, open tasks, open incidents and history (``GET /api/v1/cases/ID``)."""

    id: str
    process_key: str
    version: int
    status: str
    citizen_status: str | None
    suspended: bool
    business_key: str | None
    started_by: str | None
    data: dict[str, Any]
    error: str | None
    started_at: str | None
    ended_at: str | None
    open_tasks: list[TaskView]
    incidents: list[CaseIncident]
    history: list[HistoryEntry]


class CaseSummary(TypedDict):
    """A row of a case list (my applications, the studio's cases)."""

    id: str
    process_key: str
    version: int
    status: str
    citizen_status: str | None
    business_key: str | None
    started_at: str | None
    ended_at: str | None
    started_by: str | None


class IncidentView(TypedDict):
    id: str
    case_id: str | None
    job_id: str | None
    element_id: str | None
    kind: str
    message: str
    status: str
    created_at: str
    resolved_at: str | None
    details: NotRequired[str | None]     # the stack trace: only in the single-incident view


class DefinitionView(TypedDict):
    """A deployed process version."""

    id: str
    key: str
    version: int
    name: str
    created_at: str | None


class DefinitionFile(TypedDict):
    name: str
    sha256: str
    content: bytes


__all__ = ["OWNERS_GROUP", "CaseIncident", "CaseSummary", "CaseView", "DefinitionFile", "DefinitionView",
           "DeployResult", "DeployedProcess", "Document", "ElementInfo", "Form", "HistoryEntry", "IncidentView",
           "ProcessModel", "SourceFile", "TaskSummary", "TaskView"]
