"""Keep a workflow's task tree small, so that the cost of a step does not grow with history.

SpiffWorkflow keeps every task it ever ran in a tree: a back-edge loop makes the tree one
level deeper per task, task look-ups stop seeing READY tasks deeper than 1,000 levels (the
silent stall after ~333 loop iterations) and serialisation grows with every step.

The history lives in our own tables (audit events, work items), so finished tasks are
dropped from the front of the tree: a finished task with one live child is cut out and
the child hangs under the root. Finished side branches (cancelled boundary events,
unchosen paths) go too. Never while a join is counting arrivals or a parallel/inclusive
merge lies ahead: their checks look at earlier tasks, which must stay. Loops through such
merges therefore keep their history (and SpiffWorkflow's limits) until the merge is passed.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

from engine.runtime.compensation import keeps_history

DONE = TaskState.COMPLETED | TaskState.CANCELLED
COUNTING = TaskState.WAITING | TaskState.READY | TaskState.STARTED
KEEP_TAIL = 2  # finished tasks kept directly above the live frontier


def compact(top: Any) -> int:
    if keeps_history(top):   # a compensation throw looks for the completed activities
        return 0
    removed = _compact_one(top, top)
    for sub in list(top.subprocesses.values()):
        if not sub.completed:
            removed += _compact_one(top, sub)
    return removed


def _join_is_counting(wf: Any) -> bool:
    """A join that is counting arrivals, or a parallel/inclusive merge still ahead (its
    check walks back through the ancestors of earlier loop iterations)."""
    for task in wf.tasks.values():
        spec = task.task_spec
        if not isinstance(spec, Join):
            continue
        if task.state & COUNTING:
            return True
        if isinstance(spec, (ParallelGateway, InclusiveGateway)) and len(spec.inputs) > 1 and not task.state & DONE:
            return True
    return False


def _subtree_done(task: Any) -> bool:
    stack = [task]
    while stack:
        t = stack.pop()
        if not t.state & DONE:
            return False
        stack.extend(t.children)
    return True


def _compact_one(top: Any, wf: Any) -> int:
    root = wf.task_tree
    chain: list[Any] = []
    node = root
    while node.state & DONE:
        children = node.children
        if len(children) == 1:
            nxt = children[0]
        else:
            live = [c for c in children if not _subtree_done(c)]
            if len(live) != 1:
                break
            nxt = live[0]
        chain.append(node)
        node = nxt
    # chain[0] is the root; keep it and the last KEEP_TAIL finished tasks.
    cut = chain[1:len(chain) - KEEP_TAIL]
    if not cut or _join_is_counting(wf):
        return 0
    keep_from = chain[len(chain) - KEEP_TAIL] if len(chain) > KEEP_TAIL else node
    last = wf.last_task
    removed = 0
    for victim in cut:
        if victim is last:
            return removed
    cut_ids = {t.id for t in cut}
    for victim in [root, *cut]:
        for child in list(victim.children):
            if child is keep_from or child.id in cut_ids:
                continue
            removed += _drop_subtree(top, wf, child)
    for victim in cut:
        _forget(top, wf, victim)
        removed += 1
    keep_from.parent = root
    root.children = [keep_from]
    return removed


def _drop_subtree(top: Any, wf: Any, task: Any) -> int:
    count = 0
    stack = [task]
    while stack:
        t = stack.pop()
        stack.extend(t.children)
        _forget(top, wf, t)
        count += 1
    return count


def _forget(top: Any, wf: Any, task: Any) -> None:
    if task.id in top.subprocesses:
        top.delete_subprocess(task)
    wf.tasks.pop(task.id, None)
