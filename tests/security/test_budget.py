"""Issue 12 part 3 without a database: measuring stored data, the limits' settings, timer values."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from engine.runtime import budget
from engine.runtime.budget import Limits, Unstorable, stored_size
from engine.runtime.timers import due_from, first_firing
from engine.settings import Settings


def test_the_terabyte_script_result_is_measured_without_building_it():
    s = "x" * 1_000_000
    row = [s] * 1000
    table = [row] * 1000  # as the script s='x'*1000000; l=[s]*1000; m=[l]*1000 leaves it
    started = time.thread_time()   # the work done, which a loaded machine does not inflate as it does wall time
    assert stored_size(table, 16 * 1024 ** 2) > 16 * 1024 ** 2
    exact = stored_size(table, 10 ** 15)
    assert time.thread_time() - started < 0.5
    assert exact == pytest.approx(1000 * 1000 * 1_000_002, rel=0.001)  # about 1 TB, as JSON would write it


@pytest.mark.parametrize("value", [
    {"a": [1, 2.5, None, True, "ü\n\"x\""], "b": {"c": ["x" * 300, "x" * 300]}, "n": -17},
    [], {}, "", [[1], [1]], {"1": {"2": {"3": []}}}])
def test_sizes_match_compact_json_within_a_byte_per_element(value):
    text = json.dumps(value, separators=(",", ":"))
    assert len(text) <= stored_size(value, 10 ** 9) <= len(text) + 16


@pytest.mark.parametrize("value, reason", [
    (reversed([1, 2]), "list_reverseiterator"), (zip([1], [2]), "zip"), (enumerate([1]), "enumerate"),
    ((i for i in [1]), "generator"), (float("nan"), "NaN"), ({(1, 2): 3}, "dict key"), (b"x", "bytes")])
def test_values_json_cannot_hold_are_named(value, reason):
    with pytest.raises(Unstorable, match=reason):
        stored_size({"v": value}, 10 ** 9)


def test_cycles_and_deep_nesting_are_refused_also_through_shared_parts():
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(Unstorable, match="refers to itself"):
        stored_size(cycle, 10 ** 9)
    deep: list = []
    for _ in range(1000):
        deep = [deep]
    with pytest.raises(Unstorable, match="nested more than 64"):
        stored_size(deep, 10 ** 9)
    shared = [[[]]]  # 3 levels, first met shallow, then again at depth 62
    wrapped: list = [shared]
    for _ in range(61):
        wrapped = [wrapped]
    with pytest.raises(Unstorable, match="nested"):
        stored_size([shared, wrapped], 10 ** 9)


def test_production_defaults_are_sane_and_settings_override_them():
    limits = Settings().limits()
    assert limits == Limits()
    assert limits.seconds <= 2 and 1_000 <= limits.steps <= 100_000      # a runaway ends within about a second
    assert 1024 ** 2 <= limits.state_bytes <= 64 * 1024 ** 2 and limits.instances <= 10_000
    assert 100 <= limits.timer_years <= 1000 and 32 <= limits.data_depth < 500  # well below Python's recursion
    assert 5 <= limits.call_depth <= 50
    env = {"AMTSFLOW_MAX_STEPS": "50", "AMTSFLOW_MAX_COMMAND_SECONDS": "0.25", "AMTSFLOW_MAX_STATE_BYTES": "1000",
           "AMTSFLOW_MAX_INSTANCES": "7", "AMTSFLOW_MAX_TIMER_YEARS": "3", "AMTSFLOW_MAX_DATA_DEPTH": "9",
           "AMTSFLOW_MAX_CALL_DEPTH": "4"}
    assert Settings.from_env(env).limits() == Limits(steps=50, seconds=0.25, state_bytes=1000, instances=7,
                                                     timer_years=3, data_depth=9, call_depth=4)
    with pytest.raises(ValueError, match="seconds"):
        Settings.from_env({"AMTSFLOW_MAX_COMMAND_SECONDS": "0"}).limits()


def test_a_budget_counts_steps():
    spent = budget.Budget(Limits(steps=3, seconds=60))
    for _ in range(3):
        spent.step()
    with pytest.raises(budget.BudgetExceeded, match="more than 3 engine steps"):
        spent.step()


# The time a budget counts is the CPU time of the command's thread; wall time only against a net
# of WALL_FACTOR times the limit.


def _spin(seconds: float) -> None:
    """Use about ``seconds`` of this thread's CPU time."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def _without_net(limits: Limits) -> budget.Budget:
    """A budget whose wall-time net never trips (on a loaded machine it might)."""
    spent = budget.Budget(limits)
    spent.deadline = float("inf")
    return spent


def test_waiting_does_not_count() -> None:
    spent = _without_net(Limits(seconds=0.1))
    time.sleep(0.25)   # more than the limit
    spent.check_time()


