"""Where the CPU time and the database round trips of the web + worker set-up go
(bench/engine.py's "PostgreSQL, web + worker"), per case and per process.

    python bench/topology_breakdown.py [--postgres URL] [--cases N] [--clients C] [--pause]

Runs bench/engine.py's topology (this process as the web process with its clients, a separate
`amtsflow worker` process) and prints per case: the CPU milliseconds of the web process, of the
worker process and of the PostgreSQL backends serving both (read from /proc: PostgreSQL on this
machine), and what each process sent: statements (by kind) and round trips (counted on psycopg's
methods, see count_statements). CPU time and counts per case do
not grow with other load on the machine the way wall-clock time does: compare changes by them.
It also prints the context switches per case of the web process, the worker process and the
backends (from /proc/<pid>/task/*/status: voluntary ones are waits, for a socket, a lock or the
GIL; involuntary ones are preemptions), which the kernel share of the CPU time follows.
``--pause`` waits for Enter before the measured run (to attach py-spy to both processes);
``--no-count`` leaves psycopg as it is (counting costs some CPU itself: take CPU figures from
such a run). ``--all-channels``: the web process also subscribes to ``amtsflow_jobs`` and
``amtsflow_accounts``, as one does that served a fetchAndLock long poll and a request with an
API token besides the task waits (engine/persistence/notify.py: one listener connection).
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
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location("bench_engine", ROOT / "bench" / "engine.py")
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

COUNTS: Counter[str] = Counter()


def _kind(sql: str) -> str:
    """"SELECT work_items", "INSERT jobs", "COMMIT": the verb and the first table named."""
    words = re.sub(r"\s+", " ", sql.strip()).split(" ")
    upper = [w.upper() for w in words]
    if upper[0] == "UPDATE" and len(words) > 1:
        return f"UPDATE {words[1]}"
    for marker in ("FROM", "INTO"):
        if marker in upper[1:]:
            return f"{upper[0]} {words[upper.index(marker, 1) + 1]}"
    return upper[0]


def count_statements() -> None:
    """Count every statement psycopg sends (by verb and table) and the round trips: a statement
    outside a pipeline, the BEGIN psycopg sends before a transaction's first statement outside
    a pipeline, a pipeline's end, a COMMIT or ROLLBACK of an open transaction; and those of
    FastStatement's own libpq pipelines (engine/persistence/fast.py: one round trip each)."""
    import psycopg
    from psycopg.pq import TransactionStatus

    execute, commit, rollback = psycopg.Cursor.execute, psycopg.Connection.commit, psycopg.Connection.rollback
    pipeline_exit = psycopg.Pipeline.__exit__

    def counted(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        text = query if isinstance(query, str) else getattr(query, "as_string", lambda _c: str(query))(None)
        COUNTS[_kind(text)] += 1
        conn = self.connection
        if conn._pipeline is None:
            COUNTS["~round trips"] += 1
            if not conn.autocommit and conn.pgconn.transaction_status == TransactionStatus.IDLE:
                COUNTS["~round trips"] += 1
                COUNTS["BEGIN"] += 1
        elif not conn.autocommit and conn.pgconn.transaction_status == TransactionStatus.IDLE:
            COUNTS["BEGIN"] += 1
        return execute(self, query, *args, **kwargs)

    def ending(method: Any, name: str) -> Any:
        def ended(self: Any) -> Any:
            if self.pgconn.transaction_status != TransactionStatus.IDLE:
                COUNTS["~round trips"] += 1
                COUNTS[name] += 1
            return method(self)
        return ended

    def exiting(self: Any, *args: Any) -> Any:
        COUNTS["~round trips"] += 1
        return pipeline_exit(self, *args)

    from engine.persistence import fast

    libpq_pipeline = fast._libpq_pipeline

    def pipelined(driver: Any, pending: Any, commit: bool) -> None:   # FastStatement's own pipelines
        if not driver.autocommit and driver.pgconn.transaction_status == TransactionStatus.IDLE:
            COUNTS["BEGIN"] += 1
        for sql, _args, _receive in pending:
            COUNTS[_kind(sql)] += 1
        if commit:
            COUNTS["COMMIT"] += 1
        COUNTS["~round trips"] += 1
        libpq_pipeline(driver, pending, commit)

    fast._libpq_pipeline = pipelined
    psycopg.Cursor.execute = counted  # type: ignore[method-assign]
    psycopg.Connection.commit = ending(commit, "COMMIT")  # type: ignore[method-assign]
    psycopg.Connection.rollback = ending(rollback, "ROLLBACK")  # type: ignore[method-assign]
    psycopg.Pipeline.__exit__ = exiting  # type: ignore[method-assign]


def _snapshot() -> dict[str, int]:
    return dict(COUNTS)


def _worker_process(url: str, ready: Any, stop: Any, pipe: Any, count: bool) -> None:
    if count:
        count_statements()

    def answer() -> None:
        while pipe.recv() == "counts":
            pipe.send(_snapshot())

    threading.Thread(target=answer, daemon=True).start()
    bench._worker_process(url, ready, stop)


def _cpu_seconds(pid: int, which: slice = slice(11, 13)) -> float:
    """utime + stime of a process (all its threads), from /proc (``which``: slice(12, 13) for
    the kernel's share alone)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[which]) / os.sysconf("SC_CLK_TCK")


KERNEL = slice(12, 13)
# cutime + cstime: the CPU of the children a process has waited for. A backend that ends during
# the run (a client thread's pooled connection closed as the pool's overflow when the thread
# ended) is no longer listed when the run's end is read; once the postmaster reaped it, its
# CPU is in the postmaster's children time.
REAPED, REAPED_KERNEL = slice(13, 15), slice(14, 15)


def _switches(pid: int) -> tuple[int, int]:
    """Context switches of a process over all its threads so far: (voluntary: it waited,
    involuntary: the kernel took the CPU away); (0, 0) once it is gone."""
    voluntary = involuntary = 0
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return 0, 0
    for tid in threads:
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as status:
                for line in status:
                    if line.startswith("voluntary_ctxt_switches"):
                        voluntary += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        involuntary += int(line.split()[1])
        except FileNotFoundError:
            continue
    return voluntary, involuntary


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def _ended_cpu(postmaster: int, reaped_before: tuple[float, float], gone: dict[int, tuple[float, float]]) -> tuple[float, float]:
    """CPU and kernel seconds, since the run began, of the backends in ``gone`` (pid: their
    seconds then): the postmaster's reaped-children time since then, less what they had used
    before. Children of the postmaster reaped meanwhile that served other databases count too
    (compare runs on a quiet server, as for the WAL figure)."""
    return (_cpu_seconds(postmaster, REAPED) - reaped_before[0] - sum(cpu for cpu, _ in gone.values()),
            _cpu_seconds(postmaster, REAPED_KERNEL) - reaped_before[1] - sum(kernel for _, kernel in gone.values()))


def _backends(web: Any) -> list[int]:
    """Every backend of the database, the one asked through included: it is a connection of the
    web process's pool, after a run often the one a client thread just gave back (with one
    client the only one that served its statements)."""
    from sqlalchemy import text

    with web.db.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))]


def _server_processes(web: Any) -> list[int]:
    """The PostgreSQL processes that serve no database (walwriter, checkpointer, background
    writer, ...): the WAL flushes and page writes of all databases, others' too."""
    from sqlalchemy import text

    with web.db.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname IS NULL"))]


