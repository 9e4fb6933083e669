"""Who may work on a task: one rule for the inbox, the REST API and ``amtsflow complete --user``.

- Staff (clerks, process owners) work on tasks of their groups, tasks offered to them by name and
  tasks assigned to them; process owners also on the reserved group of tasks no lane names
  (engine/runtime/task_owners.py).
- A citizen works only on the citizen tasks (group ``antragsteller``) of a case they started.
- Nobody works on a task the model excludes them from: ``fourEyesOf=<element id>[,<element id>]``
  excludes whoever completed the latest of each named earlier task in the case (four-eyes
  principle). The exclusions are written with the work item (table work_item_exclusions), so
  the inbox can leave such tasks out; claiming, delegating to and completing are refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.domain.errors import NotFound, PermissionDenied
from engine.persistence import tables as t
from engine.runtime.task_owners import OWNERS_GROUP
from engine.services.identity import User, get_user

if TYPE_CHECKING:
    from engine.bootstrap import Engine

STAFF_ROLES = ("clerk", "owner")   # who has an inbox
CITIZEN_GROUP = "antragsteller"
FOUR_EYES = "fourEyesOf"
FOUR_EYES_MESSAGE = ("Vier-Augen-Prinzip: Sie haben in diesem Vorgang bereits entschieden. "
                     "Diese Aufgabe erledigt eine andere Person.")


def work_groups(user: User) -> list[str]:
    """The groups whose tasks ``user`` works on: their own, and for process owners the reserved
    group of tasks their models give to nobody."""
    groups = list(user.groups)
    if user.has_role("owner") and OWNERS_GROUP not in groups:
        groups.append(OWNERS_GROUP)
    return groups


def offered_to_staff(user: User, task: Mapping[str, Any]) -> bool:
    """Clerks and process owners: tasks of their groups, offered to them or assigned to them
    (the four-eyes exclusions are checked apart: :func:`excluded`)."""
    if not user.has_role(*STAFF_ROLES):
        return False
    return (task["assignee"] == user.username or user.username in task["candidate_users"]
            or bool(set(task["candidate_groups"]) & set(work_groups(user))))


def excluded_elements(properties: dict[str, Any]) -> list[str]:
    """The earlier tasks (element ids) whose performers the element's ``fourEyesOf`` excludes."""
    return [e.strip() for e in str(properties.get(FOUR_EYES) or "").split(",") if e.strip()]


def performers(conn: Connection, case_id: str, elements: list[str]) -> set[str]:
    """Who completed the latest instance of each of these elements in the case."""
    names: set[str] = set()
    w = t.work_items
    for element in elements:
        name = conn.execute(select(w.c.completed_by).where(w.c.case_id == case_id, w.c.element_id == element,
                                                           w.c.state == "completed")
                            .order_by(w.c.ended_at.desc()).limit(1)).scalar()
        if name:
            names.add(str(name))
    return names


def excluded(conn: Connection, task_id: str) -> set[str]:
    """The people this task was created excluding (four-eyes principle)."""
    x = t.work_item_exclusions
    return {str(n) for n in conn.execute(select(x.c.username).where(x.c.work_item_id == task_id)).scalars()}


def excluded_for(engine: "Engine", task_id: str) -> set[str]:
    with engine.db.connect() as conn:
        return excluded(conn, task_id)


def may_take(engine: "Engine", user: User, task: Mapping[str, Any], *, case_starter: str | None = None) -> bool:
    """Whether ``user`` may claim and complete this open task: staff when it is offered to them,
    a citizen when it is a citizen task of their own case (``case_starter``), nobody excluded."""
    if user.username in excluded_for(engine, task["id"]):
        return False
    if offered_to_staff(user, task):
        return True
    return (user.has_role("citizen") and CITIZEN_GROUP in task["candidate_groups"]
            and case_starter is not None and case_starter == user.username)


def require(engine: "Engine", task: Mapping[str, Any], username: str) -> User:
    """The active account ``username`` if it may work on ``task``; else PermissionDenied (as for a
    person in the portal or the inbox: ``amtsflow complete --user`` is checked the same way)."""
    user = get_user(engine, username)
    if user is None or not user.active:
        raise PermissionDenied(f"task {task['id']}: no active account {username!r}",
                               user_message="Dieses Benutzerkonto gibt es nicht oder es ist gesperrt.")
    if user.username in excluded_for(engine, task["id"]):
        raise PermissionDenied(f"task {task['id']}: four-eyes principle excludes {username}",
                               user_message=FOUR_EYES_MESSAGE)
    starter = _starter(engine, task["case_id"])
    if not may_take(engine, user, task, case_starter=starter):
        groups = ", ".join(task["candidate_groups"]) or "-"
        raise PermissionDenied(f"task {task['id']} ({task['element_id']}) is not offered to {username} "
                               f"(candidate groups: {groups}; roles: {', '.join(user.roles) or '-'})",
                               user_message="Diese Aufgabe ist Ihnen nicht zugewiesen.")
    return user


def _starter(engine: "Engine", case_id: str) -> str | None:
    with engine.db.connect() as conn:
        row = conn.execute(select(t.cases.c.started_by).where(t.cases.c.id == case_id)).first()
    if row is None:
        raise NotFound(f"case {case_id} not found", user_message="Der Vorgang wurde nicht gefunden.")
    return str(row.started_by) if row.started_by else None
