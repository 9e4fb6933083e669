"""Engine benchmark: cases/s through the engine vs raw SpiffWorkflow in memory, side by side,
and the cost of one step at history length 10 vs 1,000.

    python bench/engine.py [--cases N] [--postgres URL]

PostgreSQL runs when --postgres or AMTSFLOW_TEST_POSTGRES_URL is given. Targets (issue 2):
engine/raw >= 0.25 on SQLite; step cost at history 1,000 <= 3x the cost at history 10.

Which figure is which:
- "SQLite": one process as the embedded default runs (worker thread in the web process, jobs
  handed to it after commit, case cache on, synchronous=FULL: every commit synced to disk);
- "SQLite, sync NORMAL": the same with AMTSFLOW_SQLITE_SYNCHRONOUS=NORMAL (the cost of FULL);
- "SQLite, polling": the same without the hand-over (every service job is acquired by polling);
- "PostgreSQL": one process with the hand-over, on PostgreSQL;
- "PostgreSQL, web + worker": the documented deployment of a regional provider (issue 13): this
  process plays the web process (case cache as configured in production, no worker) with
  --clients concurrent clients (each in a thread that keeps its database connection, as the
  request threads of `amtsflow serve` do), each starting a case, waiting until its task reaches the inbox
  (task_wait.wait_for_tasks, as GET /api/v1/cases/{id}/tasks?wait=N does: woken by the worker's
  NOTIFY) and completing it; a separate `amtsflow worker` process (engine.jobs.WorkerThread with its
  production defaults: 4 executor threads on PostgreSQL, woken by PostgreSQL NOTIFY) runs the
  service jobs. Target >= 0.2.
- "web + worker over HTTP": the same deployment as its users run it (bench/http_topology.py):
  `amtsflow serve` (gunicorn, 8 request threads) and `amtsflow worker` as separate processes on a
  PostgreSQL database of their own, the clients (an API token each) over HTTP with
  POST /api/v1/cases, GET /api/v1/cases/{id}/tasks?wait=30 and POST /api/v1/tasks/{id}/complete.
  The difference to the line above is the HTTP layer: WSGI server, Flask, token authentication,
  JSON. ``--no-http`` leaves it out.

On a shared machine compare changes to that set-up by CPU time and round trips per case, per
process: bench/topology_breakdown.py runs the same set-up and prints them.

On PostgreSQL the tables are emptied first and, after the warm-up, analysed (``ANALYZE``), as a
production server's autovacuum analyses a table once enough of its rows changed: the shared
server of this project runs with autovacuum off, and without statistics the planner reads
several per-case statements' rows through whichever index is smallest (a work item by id
through the tenant's assignee index, the business-key check through every case of the
process), so their cost grew with every case of the run. ``--no-analyze`` measures that state.
"""

from __future__ import annotations

import argparse
import multiprocessing
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment  # noqa: E402
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from bench.latency import run_clients  # noqa: E402
from engine.bootstrap import Engine, bootstrap  # noqa: E402
from engine.jobs import JobExecutor, WorkerThread  # noqa: E402
from engine.persistence.db import make_engine  # noqa: E402
from engine.persistence.migrate import upgrade  # noqa: E402
from engine.runtime import spiff_seam  # noqa: E402
from engine.ports import OperationSpec, ServiceRequest, ServiceResult  # noqa: E402
from engine.services import cases, queries, task_wait  # noqa: E402
from engine.services.deploy import deploy, read_paths  # noqa: E402
from engine.settings import Settings  # noqa: E402

MODELS = ROOT / "tests" / "models"
ANTRAG = [MODELS / n for n in ("antrag.bpmn", "antrag-start.schema.json", "pruefung.schema.json")]


class NoopConnector:
    name = "register"

    def operations(self) -> Mapping[str, OperationSpec]:
        return {"lookup": OperationSpec()}

    def call(self, operation: str, request: ServiceRequest) -> ServiceResult:
        return ServiceResult({"found": True})


class RawServiceEnvironment(TaskDataEnvironment):
    def call_service(self, context: Any, **kwargs: Any) -> str:
        return json.dumps({"found": True})


HTTP_LABEL = "web + worker over HTTP"


def raw_cases_per_second(n: int) -> float:
    """Raw SpiffWorkflow as shipped: with its own log extras, which the engine builds only when
    a record can be logged (engine.runtime.spiff_seam.lazy_log_extras, installed in this process
    by the engine)."""
    with spiff_seam.library_log_extras():
        return _raw_cases_per_second(n)


def _raw_cases_per_second(n: int) -> float:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(ANTRAG[0]))
    spec = parser.get_spec("antrag")
    engine = PythonScriptEngine(environment=RawServiceEnvironment())
    started = time.perf_counter()
    for i in range(n):
        wf = BpmnWorkflow(spec, script_engine=engine)
        wf.get_next_task(state=TaskState.READY).data.update({"name": f"P{i}", "anzahl": 2})
        wf.do_engine_steps()
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        task.data.update({"entscheidung": "genehmigt"})
        task.run()
        wf.do_engine_steps()
        assert wf.completed
    return n / (time.perf_counter() - started)


