"""Deploy-time checks of what one command may be asked to do (engine/runtime/budget.py limits):
literal multi-instance counts and timer values, and call activities that call their own process."""

from __future__ import annotations

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime.namespaces import owner_id
from engine.runtime.namespaces import tag


TIMER_TAGS = ("timeDuration", "timeDate", "timeCycle")


def limit_problems(root: etree._Element, filename: str) -> list[Problem]:
    """Literal values beyond what one command may do (engine/runtime/budget.py limits): the
    number of multi-instance instances and timer durations. Computed values are checked
    when they are computed."""
    from datetime import datetime, timezone

    from engine.runtime.bounded import instance_count_problem, timer_literal_problem

    problems: list[Problem] = []
    now = datetime.now(timezone.utc)
    for node in root.iter(tag("loopCardinality")):
        message = instance_count_problem(node.text or "")
        if message:
            problems.append(Problem(filename, node.sourceline or 0, owner_id(node), message))
    for node in root.iter(tag("standardLoopCharacteristics")):
        maximum = (node.get("loopMaximum") or "").strip()
        if maximum and not maximum.isdigit():
            problems.append(Problem(filename, node.sourceline or 0, owner_id(node),
                                    f"loopMaximum {maximum!r} is not a whole number of at least 0"))
    for kind in TIMER_TAGS:
        for node in root.iter(tag(kind)):
            message = timer_literal_problem(kind, node.text or "", now) if (node.text or "").strip() else None
            if message:
                problems.append(Problem(filename, node.sourceline or 0, owner_id(node), message))
    return problems


def call_cycles(trees: dict[str, etree._Element]) -> list[Problem]:
    """Call activities that call their own process again, directly or through others: each call
    starts another copy until memory or time runs out."""
    calls: dict[str, list[tuple[str, etree._Element, str]]] = {}   # process -> (called, node, file)
    for filename, root in trees.items():
        for process in root.iter(tag("process")):
            for node in process.iter(tag("callActivity")):
                called = node.get("calledElement")
                if called:
                    calls.setdefault(process.get("id", ""), []).append((called, node, filename))
    problems: list[Problem] = []
    for caller, targets in calls.items():
        for called, node, filename in targets:
            path = _path(calls, called, caller)
            if path is not None:
                chain = " -> ".join([caller, *path])
                problems.append(Problem(filename, node.sourceline or 0, node.get("id", ""),
                                        f"call activity calls its own process again ({chain}); recursive "
                                        "calls are not supported, model the repetition as a loop"))
    return problems


def _path(calls: dict[str, list[tuple[str, etree._Element, str]]], start: str, goal: str) -> list[str] | None:
    """Process ids from ``start`` to ``goal`` along call activities (breadth first), or None."""
    previous: dict[str, str | None] = {start: None}
    queue = [start]
    while queue:
        current = queue.pop(0)
        if current == goal:
            path = [current]
            while previous[path[-1]] is not None:
                path.append(previous[path[-1]] or "")
            return path[::-1]
        for called, _node, _file in calls.get(current, []):
            if called not in previous:
                previous[called] = current
                queue.append(called)
    return None
