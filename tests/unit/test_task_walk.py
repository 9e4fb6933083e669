"""spiff_seam.tasks_in_state is ``workflow.get_tasks(state=...)``: the same tasks in the same
order, for every model of the tests and every standard process, at every call the engine makes
while it steps them and for every state mask at every wait (top workflow and sub-workflows)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.util.task import TaskState

from engine.runtime import spiff_seam
from engine.runtime.parsing import SourceFile, parse_bundle
from tests.unit.test_save_restore import drive
from tests.unit.test_state_codec import _all_models

S = TaskState
MASKS = [S.READY, S.WAITING, S.STARTED, S.ERROR, S.COMPLETED, S.CANCELLED, S.MAYBE, S.LIKELY, S.FUTURE,
         S.READY | S.STARTED | S.ERROR, S.READY | S.STARTED | S.WAITING | S.ERROR, S.NOT_FINISHED_MASK,
         S.FINISHED_MASK, S.PREDICTED_MASK, S.DEFINITE_MASK, S.ANY_MASK]


def _same(workflow: Any, state: int) -> None:
    expected = workflow.get_tasks(state=state)
    got = WALK(workflow, state)
    assert [t.id for t in got] == [t.id for t in expected] and all(a is b for a, b in zip(got, expected)), \
        f"state {state}"


WALK = spiff_seam.tasks_in_state


@pytest.mark.parametrize("name,files", _all_models(), ids=[b[0] for b in _all_models()])
def test_tasks_in_state_is_get_tasks(name: str, files: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def checked(workflow: Any, state: int) -> list[Any]:
        calls.append(state)
        _same(workflow, state)
        return WALK(workflow, state)

    def at_wait(wf: Any) -> None:
        for workflow in (wf, *wf.subprocesses.values()):
            for mask in MASKS:
                _same(workflow, mask)

    monkeypatch.setattr(spiff_seam, "tasks_in_state", checked)
    bundle = parse_bundle([SourceFile(f.name, f.read_bytes()) for f in files])
    for _key, parsed in sorted(bundle.processes.items()):
        for roundtrip in (False, True):
            drive(parsed, roundtrip=roundtrip, at_wait=at_wait)
    assert calls   # the engine's own walks went through the check


@pytest.mark.parametrize("states", [[S.COMPLETED], [S.FUTURE], [S.MAYBE], [S.COMPLETED, S.FUTURE, S.READY, S.MAYBE]])
def test_a_tree_deeper_than_the_iterators_limit_is_cut_where_it_cuts_it(states: list[int]) -> None:
    from tests.unit.test_state_codec import _linear

    wf, _parsed = _linear()
    [task] = wf.get_tasks(state=TaskState.READY)
    spec = task.task_spec
    branches, made = [task, task], []
    for i in range(1100):   # two chains under the task, each with a side branch now and then
        grown = []
        for k, parent in enumerate(branches[:2]):
            child = spiff_seam.add_child(parent, spec, TaskState.FUTURE)
            made.append((child, states[(i + k) % len(states)]))
            if i % 97 == 0:
                made.append((spiff_seam.add_child(parent, spec, TaskState.FUTURE), states[i % len(states)]))
            grown.append(child)
        branches = grown
    for child, state in made:
        spiff_seam.force_state(child, state)
    for mask in MASKS:
        _same(wf, mask)
