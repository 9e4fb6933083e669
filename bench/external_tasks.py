"""External tasks over /engine-rest: long-polling latency and exactly-once work by 4 workers.

The server is a real `amtsflow serve` process (waitress on SQLite, gunicorn with 2 processes on
PostgreSQL, no job worker); workers are plain HTTP clients doing what Camunda's external-task
clients do (fetchAndLock with asyncResponseTimeout, then complete).

1. Latency (SQLite and PostgreSQL): a worker waits in fetchAndLock; a case is started and its
   external task written; how long until the worker holds the task. "over HTTP": the case is
   started with POST /engine-rest/process-definition/key/.../start (the server process writes
   the task and rings its in-process bell); "other process" (PostgreSQL only): this bench
   process starts the case with its own engine, and only LISTEN/NOTIFY can wake the server.
   The time runs from just before the start request (or call) to the fetch's answer, so it
   includes the start's own commit. Target: <= 100 ms.
2. Throughput (PostgreSQL): 1,000 cases with an external task are written beforehand; 4 worker
   processes fetch (maxTasks 10, long polling) and complete them. Checked afterwards: every
   case completed, each task completed exactly once (one completion in each case's audit
   trail, no completion answered twice), and how many completions were refused because
   another worker held the task.

    python bench/external_tasks.py [--rounds N] [--tasks N] [--postgres URL]

PostgreSQL from --postgres or AMTSFLOW_TEST_POSTGRES_URL; it empties that database's tables.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from engine.bootstrap import Engine, bootstrap  # noqa: E402
from engine.persistence import tables as t  # noqa: E402
from engine.persistence.db import make_engine  # noqa: E402
from engine.persistence.migrate import upgrade  # noqa: E402
from engine.persistence.schema import metadata  # noqa: E402
from engine.services import cases, identity  # noqa: E402
from engine.services.deploy import deploy, read_paths  # noqa: E402
from engine.settings import Settings  # noqa: E402

MODEL = ROOT / "tests" / "engine_rest" / "models" / "pruefung-extern.bpmn"
KEY = "pruefung-extern"
# The 1 s budget of a command is not what is measured here; on a loaded machine it would turn
# slow commands into incidents (as the tests' budget does, see tests/conftest.py).
COMMAND_SECONDS = 10.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(url: str) -> tuple[Engine, str]:
    db = make_engine(url)
    upgrade(db)
    if db.dialect.name == "postgresql":
        with db.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{tb.name}"' for tb in metadata.sorted_tables
                                                   if tb.name != "tenants") + " CASCADE"))
    engine = bootstrap(Settings(database_url=url, max_command_seconds=COMMAND_SECONDS), db=db)
    deploy(engine, read_paths([str(MODEL)]))
    identity.create_user(engine, "worker", "Fachverfahren", roles=["clerk"])
    _, token = identity.create_api_token(engine, "worker", "bench")
    return engine, token


class Server:
    def __init__(self, url: str, processes: int) -> None:
        self.port = _free_port()
        env = {**os.environ, "AMTSFLOW_DATABASE_URL": url, "AMTSFLOW_SECRET_KEY": "bench-external-tasks-" + "x" * 32,
               "AMTSFLOW_EMBEDDED_WORKER": "0", "AMTSFLOW_MAX_COMMAND_SECONDS": str(COMMAND_SECONDS)}
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "amtsflow"), "serve", "--port", str(self.port),
             "--processes", str(processes), "--threads", "8"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}/engine-rest"
        for _ in range(200):
            try:
                requests.get(self.base + "/version", timeout=10)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("amtsflow serve did not come up")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _fetch_body(worker: str, timeout_ms: int, max_tasks: int = 1) -> dict[str, Any]:
    return {"workerId": worker, "maxTasks": max_tasks, "asyncResponseTimeout": timeout_ms,
            "topics": [{"topicName": "pruefen", "lockDuration": 60000}]}


def _pct(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def latency(server: Server, token: str, rounds: int, engine: Engine | None) -> tuple[list[float], list[float]]:
    """Milliseconds from the start of a case to a waiting worker holding its task, and from the
    moment the start returned (its commit done) to that (negative: the worker had it first)."""
    headers = {"Authorization": f"Bearer {token}"}
    session, starter = requests.Session(), requests.Session()
    results: list[float] = []
    after_start: list[float] = []
    for i in range(rounds + 1):                 # round 0 warms the server up and is not counted
        got: dict[str, float] = {}

        def wait() -> None:
            answer = session.post(server.base + "/external-task/fetchAndLock", json=_fetch_body("lat", 20000),
                                  headers=headers, timeout=30).json()
            got["at"] = time.perf_counter()
            got["n"] = len(answer)
            for task in answer:
                session.post(f"{server.base}/external-task/{task['id']}/complete", json={"workerId": "lat"},
                             headers=headers, timeout=30)

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.3)                         # the worker is waiting inside fetchAndLock now
        began = time.perf_counter()
        if engine is None:
            starter.post(f"{server.base}/process-definition/key/{KEY}/start", headers=headers, timeout=30,
                         json={"variables": {"antragsteller": {"value": f"L{i}"}, "betrag": {"value": i}}})
        else:
            cases.start_case(engine, KEY, {"antragsteller": f"L{i}", "betrag": i}, internal=True)
        returned = time.perf_counter()
        waiter.join(timeout=30)
        if got.get("n") == 1 and i > 0:
            results.append((got["at"] - began) * 1000)
            after_start.append((got["at"] - returned) * 1000)
    return results, after_start


def _work(base: str, token: str, name: str, done: Any, refused: Any) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    session = requests.Session()
    empty = 0
    while empty < 2:
        tasks = session.post(base + "/external-task/fetchAndLock", json=_fetch_body(name, 1000, 10),
                             headers=headers, timeout=30).json()
        empty = 0 if tasks else empty + 1
        for task in tasks:
            answer = session.post(f"{base}/external-task/{task['id']}/complete", headers=headers, timeout=30,
                                  json={"workerId": name, "variables": {"bearbeitet_von": {"value": name}}})
            if answer.status_code == 204:
                done.put(task["id"])
            else:
                refused.put((task["id"], answer.status_code))


def throughput(url: str, tasks: int, workers: int) -> None:
    engine, token = _prepare(url)
    for i in range(tasks):
        cases.start_case(engine, KEY, {"antragsteller": f"T{i}", "betrag": i}, internal=True)
    server = Server(url, processes=2)
    try:
        done: Any = multiprocessing.Queue()
        refused: Any = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=_work, args=(server.base, token, f"w{n}", done, refused))
                 for n in range(workers)]
        began = time.perf_counter()
        for p in procs:
            p.start()
        completed: list[str] = []
        while len(completed) < tasks and any(p.is_alive() for p in procs):
            try:
                completed.append(done.get(timeout=1))
            except Exception:  # noqa: BLE001 - queue.Empty: look again
                pass
        elapsed = time.perf_counter() - began
        for p in procs:
            p.join(timeout=30)
        while not done.empty():
            completed.append(done.get())
        conflicts = []
        while not refused.empty():
            conflicts.append(refused.get())
    finally:
        server.stop()
    with engine.db.connect() as conn:
        finished = conn.execute(select(func.count()).select_from(t.cases).where(t.cases.c.status == "completed")).scalar()
        per_case = conn.execute(select(t.audit_events.c.case_id, func.count())
                                .where(t.audit_events.c.action == "external_task_completed")
                                .group_by(t.audit_events.c.case_id)).all()
        left = conn.execute(select(func.count()).select_from(t.jobs).where(t.jobs.c.kind == "external")).scalar()
        failed = conn.execute(select(t.cases.c.error).where(t.cases.c.status != "completed")).scalars().all()
    twice = [row for row in per_case if row[1] != 1]
    print(f"throughput, PostgreSQL, {workers} workers: {tasks} external tasks in {elapsed:.1f} s = "
          f"{len(completed) / elapsed:.0f} tasks/s")
    print(f"  completions answered 204: {len(completed)} (distinct tasks {len(set(completed))}); refused: "
          f"{len(conflicts)}; cases completed: {finished}/{tasks}; cases with other than one completion: "
          f"{len(twice)}; external jobs left: {left}")
    for error in failed:
        print(f"  not completed: {error}")
    print("  exactly once: " + ("yes" if len(completed) == len(set(completed)) == finished == tasks and not twice
                                and left == 0 else "NO"))
    engine.db.dispose()


def _report(label: str, measured: tuple[list[float], list[float]], rounds: int) -> None:
    values, after_start = measured
    if not values:
        print(f"latency, {label}: no task arrived")
        return
    print(f"latency, {label}: {len(values)}/{rounds} rounds; from the start: p50 {statistics.median(values):.1f} ms, "
          f"p95 {_pct(values, 95):.1f} ms, max {max(values):.1f} ms (target <= 100 ms); after the start returned: "
          f"p50 {statistics.median(after_start):.1f} ms, p95 {_pct(after_start, 95):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--postgres", default=os.environ.get("AMTSFLOW_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite"
        engine, token = _prepare(url)
        engine.db.dispose()
        server = Server(url, processes=1)
        try:
            _report("SQLite, started over HTTP", latency(server, token, args.rounds, None), args.rounds)
        finally:
            server.stop()
    if not args.postgres:
        print("PostgreSQL parts skipped: pass --postgres URL or set AMTSFLOW_TEST_POSTGRES_URL")
        return
    engine, token = _prepare(args.postgres)
    server = Server(args.postgres, processes=2)
    try:
        _report("PostgreSQL, started over HTTP", latency(server, token, args.rounds, None), args.rounds)
        _report("PostgreSQL, started by another process (NOTIFY)", latency(server, token, args.rounds, engine),
                args.rounds)
    finally:
        server.stop()
        engine.db.dispose()
    throughput(args.postgres, args.tasks, args.workers)


if __name__ == "__main__":
    from engine.tenancy import DEFAULT_TENANT, enter

    enter(DEFAULT_TENANT)   # a bench acts for the default tenant (issue 17)
    main()
