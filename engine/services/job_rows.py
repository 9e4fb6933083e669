"""A job row as the engine's own commands write one that is not a case's service call or timer
(housekeeping, start timers, migration batches, notifications): one place for the defaults."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from engine.bootstrap import Engine
from engine.domain import priorities


def job_row(engine: Engine, kind: str, due_at: datetime, payload: dict[str, Any], *, job_id: str | None = None,
            case_id: str | None = None, element_id: str | None = None,
            created_at: datetime | None = None) -> dict[str, Any]:
    """The values of a new job: the installation's retries, not suspended, the kind's priority."""
    return dict(id=job_id or str(uuid.uuid4()), case_id=case_id, kind=kind, task_id=None, element_id=element_id,
                due_at=due_at, retries=engine.settings.default_retries, attempts=0, suspended=False,
                created_at=created_at or engine.clock.now(), payload=payload, priority=priorities.for_kind(kind))


__all__ = ["job_row"]