def test_work_counts() -> None:
    spent = budget.Budget(Limits(seconds=0.1))
    _spin(0.15)
    with pytest.raises(budget.BudgetExceeded, match="longer than 0.1 s of CPU time"):
        spent.check_time()


def test_work_of_other_threads_does_not_count() -> None:
    """Other threads of the process (web requests, job runners) use the cores meanwhile."""
    spent = _without_net(Limits(seconds=0.1))
    others = [threading.Thread(target=_spin, args=(0.15,)) for _ in range(2)]
    for other in others:
        other.start()
    for other in others:
        other.join()
    spent.check_time()


def test_waiting_longer_than_the_net_counts() -> None:
    spent = budget.Budget(Limits(seconds=0.05))
    time.sleep(0.05 * budget.WALL_FACTOR + 0.05)
    with pytest.raises(budget.BudgetExceeded, match=f"longer than {0.05 * budget.WALL_FACTOR:g} s of wall time"):
        spent.check_time()


def _counted(monkeypatch: pytest.MonkeyPatch, *modules: object) -> list[int]:
    """Count the reads of the thread's CPU clock (a system call) by ``modules``."""
    reads: list[int] = []
    for module in modules:
        clock = module.thread_time   # type: ignore[attr-defined]
        monkeypatch.setattr(module, "thread_time", lambda clock=clock: (reads.append(1), clock())[1])
    return reads


def test_the_cpu_clock_is_read_by_a_step_only_once_the_limit_could_be_used_up(monkeypatch) -> None:
    """A thread uses at most the wall time that passed: before the limit's worth of wall time
    since the budget began, no step can find the CPU time used up."""
    spent = budget.Budget(Limits(seconds=60))
    reads = _counted(monkeypatch, budget)
    for _ in range(100):
        spent.step()
    assert reads == []
    spent.started -= 61   # as if a minute of wall time had passed: now each step reads it
    spent.deadline = float("inf")
    spent.step()
    assert reads == [1]


def test_a_script_reads_the_cpu_clock_once_to_set_its_deadline(monkeypatch) -> None:
    from engine.runtime import _safe_eval
    from engine.runtime.expressions import SafeEvaluator

    evaluator = SafeEvaluator()
    with budget.command(Limits(seconds=0.5)) as spent:
        reads = _counted(monkeypatch, budget, _safe_eval)
        run = _safe_eval.Run(evaluator, {})
        assert reads == [1]
        assert run.capped and run.deadline == spent.cpu_deadline   # the command's deadline comes first
    with budget.command(Limits(seconds=10_000)):
        run = _safe_eval.Run(evaluator, {})
        assert not run.capped and run.deadline < budget.current().cpu_deadline   # type: ignore[union-attr]


NOW = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)


def test_timer_values_beyond_the_limit_are_refused_before_months_are_counted():
    started = time.thread_time()   # CPU time: counting the months would be work, not waiting
    with pytest.raises(ValueError, match="longer than 200 years"):
        due_from("P999999999Y", NOW)
    with pytest.raises(ValueError, match="longer than 200 years"):
        first_firing("R/P999999999M", NOW)
    assert time.thread_time() - started < 0.1
    assert due_from("P110Y", NOW) == datetime(2136, 12, 2, 10, 0, tzinfo=timezone.utc)  # a register's retention


def test_a_start_cycle_from_long_ago_catches_up_without_a_loop():
    started = time.thread_time()
    due, left, interval = first_firing("R/0001-01-01T00:00:00+00:00/PT1S", NOW)
    assert time.thread_time() - started < 0.1 and (due, left, interval) == (NOW, -1, 1.0)
    due, _, _ = first_firing("R/2026-12-01T09:30:00+00:00/PT1H", NOW)
    assert due == NOW + timedelta(minutes=30)


def test_an_expression_result_nested_too_deep_or_too_big_is_refused_before_anything_keeps_it():
    from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

    from engine.ports import FakeClock
    from engine.runtime.expressions import SafeEvaluator
    from engine.runtime.script_engine import SafeScriptEngine
    from tests.security import runaway_models as models
    from engine.runtime.parsing import SourceFile, parse_bundle
    from engine.runtime.workflow import WorkflowRunner

    script_engine = SafeScriptEngine(SafeEvaluator(), FakeClock())
    parsed = parse_bundle([SourceFile("n.bpmn", models.waiting().encode())]).processes["normal"]
    wf = WorkflowRunner(script_engine).new(parsed, {})
    task = wf.get_next_task()
    deep: list = []
    for _ in range(200):
        deep = [deep]
    task.data.update(deep=deep, s="x" * 1_000_000)
    with pytest.raises(WorkflowTaskException, match="nested more than 64 levels"):
        script_engine.evaluate(task, "deep")
    with pytest.raises(WorkflowTaskException, match="more than 16,777,216 bytes"):
        script_engine.evaluate(task, "[[s] * 1000] * 1000")
    assert script_engine.evaluate(task, "len(deep) == 1 and zip([1], [2])")  # a condition may yield an iterator
