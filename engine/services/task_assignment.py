"""Who gets a user task, by when, at which priority: the model's expressions evaluated when the
task is reached.

A user task's candidate groups and users, assignee, due and follow-up dates and priority may be
``${...}`` expressions over the case's data. They are evaluated once, when the task first
waits, strictly as Camunda 7 evaluates them (``TaskDecorator``): an expression that fails
(an unknown variable, a bean call that fails) or gives a value of the wrong kind fails the
step, and the case gets an incident on the task that names the attribute and the reason. A
task whose candidates could not be worked out is never put into an inbox unassigned: that
would be a case nobody sees.

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
from typing import Any

from engine.domain.errors import ExpressionError
from engine.runtime import juel
from engine.runtime.model import ElementInfo
from engine.runtime.timers import person_deadline

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


def resolve(evaluator: Any, info: ElementInfo, data: dict[str, Any], now: datetime, zone: str) -> Assignment:
    """The task's attributes for ``data``; raises :class:`AssignmentFailed`."""
    task = _Task(evaluator, info, data)
    return Assignment(
        candidate_groups=task.names("candidate groups", info.candidate_groups),
        candidate_users=task.names("candidate users", info.candidate_users),
        assignee=task.assignee(info.assignee),
        due=task.deadline("due date", info.due_date, now, zone),
        follow_up=task.deadline("follow-up date", info.follow_up_date, now, zone),
        priority=task.priority(info.priority))


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
