"""Who gets a user task the model gives to nobody.

A user (or manual) task outside every lane, without candidate groups, candidate users and
assignee, and without a task listener that could name them, would be offered to nobody: no
inbox shows it and the case stalls unseen. Deploy warns about each such task
(``FILE:LINE: element-id: message`` in :class:`DeployResult.warnings`) and offers it to

* the default group the process declares in its ``service.toml``:
  ``standardgruppe = "sachbearbeitung"``, or, without one,
* the process owners: the reserved group :data:`OWNERS_GROUP`, which every account with
  the role ``owner`` belongs to implicitly (the inbox shows owners that group's tasks).

The group is put into the element's metadata at parse time, so every re-parse of the
stored files gives the same answer.
"""

from __future__ import annotations

import tomllib
from typing import Any, Iterable

from engine.domain.errors import Problem
from engine.runtime.model import ElementInfo

OWNERS_GROUP = "prozessverantwortliche"
DEFAULT_GROUP_KEY = "standardgruppe"
_KINDS = ("userTask", "manualTask")
NAMING_EVENTS = ("create", "assignment")   # task listeners that may name candidates


def service_settings(service_files: Iterable[tuple[str, bytes]], process_key: str) -> tuple[str, dict[str, Any]] | None:
    """(file name, settings) of the service.toml that applies to ``process_key`` (its own ``key``,
    or none, which applies to every process of the deployment); None when there is none or it is
    not valid TOML (the retention check reports that)."""
    for name, content in service_files:
        try:
            data = tomllib.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        if data.get("key") in (None, process_key):
            return name, data
    return None


def default_group(service_files: Iterable[tuple[str, bytes]], process_key: str) -> tuple[str | None, list[Problem]]:
    """``standardgruppe`` of the service.toml for ``process_key`` (one without ``key`` applies to
    every process of the deployment)."""
    found = service_settings(service_files, process_key)
    if found is not None:
        name, data = found
        value = data.get(DEFAULT_GROUP_KEY)
        if value is None:
            return None, []
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            return None, [Problem(name, 0, process_key, f"{DEFAULT_GROUP_KEY} must be a group name (text)")]
        return value.strip(), []
    return None, []


def assign_unowned(infos: dict[str, ElementInfo], group: str | None, named_by_listener: set[str],
                   filename: str) -> list[Problem]:
    """Offer every task nobody gets to ``group`` (else the process owners); the warnings."""
    target = group or OWNERS_GROUP
    where = (f"the default group '{group}' (service.toml {DEFAULT_GROUP_KEY})" if group else
             f"the process owners (group '{OWNERS_GROUP}'; set {DEFAULT_GROUP_KEY} in service.toml to choose a group)")
    warnings = []
    for info in infos.values():
        if info.kind not in _KINDS or info.candidate_groups or info.candidate_users or info.assignee \
                or info.id in named_by_listener:
            continue
        info.candidate_groups = [target]
        warnings.append(Problem(filename, info.line, info.id,
                                "user task is in no lane and names no candidate group, candidate user or assignee: "
                                f"it is offered to {where}"))
    return warnings


__all__ = ["OWNERS_GROUP", "DEFAULT_GROUP_KEY", "default_group", "assign_unowned", "NAMING_EVENTS"]
