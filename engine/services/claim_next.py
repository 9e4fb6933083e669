"""A clerk takes the next free task of their groups in one step ("Nächste Aufgabe übernehmen").

The next task is the first unassigned one of the clerk's task list as they see it: their
groups, the filters they chose (service, due date, search) and their order (due date, priority,
age), without the tasks the four-eyes principle keeps from them. Two clerks who ask at the same
moment get two different tasks: the claim is a conditional update (only while nobody holds the
task), and a task a colleague took first is skipped for the next one.
"""

from __future__ import annotations

from datetime import datetime

from engine.bootstrap import Engine
from engine.domain.errors import Conflict, PermissionDenied
from engine.services import cases, task_pages
from engine.services.read_models import TaskView

CANDIDATES = 10     # free tasks read per round
MAX_ROUNDS = 20     # rounds in which colleagues took every candidate first: then "none free" this time


def claim_next(engine: Engine, user: str, groups: list[str], *, process_key: str | None = None,
               search: str | None = None, due_from: datetime | None = None, due_until: datetime | None = None,
               order: str = "due") -> TaskView | None:
    """Claim the first free task of ``groups`` in ``order`` for ``user``; None when there is none.
    Each round reads the first free tasks of the list (a task claimed meanwhile is no longer among
    them) and claims the first that is still free. A task whose follow-up day (Wiedervorlage) lies
    ahead is never the next one."""
    if not groups:
        return None
    refused: set[str] = set()
    for _round in range(MAX_ROUNDS):
        page = task_pages.task_page(engine, groups=groups, viewer=user, process_key=process_key, search=search,
                                    due_from=due_from, due_until=due_until, limit=CANDIDATES, order=order,
                                    unassigned=True, hide_deferred=True,   # on Wiedervorlage: not next
                                    count=False)
        candidates = [item for item in page.items if item["id"] not in refused]
        if not candidates:
            return None
        for item in candidates:
            try:
                cases.claim(engine, item["id"], user)
            except Conflict:            # a colleague was quicker, or the task ended: the next one
                continue
            except PermissionDenied:    # four eyes (excluded since the read): never this one
                refused.add(item["id"])
                continue
            return {**item, "assignee": user}
    return None


__all__ = ["claim_next"]