def make(url: str, synchronous: str = "FULL") -> Engine:
    settings = Settings(database_url=url, sqlite_synchronous=synchronous)
    db = make_engine(url, synchronous=synchronous)
    upgrade(db)
    return bootstrap(settings, connectors={"register": NoopConnector()}, db=db)


def analyze(db: Any) -> None:
    """PostgreSQL: gather the planner's statistics now, as autovacuum's autoanalyze would (see
    the module's docstring); elsewhere nothing."""
    if db.dialect.name != "postgresql":
        return
    with db.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


def engine_cases_per_second(engine: Engine, n: int, *, local_worker: bool = True) -> float:
    """Cases/s through the engine. ``local_worker``: as the embedded worker of the SQLite default
    (and every `amtsflow worker`) runs, service jobs created here are handed to this process's
    executor after commit; without it, every service job waits to be acquired by polling."""
    deploy(engine, read_paths([str(p) for p in ANTRAG]))  # a new version only the first time
    worker = JobExecutor(engine, "bench")
    if local_worker:
        worker.take_local_jobs()
    try:
        started = time.perf_counter()
        for i in range(n):
            case_id = cases.start_case(engine, "antrag", {"name": f"P{i}", "anzahl": 2}, actor="bench")
            worker.run_due()
            [task] = queries.list_tasks(engine, case_id=case_id)
            cases.complete_task(engine, task["id"], {"entscheidung": "genehmigt"}, actor="sb1")
        elapsed = time.perf_counter() - started
    finally:
        worker.release_local_jobs()
    assert queries.get_case(engine, case_id)["status"] == "completed"
    return n / elapsed


def _worker_process(url: str, ready: Any, stop: Any) -> None:
    engine = bootstrap(Settings(database_url=url), connectors={"register": NoopConnector()})
    worker = WorkerThread(engine)        # what `amtsflow worker` runs, with its defaults
    worker.start()
    ready.set()
    stop.wait()
    worker.stop()
    worker.join(timeout=30)
    engine.db.dispose()


class Topology:
    """A separate worker process beside this (web) process, both on one PostgreSQL database."""

    def __init__(self, url: str) -> None:
        self.web = bootstrap(Settings(database_url=url, embedded_worker=False), connectors={"register": NoopConnector()})
        upgrade(self.web.db)
        from tests.conftest import truncate_all
        truncate_all(self.web.db)
        deploy(self.web, read_paths([str(p) for p in ANTRAG]))
        ctx = multiprocessing.get_context("spawn")
        self.stop, ready = ctx.Event(), ctx.Event()
        self.process = ctx.Process(target=_worker_process, args=(url, ready, self.stop))
        self.process.start()
        if not ready.wait(120):
            raise RuntimeError("worker process did not start")

    def cases_per_second(self, n: int, clients: int, *, check: bool = True) -> float:
        """``check=False``: the completion check (after the clock stops) waits for
        :meth:`check_completed`, for a caller that measures CPU time around this call."""
        started: list[str] = []

        def client(count: int, offset: int) -> None:
            self.web.keep_connection()   # as a request thread of `amtsflow serve` does
            for i in range(count):
                case_id = cases.start_case(self.web, "antrag", {"name": f"P{offset + i}", "anzahl": 2}, actor="bench")
                started.append(case_id)
                # as a client of the API waits (GET /api/v1/cases/{id}/tasks?wait=30): woken by
                # the worker's NOTIFY, not by asking again
                if not (tasks := task_wait.wait_for_tasks(self.web, case_id, 30)):
                    raise RuntimeError(f"case {case_id}: the worker never ran its service job")
                cases.complete_task(self.web, tasks[0]["id"], {"entscheidung": "genehmigt"}, actor="sb1")

        # each client thread in this thread's tenant scope (a new thread starts without one)
        rate = n / run_clients(n, clients, lambda _k, count, offset: client(count, offset))
        # checked after the clock stopped, as over HTTP: the clients' three commands and their
        # task-list read are what a case costs, not a fourth read that only checks the benchmark
        self._unchecked = (n, started)
        if check:
            self.check_completed()
        return rate

    def check_completed(self) -> None:
        n, started = self._unchecked
        unfinished = [c for c in started if queries.get_case(self.web, c, with_history=False)["status"] != "completed"]
        if len(started) != n or unfinished:
            raise RuntimeError(f"{len(started)} of {n} cases started, not completed: {unfinished[:5]}")

    def close(self) -> None:
        self.stop.set()
        self.process.join(timeout=60)
        self.web.db.dispose()