def _lsn(position: int) -> str:
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


def _wal_lsn(web: Any) -> int:
    """The cluster's current WAL position in bytes (all databases: compare runs on a quiet server)."""
    from sqlalchemy import text

    with web.db.connect() as conn:
        return int(conn.execute(text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")).scalar_one())


class Measured(bench.Topology):  # type: ignore[misc, name-defined]
    """bench/engine.py's topology with the counting worker process."""

    def __init__(self, url: str, count: bool) -> None:
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
        self.process = ctx.Process(target=_worker_process, args=(url, ready, self.stop, theirs, count))
        self.process.start()
        if not ready.wait(120):
            raise RuntimeError("worker process did not start")

    def worker_counts(self) -> Counter[str]:
        self.pipe.send("counts")
        return Counter(self.pipe.recv())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("AMTSFLOW_TEST_POSTGRES_URL"))
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--pause", action="store_true")
    parser.add_argument("--no-count", action="store_true")
    parser.add_argument("--no-analyze", action="store_true", help="no ANALYZE after the warm-up (bench/engine.py)")
    parser.add_argument("--all-channels", action="store_true",
                        help="the web process listens on the job and account channels too")
    args = parser.parse_args()
    if not args.no_count:
        count_statements()
    topology = Measured(args.postgres, not args.no_count)
    if args.all_channels:
        from engine.services import external_wait
        from engine.services.token_cache import TokenCache

        external_wait.ensure_listener(topology.web)
        topology.token_cache = TokenCache(topology.web)   # kept: its subscription ends with it
        topology.token_cache.start().listening.wait(5)
    topology.cases_per_second(40, args.clients)   # warm-up: pools, caches, parsed definitions
    if not args.no_analyze:
        bench.analyze(topology.web.db)
    worker_pid = topology.process.pid
    if args.pause:
        input(f"web pid {os.getpid()}, worker pid {worker_pid}; Enter to run ")
    backends = _backends(topology.web)
    postmaster = _parent(backends[0])
    reaped_before = _cpu_seconds(postmaster, REAPED), _cpu_seconds(postmaster, REAPED_KERNEL)
    pg_before = {pid: _cpu_seconds(pid) for pid in backends}
    kernel_by_pid = {pid: _cpu_seconds(pid, KERNEL) for pid in backends}
    web_before, worker_before = _cpu_seconds(os.getpid()), _cpu_seconds(worker_pid)
    switches_before = [_switches(os.getpid()), _switches(worker_pid), [_switches(pid) for pid in backends]]
    kernel_before = [_cpu_seconds(os.getpid(), KERNEL), _cpu_seconds(worker_pid, KERNEL), sum(kernel_by_pid.values())]
    servers = _server_processes(topology.web)
    servers_before = {pid: _cpu_seconds(pid) for pid in servers}
    wal_before = _wal_lsn(topology.web)
    web_counts, worker_counts = Counter(_snapshot()), topology.worker_counts()
    started = time.perf_counter()
    rate = topology.cases_per_second(args.cases, args.clients, check=False)   # checked below, outside
    elapsed = time.perf_counter() - started
    web_cpu, worker_cpu = _cpu_seconds(os.getpid()) - web_before, _cpu_seconds(worker_pid) - worker_before
    switches = [_switches(os.getpid()), _switches(worker_pid), [_switches(pid) for pid in backends]]
    listed = _backends(topology.web)
    # a backend no longer listed may still be ending (read it); one that is gone was reaped
    after = listed + [pid for pid in backends if pid not in listed and os.path.exists(f"/proc/{pid}")]
    gone = {pid: (pg_before[pid], kernel_by_pid[pid]) for pid in backends if pid not in after}
    ended = _ended_cpu(postmaster, reaped_before, gone)
    kernel = [_cpu_seconds(os.getpid(), KERNEL) - kernel_before[0], _cpu_seconds(worker_pid, KERNEL) - kernel_before[1],
              sum(_cpu_seconds(pid, KERNEL) - kernel_by_pid.get(pid, 0.0) for pid in after) + ended[1]]
    pg_cpu = sum(_cpu_seconds(pid) - pg_before.get(pid, 0.0) for pid in after) + ended[0]   # a new backend: all its CPU
    server_cpu = sum(_cpu_seconds(pid) - before for pid, before in servers_before.items() if os.path.exists(f"/proc/{pid}"))
    wal = _wal_lsn(topology.web) - wal_before
    web_counts, worker_counts = Counter(_snapshot()) - web_counts, topology.worker_counts() - worker_counts
    topology.check_completed()
    topology.close()
    n = args.cases
    load = os.getloadavg()
    print(f"{n} cases, {args.clients} clients: {rate:.1f} cases/s ({elapsed:.1f} s); "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"CPU ms per case: web {web_cpu / n * 1000:6.2f}  worker {worker_cpu / n * 1000:6.2f}  "
          f"PostgreSQL backends {pg_cpu / n * 1000:6.2f} ({len(after)} backends"
          f"; {ended[0] / n * 1000:.2f} of it from backends that ended meanwhile)  "
          f"total {(web_cpu + worker_cpu + pg_cpu) / n * 1000:6.2f}")
    print(f"   of which in the kernel: web {kernel[0] / n * 1000:6.2f}  worker {kernel[1] / n * 1000:6.2f}  "
          f"PostgreSQL backends {kernel[2] / n * 1000:6.2f}")
    backend_switches = [sum(after[k] - before[k] for after, before in zip(switches[2], switches_before[2]) if after != (0, 0))
                        for k in (0, 1)]
    print("context switches per case (voluntary / involuntary): " + "  ".join(
        f"{label} {v / n:5.1f} / {i / n:4.1f}" for label, (v, i) in (
            ("web", [switches[0][k] - switches_before[0][k] for k in (0, 1)]),
            ("worker", [switches[1][k] - switches_before[1][k] for k in (0, 1)]),
            ("PostgreSQL backends (those there at the start)", backend_switches))))
    print(f"PostgreSQL server processes (walwriter, checkpointer, ...; all databases): "
          f"{server_cpu / n * 1000:6.2f} CPU ms per case; WAL (the whole cluster) {wal / n / 1024:6.2f} kB per case "
          f"({_lsn(wal_before)} to {_lsn(wal_before + wal)}: pg_waldump -s/-e)")
    for label, counts in (("web", web_counts), ("worker", worker_counts)):
        total = sum(v for k, v in counts.items() if not k.startswith("~"))
        print(f"{label}: {total / n:.2f} statements per case, {counts['~round trips'] / n:.2f} round trips")
        for kind, value in sorted(counts.items(), key=lambda kv: -kv[1]):
            if not kind.startswith("~"):
                print(f"    {value / n:6.2f}  {kind}")


if __name__ == "__main__":
    from engine.tenancy import DEFAULT_TENANT, enter

    enter(DEFAULT_TENANT)   # a bench acts for the default tenant (issue 17)
    main()
