"""Parallel branches merge what they changed, not their whole copies (issue 11).

In Camunda 7 (and in BPMN, where process data is the process's) every branch of a parallel or
inclusive split writes to the same process variables: a status one branch sets stays set when
the other branch, a clerk's task say, completes later. SpiffWorkflow 3.2.0 gives each branch a
copy of the data at the split and merges the copies at the join in the order the branches
arrived, whole: the last branch's copy, which still held the value from before the split, put
that value back (``status`` set to "geprueft" by a script in one branch was "neu" again after a
user task in the other branch completed).

Here a join takes the data at the split (the branches' nearest common task) and lays over it,
in the order the branches arrived, only the variables each branch changed there: a variable two
branches changed keeps the later arrival's value, as the later write wins in Camunda. The
library's own merge runs first (it also prunes finished branches) and is then replaced.

Known limits: a variable a branch removed stays, as it did before (SpiffWorkflow's merge never
removes); a branch does not see another branch's writes before the join (each still runs on
its copy); branches of a parallel multi-instance loop share through engine.runtime.shared_scope.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin

from engine.runtime import spiff_seam

__all__ = ["attach", "merged"]


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
    """``base`` with each branch's changes against it laid over, in order."""
    result = deepcopy(base)
    for data in branches:
        for name, value in data.items():
            if name not in base or base[name] != value:
                result[name] = deepcopy(value)
    return result


class MergedJoin:
    """Mixin for a parallel or inclusive join (and a scope's end join): merge the changes."""

    def _run_hook(self, my_task: Any) -> Any:
        ends = spiff_seam.join_branch_ends(self, my_task)   # before the library prunes them
        result = super()._run_hook(my_task)  # type: ignore[misc]
        if len(ends) > 1:
            split = _split_point(ends)
            if split is not None:
                my_task.data = merged(split.data, [end.data for end in ends])
        return result


def attach(specs: list[Any]) -> None:
    """Give every join of these process specs the merge of changes."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, UnstructuredJoin):
                spiff_seam.mix_in(task_spec, MergedJoin, "Merged")
