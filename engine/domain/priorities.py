"""Job priorities: which due job a worker takes first (higher first, then the earlier due).

Timers and message deliveries are promised at a moment, so they go before bulk service calls
that fall due at the same time (a backlog of service jobs must not make timers late);
housekeeping (message TTLs, retention, expired application drafts) goes last. A model may set a service task's priority
as Camunda does with ``camunda:jobPriority`` (on the activity, or on the process for all its
activities); the values below keep Camunda's convention that a higher number runs first.
"""

from __future__ import annotations

from typing import Any

TIMER = 100
MESSAGE = 100
SERVICE = 50
HOUSEKEEPING = 10

BY_KIND: dict[str, int] = {
    "timer": TIMER, "start_timer": TIMER, "throw": MESSAGE, "message": MESSAGE, "signal": MESSAGE,
    "service": SERVICE, "message_ttl": HOUSEKEEPING, "retention": HOUSEKEEPING, "draft_expiry": HOUSEKEEPING,
}


def for_kind(kind: str | None) -> int:
    return BY_KIND.get(kind or "", SERVICE)


def column_default(context: Any) -> int:
    """SQLAlchemy column default: the priority of the job's kind."""
    return for_kind(context.get_current_parameters().get("kind"))
