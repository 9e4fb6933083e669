"""What a parallel or inclusive join makes of its branches' data (issue 11, see
engine.runtime.branch_merge): the data at the split with each branch's changes laid over in
the order the branches arrived (a write, or a removal), then what other branches told the
join's waiting arrivals after those branches had arrived, where no later arrival holds its own
value. The told writes and removals are kept in an open task's internal data under
:data:`SHARED` and :data:`REMOVED` by engine.runtime.branch_merge."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from engine.runtime import spiff_seam

__all__ = ["MergedJoin", "merged", "SHARED", "REMOVED"]

SHARED = "branch_shared"   # internal data of an open task: {name: [value, time]} other branches wrote into it
REMOVED = "branch_removed"   # internal data of an open task: {name: time} other branches removed from it (added
#                              to state format 3: a state stored before it has none)
_GONE = object()   # a told removal, among told writes


def _chain(task: Any) -> list[Any]:
    chain = []
    while task is not None:
        chain.append(task)
        task = task.parent
    return chain


def _split_point(ends: list[Any]) -> Any | None:
    """The nearest task every branch end descends from (the split), or None."""
    others = [{id(t) for t in _chain(end)} for end in ends[1:]]
    for candidate in _chain(ends[0]):
        if all(id(candidate) in ancestors for ancestors in others):
            return candidate
    return None


def merged(base: dict[str, Any], branches: list[dict[str, Any]]) -> dict[str, Any]:
    """``base`` with each branch's changes against it laid over, in order: a variable a branch
    holds with another value, or no longer holds (removed)."""
    result = deepcopy(base)
    for data in branches:
        for name, value in data.items():
            if name not in base or base[name] != value:
                result[name] = deepcopy(value)
        for name in base:
            if name not in data:
                result.pop(name, None)
    return result


class MergedJoin:
    """Mixin for a parallel or inclusive join (and a scope's end join): merge the changes."""

    def _run_hook(self, my_task: Any) -> Any:
        arrivals = spiff_seam.join_arrivals(self, my_task)   # before the library prunes them
        ends = [arrival.parent for arrival in arrivals]
        result = super()._run_hook(my_task)  # type: ignore[misc]
        if len(ends) > 1:
            split = _split_point(ends)
            if split is not None:
                my_task.data = merged(split.data, [end.data for end in ends])
        _keep_later_writes(my_task, arrivals, ends)
        for arrival in arrivals:   # read: the (cancelled) arrivals keep nothing in the stored tree
            arrival.internal_data.pop(SHARED, None)
            arrival.internal_data.pop(REMOVED, None)
        return result


def _keep_later_writes(my_task: Any, arrivals: list[Any], ends: list[Any]) -> None:
    """A write (or removal) another branch copied into the join's waiting arrivals is later
    than what the branches that had arrived then hold: it stays, unless a branch that arrived
    after it holds its own value (the copy, or a still later write of its own)."""
    copied: dict[str, tuple[Any, float]] = {}
    for arrival in arrivals:
        told = [*(arrival.internal_data.get(SHARED) or {}).items(),
                *((name, (_GONE, at)) for name, at in (arrival.internal_data.get(REMOVED) or {}).items())]
        for name, (value, at) in told:
            if name not in copied or at > copied[name][1]:
                copied[name] = (value, at)
    for name, (value, at) in copied.items():
        if not any(end.last_state_change > at and name in end.data for end in ends):
            if value is _GONE:
                my_task.data.pop(name, None)
            else:
                my_task.data[name] = deepcopy(value)
