"""Milestones: the status a citizen sees ("Bescheid erteilt"), declared by the model.

A model declares a milestone in two ways:

* the extension property ``amtsflow:status`` on an activity or event (spiffworkflow or
  camunda ``property``; value: the German text shown to the citizen). It is set when the
  element is **reached** (entered: a task becomes ready, a catch event starts waiting, an
  end event is reached), before the element does anything;
* Camunda's common ``${process.setStatus('...')}`` expression in an execution or task
  listener (``process`` is a context object here, so no camunda-mapping.json entry is
  needed; a mapping entry for the bean ``process`` would send the call to a connector
  instead). It sets the status when the listener runs.

The latest milestone wins. It is kept in the top workflow's data under :data:`STATUS_KEY`
(serialised with the case state, never shown as case data) and projected to the case
row's ``citizen_status`` column on every save. A case whose model declares no milestone
has no citizen status; the portal then shows the engine status ("in Bearbeitung").
"""

from __future__ import annotations

from typing import Any

from engine.runtime.camunda_listeners import ElementListeners, Listener
from engine.runtime.model import ElementInfo

STATUS_PROPERTY = "amtsflow:status"
STATUS_KEY = "_amtsflow_status"   # in the top workflow's data
MAX_LENGTH = 200                  # cases.citizen_status


def set_status(task: Any, value: Any) -> None:
    """The milestone ``value`` was reached at ``task`` (a SpiffWorkflow task)."""
    text = str(value).strip()[:MAX_LENGTH]
    if text:
        task.workflow.top_workflow.data[STATUS_KEY] = text


def current_status(wf: Any) -> str | None:
    value = wf.data.get(STATUS_KEY)
    return value if isinstance(value, str) and value else None


def status_listeners(infos: dict[str, ElementInfo], found: dict[str, ElementListeners]) -> None:
    """Add a start listener that sets the milestone to each element with ``amtsflow:status``
    (before the element's own start listeners, so that a ``setStatus`` of the model wins)."""
    for element_id, info in infos.items():
        value = (info.properties.get(STATUS_PROPERTY) or "").strip()
        if not value:
            continue
        entry = found.setdefault(element_id, ElementListeners(name=info.name, assignee=info.assignee))
        entry.own.insert(0, Listener("execution", "start", "status", value))
