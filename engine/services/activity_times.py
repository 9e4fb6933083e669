"""How long work waits at each activity of a process version: completed user tasks per element
with count, mean, median and 90th percentile of (ended_at - created_at), computed in the database
(window functions; nearest-rank percentiles) over an optional period of completion.

Shown beside the studio's diagram as a table and on it as a heat overlay (the mean, in words).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, and_, case, cast, extract, func, select

from engine.bootstrap import Engine
from engine.persistence import tables as t


@dataclass(frozen=True)
class ActivityTime:
    element_id: str
    completed: int
    mean: timedelta
    median: timedelta
    p90: timedelta


def _seconds(engine: Engine) -> Any:
    w = t.work_items
    if engine.db.dialect.name == "postgresql":
        return extract("epoch", w.c.ended_at - w.c.created_at)
    return (func.julianday(w.c.ended_at) - func.julianday(w.c.created_at)) * 86400.0


def waiting_times(engine: Engine, definition_id: str, *, since: datetime | None = None,
                  until: datetime | None = None) -> dict[str, ActivityTime]:
    """Element id -> waiting time of its completed tasks (cases of this version only)."""
    w, c = t.work_items, t.cases
    conds = [w.c.state == "completed", w.c.ended_at.is_not(None), c.c.definition_id == definition_id]
    if since is not None:
        conds.append(w.c.ended_at >= since)
    if until is not None:
        conds.append(w.c.ended_at < until)
    seconds = cast(_seconds(engine), Float).label("seconds")
    ranked = (select(w.c.element_id, seconds,
                     func.row_number().over(partition_by=w.c.element_id, order_by=seconds).label("rank"),
                     func.count().over(partition_by=w.c.element_id).label("n"))
              .join(c, c.c.id == w.c.case_id).where(and_(*conds)).subquery())
    # nearest rank: rank ceil(p * n), in integer arithmetic on both databases
    median_rank = func.floor((ranked.c.n * 50 + 99) / 100)
    p90_rank = func.floor((ranked.c.n * 90 + 99) / 100)
    query = (select(ranked.c.element_id, func.max(ranked.c.n), func.avg(ranked.c.seconds),
                    func.max(case((ranked.c.rank == median_rank, ranked.c.seconds), else_=None)),
                    func.max(case((ranked.c.rank == p90_rank, ranked.c.seconds), else_=None)))
             .group_by(ranked.c.element_id))
    with engine.db.connect() as conn:
        rows = conn.execute(query).all()
    return {element: ActivityTime(element, int(n), _whole(mean), _whole(median), _whole(p90))
            for element, n, mean, median, p90 in rows}


def _whole(seconds: Any) -> timedelta:
    """Whole seconds (SQLite's julianday arithmetic is off by microseconds)."""
    return timedelta(seconds=round(float(seconds)))
