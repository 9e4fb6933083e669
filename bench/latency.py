"""What the query benchmarks share: a fresh PostgreSQL database and p50/p95 of repeated calls."""

from __future__ import annotations

import contextvars
import statistics
import threading
import time
from typing import Any, Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def fresh_pg(base: str, name: str) -> str:
    """Drop and create database ``name`` on the server of ``base``; its URL."""
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def measure(fn: Callable[[int], Any], runs: int) -> tuple[float, float]:
    """Median and 95th percentile (nearest rank) in ms of ``runs`` calls after one warm-up call."""
    fn(0)  # warm: statement caches, pages in memory
    timings = []
    for i in range(runs):
        started = time.perf_counter()
        fn(i)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[max(0, int(round(0.95 * len(timings))) - 1)]


def run_clients(n: int, clients: int, client: Callable[[int, int, int], Any]) -> float:
    """``n`` cases shared among ``clients`` threads run at once, ``client(k, count, offset)`` in
    thread k (each in a copy of the caller's context: its tenant scope); seconds until all ended."""
    share = [n // clients + (1 if k < n % clients else 0) for k in range(clients)]
    threads = [threading.Thread(target=contextvars.copy_context().run, args=(client, k, share[k], sum(share[:k])))
               for k in range(clients)]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - started
