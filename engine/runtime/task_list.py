"""What the task list shows of a case: the summary field a process declares in its service.toml.

    [aufgabenliste]
    spalte = "kennzeichen"      # one of the process's caseFields (projected, so the list reads it cheaply)
    titel = "Kennzeichen"       # the column's label for this process

The clerk's inbox shows the value beside each task, so a clerk sees which vehicle, dog or business
a task is about without opening it.
"""

from __future__ import annotations

from typing import Iterable

from engine.domain.errors import Problem
from engine.runtime.task_owners import service_settings

SECTION = "aufgabenliste"


def summary_field(service_files: Iterable[tuple[str, bytes]], process_key: str,
                  case_fields: list[str]) -> tuple[tuple[str, str] | None, list[Problem]]:
    """(field, label) the process's service.toml declares for the task list, and its problems."""
    found = service_settings(service_files, process_key)
    if found is not None:
        name, data = found
        section = data.get(SECTION)
        if section is None:
            return None, []
        field, label = (section.get("spalte"), section.get("titel")) if isinstance(section, dict) else (None, None)
        if not isinstance(field, str) or not isinstance(label, str) or not label.strip() or len(label) > 100:
            return None, [Problem(name, 0, process_key, f"[{SECTION}] needs spalte (a case field) and titel (text)")]
        if field not in case_fields:
            return None, [Problem(name, 0, process_key,
                                  f"[{SECTION}] spalte '{field}' is not one of the process's caseFields "
                                  f"({', '.join(case_fields) or 'none declared'}); only those are projected")]
        return (field, label.strip()), []
    return None, []


__all__ = ["SECTION", "summary_field"]
