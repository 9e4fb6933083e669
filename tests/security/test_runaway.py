"""Issue 12, part 3: runaway models end their command with an incident within the budget.

Each model here hung the server before: SpiffWorkflow expanded a multi-instance activity
of 1,000,000,000 instances, counted the months of P999999999Y, let a process call itself or
a parallel fork feed itself for minutes, and a script made data that would store as 1 TB.
Literals are refused at deploy time; computed values and endless paths at run time.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy import func, select

from engine.bootstrap import Engine, bootstrap
from engine.domain.errors import DeploymentError
from engine.persistence import tables as t
from engine.ports import FakeClock
from engine.runtime import budget, limit_checks
from engine.services import cases, incidents, queries
from engine.settings import Settings
from tests.security import runaway_models as models
from tests.security.runaway_models import deploy_text

FAST = {"max_command_seconds": 0.3}   # tests keep budgets small; test_production_budget uses the defaults


@pytest.fixture
def make_engine(database_url: str, clock: FakeClock) -> Iterator[Callable[..., Engine]]:
    """Engines with chosen budgets on SQLite and PostgreSQL."""
    made: list[Engine] = []

    def make(**settings: Any) -> Engine:
        made.append(bootstrap(Settings(database_url=database_url, **settings), clock=clock))
        return made[-1]

    yield make
    for eng in made:
        eng.db.dispose()


def _only_incident(engine: Any, case_id: str) -> dict[str, Any]:
    case = queries.get_case(engine, case_id, with_history=False)
    assert case["status"] == "failed", case
    [incident] = case["incidents"]
    assert incident["kind"] == "workflow"
    return incident  # type: ignore[no-any-return]


def _start_timed(engine: Any, key: str, data: dict[str, Any] | None = None) -> tuple[str, float]:
    """The case and the wall time its start took."""
    case_id, took, _cpu = _start_measured(engine, key, data)
    return case_id, took


def _start_cpu(engine: Any, key: str, data: dict[str, Any] | None = None) -> tuple[str, float]:
    """The case and the CPU time its start used: what a refusal saves is work (expanding a
    billion instances, counting a billion years' months), which a loaded machine does not
    inflate as it does wall time."""
    case_id, _took, cpu = _start_measured(engine, key, data)
    return case_id, cpu


def _start_measured(engine: Any, key: str, data: dict[str, Any] | None) -> tuple[str, float, float]:
    started, cpu = time.monotonic(), time.thread_time()   # the command runs in this thread
    case_id = cases.start_case(engine, key, data, internal=True)
    return case_id, time.monotonic() - started, time.thread_time() - cpu


# ---------------------------------------------------------------------------- refused at deploy time
@pytest.mark.parametrize("bpmn, message", [
    (models.cardinality(), "x: multi-instance activity with 1000000000 instances; at most 1000"),
    (models.timer(), "x: timer duration 'P999999999Y' is longer than 200 years"),
    (models.timer(kind="timeCycle", value='"R/P999999999Y"'), "longer than 200 years"),
    (models.timer(kind="timeCycle", value='"R/PT0S"'), "repeats after zero time"),
    (models.self_call(), "x: call activity calls its own process again (selbst -> selbst)"),
])
def test_deploy_refuses_literal_runaways(engine, bpmn, message):
    cpu = time.thread_time()   # work, not wall time: a loaded machine must not fail this
    with pytest.raises(DeploymentError) as refused:
        deploy_text(engine, "m", bpmn)
    assert time.thread_time() - cpu < 2
    assert any(message in str(p) for p in refused.value.problems), refused.value.problems


def test_deploy_refuses_recursion_through_another_process(engine):
    first = models.between("eins", '    <bpmn:callActivity id="x" calledElement="zwei"/>')
    second = models.between("zwei", '    <bpmn:callActivity id="x" calledElement="eins"/>')
    from engine.runtime.parsing import SourceFile
    from engine.services.deploy import deploy

    with pytest.raises(DeploymentError) as refused:
        deploy(engine, [SourceFile("eins.bpmn", first.encode()), SourceFile("zwei.bpmn", second.encode())])
    assert {str(p) for p in refused.value.problems} >= {
        "eins.bpmn:5: x: call activity calls its own process again (eins -> zwei -> eins); recursive calls "
        "are not supported, model the repetition as a loop"}


def test_a_linear_model_of_10000_tasks_is_refused_with_a_clear_problem(engine):
    with pytest.raises(DeploymentError) as refused:
        deploy_text(engine, "lang", models.linear(tasks=10_000))
    text = str(refused.value)
    assert "too long to be read" in text and "split it into sub-processes or call activities" in text
    assert "RecursionError" not in text and "recursion depth" not in text


def test_a_model_of_400_tasks_in_a_row_still_deploys_and_runs(engine):
    deploy_text(engine, "lang", models.linear(tasks=400))
    case_id = cases.start_case(engine, "lang")
    assert queries.get_case(engine, case_id)["status"] == "waiting"


# ---------------------------------------------------------------------------- ended at run time
@pytest.mark.parametrize("sequential", [False, True])
def test_computed_cardinality_beyond_the_limit_ends_in_an_incident(make_engine, sequential):
    engine = make_engine(**FAST)
    deploy_text(engine, "viele", models.cardinality(value="n", sequential=sequential))
    case_id, cpu = _start_cpu(engine, "viele", {"n": 1_000_000_000})
    assert cpu < 2
    assert "1000000000 instances; at most 1000" in _only_incident(engine, case_id)["message"]
    small = cases.start_case(engine, "viele", {"n": 3}, internal=True)  # within the limit it runs as before
    assert queries.get_case(engine, small)["status"] == "waiting"


def test_computed_timer_beyond_the_limit_ends_in_an_incident(make_engine):
    engine = make_engine(**FAST)
    deploy_text(engine, "ewig", models.timer(value="dauer"))
    case_id, cpu = _start_cpu(engine, "ewig", {"dauer": "P999999999Y"})
    assert cpu < 2
    assert "longer than 200 years" in _only_incident(engine, case_id)["message"]


@pytest.mark.parametrize("depth, seconds, limit", [
    (5, 10.0, "nested deeper than 5 levels (a process calling itself?); limit AMTSFLOW_MAX_CALL_DEPTH"),
    (10_000, 0.3, "limit AMTSFLOW_MAX_COMMAND_SECONDS")])   # 0.3 s of CPU, or under load the 1.5 s wall net
def test_a_process_calling_itself_ends_in_an_incident(make_engine, monkeypatch, depth, seconds, limit):
    engine = make_engine(max_call_depth=depth, max_command_seconds=seconds)
    monkeypatch.setattr(limit_checks, "call_cycles", lambda trees: [])  # deployed before the deploy check existed
    deploy_text(engine, "selbst", models.self_call())
    case_id, took = _start_timed(engine, "selbst")
    assert took < 5
    assert limit in _only_incident(engine, case_id)["message"]


def test_a_parallel_fork_feeding_itself_ends_in_an_incident(make_engine):
    engine = make_engine(**FAST)
    deploy_text(engine, "gabel", models.fork_loop())
    case_id, took = _start_timed(engine, "gabel")
    assert took < 5
    assert "AMTSFLOW_MAX_COMMAND_SECONDS" in _only_incident(engine, case_id)["message"]


def test_a_script_whose_data_would_store_as_a_terabyte_ends_in_an_incident(make_engine):
    engine = make_engine(**FAST)
    deploy_text(engine, "tb", models.script("tb", "s='x'*1000000; l=[s]*1000; m=[l]*1000"))
    case_id, cpu = _start_cpu(engine, "tb")
    assert cpu < 2
    message = _only_incident(engine, case_id)["message"]
    assert "'m' would take more than 16,777,216 bytes when stored" in message and "'l'" in message
    with engine.db.connect() as conn:  # what was stored: the state without m and l
        assert conn.execute(select(func.length(t.cases.c.state))).scalar() < 3 * 1024 ** 2


@pytest.mark.parametrize("source, kind", [
    ("r = reversed([1, 2])", "list_reverseiterator"), ("z = zip([1], [2])", "zip"),
    ("e = enumerate(['a'])", "enumerate"), ("g = (i for i in [1, 2])", "list_iterator"),
    ("a = []\nfor i in range(1000):\n    a = [a]", "nested more than 64 levels"),
])
def test_script_results_that_cannot_be_stored_end_in_an_incident_not_an_error(engine, source, kind):
    deploy_text(engine, "skript", models.after_task("skript", source))
    case_id = cases.start_case(engine, "skript")
    [task] = queries.get_case(engine, case_id)["open_tasks"]
    cases.complete_task(engine, task["id"], {})  # the synchronous path: no exception, no 500
    message = _only_incident(engine, case_id)["message"]
    assert "cannot be stored and were not kept" in message and kind in message
    assert queries.get_case(engine, case_id)["open_tasks"] == []  # the completion itself was kept


def test_an_operator_retry_continues_where_the_budget_stopped(make_engine):
    engine = make_engine(max_steps=100)
    deploy_text(engine, "zaehlen", models.counting_loop())
    case_id = cases.start_case(engine, "zaehlen", {"n": 0, "limit": 60}, internal=True)  # about 180 steps
    incident = _only_incident(engine, case_id)
    assert "more than 100 engine steps" in incident["message"]
    incidents.retry_incident(engine, incident["id"], "operator")
    case = queries.get_case(engine, case_id)
    assert case["status"] == "waiting" and case["data"]["n"] == 60 and case["incidents"] == []


def test_production_budget_ends_a_runaway_within_about_a_second(make_engine):
    engine = make_engine()
    deploy_text(engine, "gabel", models.fork_loop())
    case_id, took, cpu = _start_measured(engine, "gabel", None)
    message = _only_incident(engine, case_id)["message"]
    if "longer than 1 s of CPU time" in message:   # the budget: 1 s of the command's CPU time
        assert 0.9 < took and 0.9 < cpu < 2, (took, cpu)
    else:   # on a machine loaded more than five-fold the wall-time net of 5 s ends it first
        assert "longer than 5 s of wall time" in message and 4.9 < took and cpu < 1.1, (message, took, cpu)
    assert took < budget.WALL_FACTOR * 1.0 + 3   # at most the net, plus storing the incident on a loaded machine


def test_camunda_models_are_checked_the_same_way(engine):
    bpmn = '''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="cam" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:intermediateCatchEvent id="x"><bpmn:timerEventDefinition><bpmn:timeDuration>P999999999Y</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:userTask id="u" camunda:candidateGroups="a"><bpmn:multiInstanceLoopCharacteristics>
      <bpmn:loopCardinality>5000</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="x"/><bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="u"/>
    <bpmn:sequenceFlow id="f3" sourceRef="u" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>'''
    with pytest.raises(DeploymentError) as refused:
        deploy_text(engine, "cam", bpmn)
    assert {str(p) for p in refused.value.problems} >= {
        "cam.bpmn:6: x: timer duration 'P999999999Y' is longer than 200 years (limit AMTSFLOW_MAX_TIMER_YEARS)",
        "cam.bpmn:9: u: multi-instance activity with 5000 instances; at most 1000 are allowed "
        "(limit AMTSFLOW_MAX_INSTANCES)"}


def test_a_runaway_in_a_timer_job_ends_in_an_incident_and_the_job_is_done(make_engine, clock):
    from datetime import timedelta

    from engine.jobs import JobExecutor

    engine = make_engine(**FAST)
    deploy_text(engine, "nachts", models.fork_loop_after_timer())
    case_id = cases.start_case(engine, "nachts")
    clock.advance(timedelta(hours=2))
    started = time.monotonic()
    JobExecutor(engine, "w").run_until_idle()
    assert time.monotonic() - started < 5
    assert "AMTSFLOW_MAX_COMMAND_SECONDS" in _only_incident(engine, case_id)["message"]
    with engine.db.connect() as conn:  # the timer fired once: no job is left to run it again
        assert conn.execute(select(func.count()).select_from(t.jobs).where(t.jobs.c.kind == "timer")).scalar() == 0
