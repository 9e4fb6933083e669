"""Who gets a user task, by when, at which priority: the model's expressions evaluated when the
task is reached.

A user task's candidate groups and users, assignee, due and follow-up dates and priority may be
``${...}`` expressions over the case's data, and its name may hold some (``Prüfung ${nr}``, shown
evaluated in the inbox as Camunda 7 shows it; when it fails, as written). They are evaluated once, when the task first
waits. One that fails (an unknown variable, a bean call that fails) or gives a value of the
wrong kind is a *problem* of that attribute: the attribute is left out, the case goes on, and
the problem is written into the case's history (the audit event of the step) and the log, naming
the task, the attribute and the reason. Camunda 7 fails the command instead; here the citizen's
case is never stopped or lost over who works on it, and bare SpiffWorkflow, which ignores these
attributes, completes such models too.

A task must never wait in nobody's inbox: when its model names people or groups and none are
left (an expression failed or gave nothing), it is offered to the process owners
(:data:`engine.runtime.task_owners.OWNERS_GROUP`), who see the problem in the case and assign it.

What a value may be:

* candidate groups and users: a text (a comma-separated list of names) or a list of texts;
* assignee: a text or a number (``None``: nobody yet);
* due and follow-up date: an ISO date, date-time or duration (from now), or ``None``;
* priority: a whole number or a text that is one, or ``None`` (the default priority).

An empty text (a form field left empty) is no date and no priority, as ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, TypeVar

from engine.domain.errors import ExpressionError
from engine.runtime import juel
from engine.runtime.model import ElementInfo
from engine.runtime.task_owners import OWNERS_GROUP
from engine.runtime.timers import person_deadline

T = TypeVar("T")
_NO_DATE: datetime | None = None
_NO_PRIORITY: int | None = None
NAME_LENGTH = 500    # work_items.name

__all__ = ["Assignment", "AssignmentFailed", "resolve"]


class AssignmentFailed(Exception):
    """An attribute of a user task could not be worked out (``message``: for operators)."""

    def __init__(self, element_id: str, attribute: str, expression: str, reason: str) -> None:
        self.element_id = element_id
        self.message = f"{element_id}: the user task's {attribute} {expression!r} {reason}"
        super().__init__(self.message)


@dataclass(frozen=True)
class Assignment:
    candidate_groups: list[str]
    candidate_users: list[str]
    assignee: str | None
    due: datetime | None
    follow_up: datetime | None
    priority: int | None
    name: str | None = None      # the task's name from its expression (None: the model's name as written)


def resolve(evaluator: Any, info: ElementInfo, data: dict[str, Any], now: datetime,
            zone: str) -> tuple[Assignment, list[str]]:
    """The task's attributes for ``data`` and the problems met (for operators, each naming the
    task and the attribute); an attribute with a problem is left out (see the module's text)."""
    task = _Task(evaluator, info, data)
    problems: list[str] = []

    def attempt(compute: Callable[[], T], fallback: T) -> T:
        try:
            return compute()
        except AssignmentFailed as exc:
            problems.append(exc.message)
            return fallback

    nobody: list[str] = []
    groups = attempt(lambda: task.names("candidate groups", info.candidate_groups), nobody)
    users = attempt(lambda: task.names("candidate users", info.candidate_users), list(nobody))
    assignee: str | None = attempt(lambda: task.assignee(info.assignee), None)
    named = bool(info.candidate_groups or info.candidate_users or info.assignee)
    if named and not (groups or users or assignee):
        groups = [OWNERS_GROUP]
        problems.append(f"{info.id}: the user task's candidates and assignee gave nobody: it is offered to the "
                        f"process owners (group '{OWNERS_GROUP}')")
    return Assignment(
        candidate_groups=groups, candidate_users=users, assignee=assignee,
        due=attempt(lambda: task.deadline("due date", info.due_date, now, zone), _NO_DATE),
        follow_up=attempt(lambda: task.deadline("follow-up date", info.follow_up_date, now, zone), _NO_DATE),
        priority=attempt(lambda: task.priority(info.priority), _NO_PRIORITY),
        name=attempt(lambda: task.name(info.name), None)), problems


class _Task:
    def __init__(self, evaluator: Any, info: ElementInfo, data: dict[str, Any]) -> None:
        self.evaluator, self.info, self.data = evaluator, info, data

    def _failed(self, attribute: str, expression: str, reason: str) -> AssignmentFailed:
        return AssignmentFailed(self.info.id, attribute, expression, reason)

    def _value(self, attribute: str, expression: str) -> Any:
        """The value of ``expression``: a literal text as it is, a ``${...}`` expression evaluated."""
        if not juel.is_juel(expression):
            return expression
        try:
            return self.evaluator.evaluate(juel.translate(expression), self.data, element_id=self.info.id)
        except ExpressionError as exc:
            reason = str(exc.message).removeprefix(f"{self.info.id}: ")
            raise self._failed(attribute, expression, f"could not be evaluated: {reason}") from exc
        except juel.JuelError as exc:
            raise self._failed(attribute, expression, f"could not be evaluated: {exc}") from exc

    def names(self, attribute: str, entries: list[str]) -> list[str]:
        names: list[str] = []
        for entry in entries:
            value = self._value(attribute, entry)
            if isinstance(value, str):
                items: list[Any] = value.split(",")
            elif isinstance(value, (list, tuple, set, frozenset)):
                items = list(value)
                if not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in items):
                    raise self._failed(attribute, entry, "gave a list with other values than names")
            else:
                raise self._failed(attribute, entry, f"gave {_kind(value)}, not a name, a comma-separated text "
                                                     "of names or a list of names")
            names.extend(str(v).strip() for v in items if str(v).strip())
        return list(dict.fromkeys(names))

    def name(self, expression: str | None) -> str | None:
        """A name with ``${...}`` in it (``Prüfung ${aktenzeichen}``, ``Aufgabe ${loopCounter}``)
        as Camunda 7 shows it: evaluated when the task is reached, at most NAME_LENGTH characters.
        None: the name as written (it holds no expression)."""
        if not expression or not juel.is_juel(expression):
            return None
        value = self._value("name", expression)
        if isinstance(value, (dict, list, tuple, set, frozenset)):
            raise self._failed("name", expression, f"gave {_kind(value)}, not a text")
        return juel.as_text(value).strip()[:NAME_LENGTH] or None

    def assignee(self, expression: str | None) -> str | None:
        if not expression:
            return None
        value = self._value("assignee", expression)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self._failed("assignee", expression, f"gave {_kind(value)}, not a user name")
        return str(value).strip() or None

    def deadline(self, attribute: str, expression: str | None, now: datetime, zone: str) -> datetime | None:
        if not expression:
            return None
        value = self._value(attribute, expression)
        if value is None:
            return None
        if isinstance(value, datetime):
            return value if value.tzinfo is not None else value.replace(tzinfo=now.tzinfo)
        if isinstance(value, date):
            value = value.isoformat()
        if not isinstance(value, str):
            raise self._failed(attribute, expression, f"gave {_kind(value)}, not a date, date-time or ISO duration")
        if not value.strip():
            return None
        try:
            return person_deadline(value, now, zone)
        except Exception as exc:  # noqa: BLE001 - SpiffWorkflow's parsers raise bare Exception
            raise self._failed(attribute, expression,
                               f"gave {value[:80]!r}, which is no ISO date, date-time or duration") from exc

    def priority(self, expression: str | None) -> int | None:
        if not expression:
            return None
        value = self._value("priority", expression)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self._failed("priority", expression, "gave a truth value, not a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            if not value.strip():   # an empty form field: no priority given
                return None
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise self._failed("priority", expression, f"gave {_kind(value)}, not a whole number")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return f"the text {value[:80]!r}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"the number {value}"
    return {bool: "a truth value", dict: "a map", list: "a list", tuple: "a list"}.get(type(value), type(value).__name__)
