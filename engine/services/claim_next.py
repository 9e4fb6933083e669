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

PAGE_SIZE = 50
MAX_PAGES = 20      # 1,000 tasks held by colleagues or closed meanwhile: then the list says "none free"


def claim_next(engine: Engine, user: str, groups: list[str], *, process_key: str | None = None,
               search: str | None = None, due_from: datetime | None = None, due_until: datetime | None = None,
               order: str = "due") -> TaskView | None:
    """Claim the first free task of ``groups`` in ``order`` for ``user``; None when there is none."""
    if not groups:
        return None
    cursor = None
    for _page in range(MAX_PAGES):
        page = task_pages.task_page(engine, groups=groups, viewer=user, process_key=process_key, search=search,
                                    due_from=due_from, due_until=due_until, cursor=cursor, limit=PAGE_SIZE,
                                    order=order)
        for item in page.items:
            if item["assignee"] is not None:
                continue
            try:
                cases.claim(engine, item["id"], user)
            except (Conflict, PermissionDenied):   # a colleague was quicker, the task ended, or four eyes
                continue
            return item
        cursor = page.next_cursor
        if cursor is None:
            return None
    return None


__all__ = ["claim_next"]
