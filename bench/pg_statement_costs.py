"""What each statement of the web + worker set-up costs the PostgreSQL backend that runs it.

    python bench/pg_statement_costs.py --postgres URL [--cases N] [--clients C] [--explain] [--capture FILE]

Runs bench/topology_breakdown.py's set-up (web process with its clients, a separate worker
process; the database is truncated: give a database of your own) and reads, around every
statement, round trip and commit each process sends, the CPU time of the PostgreSQL backend
serving it (``/proc/<backend pid>/schedstat``: nanoseconds on a CPU; PostgreSQL on this machine).
Prints per process and statement (SQL shape): calls per case, backend CPU microseconds per call
and per case; then what no statement accounts for (backends working between statements:
LISTEN connections woken by NOTIFY, the end of a statement after its result was sent; negative
when a pooled connection closed during the run). A statement's time includes its parse/plan
(unless prepared), execution, index upkeep, WAL insertion and, for a COMMIT, the WAL flush (its
fdatasync in the kernel). ``--explain`` runs EXPLAIN (ANALYZE, BUFFERS) on the last statement
of each shape afterwards, each in a transaction rolled back; ``--capture`` pickles them.
The tables are analysed after the warm-up as in bench/engine.py (``--no-analyze``: not).
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import os
import re
import sys
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location("topology_breakdown", ROOT / "bench" / "topology_breakdown.py")
assert _spec is not None and _spec.loader is not None
breakdown = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(breakdown)
bench = breakdown.bench

COSTS: dict[str, list[int]] = defaultdict(lambda: [0, 0])   # shape -> [calls, backend ns]
LAST: dict[str, tuple[str, Any]] = {}   # shape -> the last (SQL, parameters) sent (--explain)
_LOCK = threading.Lock()


def _ns(pid: int) -> int:
    with open(f"/proc/{pid}/schedstat") as stat:
        return int(stat.read().split()[0])


def _shape(sql: str) -> str:
    text = re.sub(r"\s+", " ", sql.strip())
    text = re.sub(r"'[^']*'", "?", text)
    text = re.sub(r"\$\d+|%\(\w+\)s|%s", "?", text)
    return text[:150]


def _add(shape: str, ns: int) -> None:
    with _LOCK:
        entry = COSTS[shape]
        entry[0] += 1
        entry[1] += ns


def instrument() -> None:
    import psycopg
    from psycopg.pq import TransactionStatus

    from engine.persistence import fast

    execute, commit, rollback = psycopg.Cursor.execute, psycopg.Connection.commit, psycopg.Connection.rollback

    def timed_execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        conn = self.connection
        text = query if isinstance(query, str) else getattr(query, "as_string", lambda _c: str(query))(None)
        shape = _shape(text)
        if conn._pipeline is None and not conn.autocommit and conn.pgconn.transaction_status == TransactionStatus.IDLE:
            shape = "[BEGIN] " + shape
        if isinstance(query, str):
            LAST[_shape(text)] = (query, args[0] if args else None)
        pid = conn.info.backend_pid
        before = _ns(pid)
        try:
            return execute(self, query, *args, **kwargs)
        finally:
            _add(shape, _ns(pid) - before)

    def ending(method: Any, name: str) -> Any:
        def ended(self: Any) -> Any:
            if self.pgconn.transaction_status == TransactionStatus.IDLE:
                return method(self)
            pid = self.info.backend_pid
            before = _ns(pid)
            try:
                return method(self)
            finally:
                _add(name, _ns(pid) - before)
        return ended

    libpq_pipeline = fast._libpq_pipeline

    def pipelined(driver: Any, pending: Any, commit: bool) -> None:
        parts = []
        if not driver.autocommit and driver.pgconn.transaction_status == TransactionStatus.IDLE:
            parts.append("BEGIN")
        parts += [_shape(sql)[:70] for sql, _args, _receive in pending]
        for sql, sent, _receive in pending:
            LAST[_shape(sql)] = (sql, sent)
        if commit:
            parts.append("COMMIT")
        pid = driver.info.backend_pid
        before = _ns(pid)
        try:
            libpq_pipeline(driver, pending, commit)
        finally:
            _add("PIPELINE " + " | ".join(parts), _ns(pid) - before)

    fast._libpq_pipeline = pipelined
    psycopg.Cursor.execute = timed_execute  # type: ignore[method-assign]
    psycopg.Connection.commit = ending(commit, "COMMIT")  # type: ignore[method-assign]
    psycopg.Connection.rollback = ending(rollback, "ROLLBACK")  # type: ignore[method-assign]


def _snapshot() -> dict[str, list[int]]:
    with _LOCK:
        return {k: list(v) for k, v in COSTS.items()}


def _worker_process(url: str, ready: Any, stop: Any, pipe: Any) -> None:
    instrument()

    def answer() -> None:
        while (asked := pipe.recv()) in ("costs", "last"):
            pipe.send(_snapshot() if asked == "costs" else dict(LAST))

    threading.Thread(target=answer, daemon=True).start()
    bench._worker_process(url, ready, stop)


class Measured(breakdown.Measured):  # type: ignore[misc, name-defined]
    def __init__(self, url: str) -> None:
        from engine.bootstrap import bootstrap
        from engine.persistence.migrate import upgrade
        from engine.services.deploy import deploy, read_paths
        from engine.settings import Settings
        from tests.conftest import truncate_all

        self.web = bootstrap(Settings(database_url=url, embedded_worker=False),
                             connectors={"register": bench.NoopConnector()})
        upgrade(self.web.db)
        truncate_all(self.web.db)
        deploy(self.web, read_paths([str(p) for p in bench.ANTRAG]))
        ctx = multiprocessing.get_context("spawn")
        self.stop, ready = ctx.Event(), ctx.Event()
        self.pipe, theirs = ctx.Pipe()
        self.process = ctx.Process(target=_worker_process, args=(url, ready, self.stop, theirs))
        self.process.start()
        if not ready.wait(120):
            raise RuntimeError("worker process did not start")

    def worker_last(self) -> dict[str, tuple[str, Any]]:
        self.pipe.send("last")
        return dict(self.pipe.recv())

    def worker_costs(self) -> dict[str, list[int]]:
        self.pipe.send("costs")
        return dict(self.pipe.recv())


def _minus(after: dict[str, list[int]], before: dict[str, list[int]]) -> dict[str, list[int]]:
    return {k: [v[0] - before.get(k, [0, 0])[0], v[1] - before.get(k, [0, 0])[1]] for k, v in after.items()
            if v[0] - before.get(k, [0, 0])[0] > 0}


def explain(url: str, statements: dict[str, tuple[str, Any]]) -> None:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        for shape, (sql, params) in sorted(statements.items()):
            words = sql.split(None, 1)
            if not words or ";" in sql or "pg_stat_activity" in sql or words[0].upper() not in (
                    "SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
                continue
            print(f"\n=== {shape}")
            try:
                for (line,) in conn.execute("EXPLAIN (ANALYZE, BUFFERS, VERBOSE false) " + sql, params).fetchall():
                    print("   ", line)
            except psycopg.Error as error:
                print(f"    ({type(error).__name__}: {str(error).splitlines()[0]})")
            conn.rollback()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("AMTSFLOW_TEST_POSTGRES_URL"))
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--width", type=int, default=150)
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN (ANALYZE, BUFFERS) the last statement of each shape (each rolled back)")
    parser.add_argument("--no-analyze", action="store_true", help="no ANALYZE after the warm-up (bench/engine.py)")
    parser.add_argument("--capture", help="pickle the last statement of each shape (SQL, parameters) to this file")
    args = parser.parse_args()
    instrument()
    topology = Measured(args.postgres)
    topology.cases_per_second(40, args.clients)   # warm-up
    if not args.no_analyze:   # as bench/engine.py's analyze()
        with topology.web.db.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    backends = breakdown._backends(topology.web)
    postmaster = breakdown._parent(backends[0])
    reaped_before = breakdown._cpu_seconds(postmaster, breakdown.REAPED), 0.0
    ns_before = {pid: _ns(pid) for pid in backends}
    web_before, worker_before = _snapshot(), topology.worker_costs()
    rate = topology.cases_per_second(args.cases, args.clients, check=False)   # checked below, outside
    listed = breakdown._backends(topology.web)
    # a backend no longer listed may still be ending (read it); one that is gone was reaped
    after = listed + [pid for pid in backends if pid not in listed and os.path.exists(f"/proc/{pid}")]
    ns_after = {pid: _ns(pid) for pid in after}
    gone = {pid: (ns_before[pid] / 1e9, 0.0) for pid in backends if pid not in after}
    ended_ns = int(breakdown._ended_cpu(postmaster, reaped_before, gone)[0] * 1e9)
    web, worker = _minus(_snapshot(), web_before), _minus(topology.worker_costs(), worker_before)
    from sqlalchemy import text
    with topology.web.db.connect() as conn:
        queries = {r[0]: r[1] for r in conn.execute(text("SELECT pid, left(query, 60) FROM pg_stat_activity"))}
    statements = {**LAST, **topology.worker_last()} if args.explain or args.capture else {}
    if args.capture:
        import pickle
        with open(args.capture, "wb") as out:
            pickle.dump(statements, out)
        statements = statements if args.explain else {}
    topology.check_completed()
    topology.close()
    if statements:
        explain(args.postgres, statements)
    n = args.cases
    load = os.getloadavg()
    total = sum(ns_after[pid] - ns_before.get(pid, 0) for pid in after) + ended_ns
    print(f"{n} cases, {args.clients} clients: {rate:.1f} cases/s; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"PostgreSQL backends: {total / n / 1000:.0f} us per case in all ({ended_ns / n / 1000:.0f} of it from "
          "backends that ended during the run)")
    attributed = 0
    for label, costs in (("web", web), ("worker", worker)):
        in_all = sum(v[1] for v in costs.values())
        attributed += in_all
        print(f"\n{label}: {in_all / n / 1000:.0f} us of backend CPU per case in its statements")
        print(f"{'calls/case':>10} {'us/call':>8} {'us/case':>8}  statement")
        for shape, (calls, ns) in sorted(costs.items(), key=lambda kv: -kv[1][1]):
            print(f"{calls / n:10.2f} {ns / calls / 1000:8.1f} {ns / n / 1000:8.1f}  {shape[:args.width]}")
    print(f"\nnot in any statement: {(total - attributed) / n / 1000:.0f} us per case; per backend (us per case):")
    for pid in after:
        print(f"  {pid:>7} {(ns_after[pid] - ns_before.get(pid, 0)) / n / 1000:8.1f}  {queries.get(pid)!r}")


if __name__ == "__main__":
    from engine.tenancy import DEFAULT_TENANT, enter

    enter(DEFAULT_TENANT)
    main()