def step_cost(engine: Engine, history: int, samples: int = 30) -> float:
    """Median seconds of one complete_task in a case that has run ``history`` steps."""
    deploy(engine, read_paths([str(MODELS / "steploop.bpmn")]))
    case_id = cases.start_case(engine, "steploop", {"n": 0, "limit": history + samples + 10}, internal=True)
    for _ in range(history):
        [task] = queries.list_tasks(engine, case_id=case_id)
        cases.complete_task(engine, task["id"], {}, actor="sb1")
    timings = []
    for _ in range(samples):
        [task] = queries.list_tasks(engine, case_id=case_id)
        started = time.perf_counter()
        cases.complete_task(engine, task["id"], {}, actor="sb1")
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200, help="cases per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("AMTSFLOW_TEST_POSTGRES_URL"))
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients of the web process (topology)")
    parser.add_argument("--no-http", action="store_true",
                        help="PostgreSQL: leave out the set-up over HTTP (bench/http_topology.py)")
    parser.add_argument("--no-analyze", action="store_true",
                        help="PostgreSQL: measure without planner statistics (no ANALYZE after the warm-up)")
    args = parser.parse_args()
    print(f"{args.rounds} rounds of {args.cases} cases; in each round raw SpiffWorkflow and the engine run back to "
          "back.\nOn a shared machine other load only ever slows a round down, so the best round of each side is\n"
          "the closest to what the code costs (as timeit's documentation argues); the median of the per-round\n"
          "ratios is printed beside it.")
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", f"sqlite:///{tmp}/bench.sqlite", True),
                   ("SQLite, sync NORMAL", f"sqlite:///{tmp}/bench-normal.sqlite", True),
                   ("SQLite, polling", f"sqlite:///{tmp}/bench-polling.sqlite", False)]
        if args.postgres:
            targets.append(("PostgreSQL", args.postgres, True))
        engines = {}
        for label, url, _local in targets:
            engines[label] = make(url, "NORMAL" if "NORMAL" in label else "FULL")
            if label == "PostgreSQL":
                from tests.conftest import truncate_all
                truncate_all(engines[label].db)
            engine_cases_per_second(engines[label], 20, local_worker=_local)  # warm-up: parse, caches, pool
        raw_cases_per_second(20)
        topology = Topology(args.postgres) if args.postgres else None
        over_http = None
        if args.postgres and not args.no_http:
            from bench.http_topology import HttpTopology

            over_http = HttpTopology(args.postgres, clients=args.clients)
        labels = [label for label, _url, _local in targets] + (["PostgreSQL, web + worker"] if topology else []) \
            + ([HTTP_LABEL] if over_http else [])
        if topology:
            topology.cases_per_second(20, args.clients)  # warm-up
        if over_http:
            over_http.cases_per_second(40, args.clients)  # warm-up
            over_http.analyze()
        if args.postgres and not args.no_analyze:
            analyze(engines["PostgreSQL"].db)   # the topology's database too: the same one
        rates: dict[str, list[float]] = {label: [] for label in labels}
        ratios: dict[str, list[float]] = {label: [] for label in labels}
        raws: list[float] = []
        for _round in range(args.rounds):
            raw = raw_cases_per_second(args.cases)
            raws.append(raw)
            for label, _url, local in targets:
                rate = engine_cases_per_second(engines[label], args.cases, local_worker=local)
                rates[label].append(rate)
                ratios[label].append(rate / raw)
            if topology:
                rate = topology.cases_per_second(args.cases, args.clients)
                rates["PostgreSQL, web + worker"].append(rate)
                ratios["PostgreSQL, web + worker"].append(rate / raw)
            if over_http:
                rate = over_http.cases_per_second(args.cases, args.clients)
                rates[HTTP_LABEL].append(rate)
                ratios[HTTP_LABEL].append(rate / raw)
        if topology:
            topology.close()
        if over_http:
            over_http.close()
        print(f"raw SpiffWorkflow, in memory        median {statistics.median(raws):7.1f} cases/s"
              f"   best {max(raws):7.1f}")
        for label in labels:
            target = {"SQLite": "   (target >= 0.25)", "PostgreSQL, web + worker": "   (target >= 0.2)",
                      HTTP_LABEL: "   (target >= 0.2)"}.get(label, "")
            print(f"engine on {label:<26} median {statistics.median(rates[label]):7.1f} cases/s"
                  f"   best {max(rates[label]):7.1f}   ratio engine/raw: best/best {max(rates[label]) / max(raws):5.2f}"
                  f", median of rounds {statistics.median(ratios[label]):4.2f}"
                  f" ({min(ratios[label]):.2f}-{max(ratios[label]):.2f}){target}")
        for label, _url, _local in targets:
            if label in ("SQLite, polling", "SQLite, sync NORMAL"):
                continue
            engine = engines[label]
            short = step_cost(engine, 10)
            long = step_cost(engine, 1000)
            print(f"one step on {label:<10} history 10: {short * 1000:6.2f} ms   history 1,000: {long * 1000:6.2f} ms"
                  f"   ratio {long / short:4.2f} (target <= 3)")
        for engine in engines.values():
            engine.db.dispose()


if __name__ == "__main__":
    from engine.tenancy import DEFAULT_TENANT, enter

    enter(DEFAULT_TENANT)   # a bench acts for the default tenant (issue 17)
    main()
