"""The job pool's wake-ups (engine/job_pool.py), with a fake executor: no job is lost or left
waiting for a timeout, whichever thread is between checking and waiting when it comes."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from engine.job_pool import JobPool

IDLE = 30.0   # the pool's sleep when nothing is due: a test that waits for it has failed
PROMPT = 5.0  # well below IDLE and the pool's 0.5 s re-check of free runners times several


class FakeExecutor:
    """claim() hands out queued jobs; ``during_claim`` runs inside claim() after the queue was
    read (a job handed over between the pool's check and its wait)."""

    def __init__(self) -> None:
        self.wakeup = threading.Event()
        self.engine = None
        self.owner = "fake"
        self.waiting: deque[str] = deque()
        self.ran: list[str] = []
        self.done = threading.Condition()
        self.during_claim: Any = None
        self.run_job: Any = lambda job: None
        self.lock = threading.Lock()

    def hand_over(self, job: str) -> None:
        with self.lock:
            self.waiting.append(job)
        self.wakeup.set()

    def claim(self, limit: int) -> list[tuple[str, float]]:
        with self.lock:
            batch = [(self.waiting.popleft(), time.monotonic()) for _ in range(min(limit, len(self.waiting)))]
        if self.during_claim is not None:
            self.during_claim()
        return batch

    def run_claimed(self, job: str, since: float) -> bool:
        self.run_job(job)
        with self.done:
            self.ran.append(job)
            self.done.notify_all()
        return True

    def wait_ran(self, count: int, timeout: float) -> bool:
        with self.done:
            return self.done.wait_for(lambda: len(self.ran) >= count, timeout)


def _pool(executor: FakeExecutor, threads: int) -> tuple[JobPool, threading.Thread]:
    pool = JobPool(executor, threads, lambda: IDLE, threading.Event())
    thread = threading.Thread(target=pool.run, daemon=True)
    thread.start()
    return pool, thread


def _stop(pool: JobPool, thread: threading.Thread) -> None:
    pool.stopping.set()
    pool.executor.wakeup.set()
    thread.join(PROMPT)
    assert not thread.is_alive(), "the pool did not stop"


def test_a_job_handed_over_between_the_check_and_the_wait_runs_at_once():
    executor = FakeExecutor()
    handed = []

    def hand_over_once() -> None:   # the queue was read empty; the pool has not waited yet
        if not handed:
            handed.append(True)
            executor.hand_over("late")

    executor.during_claim = hand_over_once
    pool, thread = _pool(executor, threads=2)
    try:
        assert executor.wait_ran(1, PROMPT), "the job handed over meanwhile waited for the idle timeout"
    finally:
        _stop(pool, thread)


def test_a_stop_between_the_check_and_the_wait_ends_the_pool_at_once():
    """Stopped after the loop checked ``stopping`` and before it cleared its wake-up (here: in
    the heartbeat tick), the pool must not sleep its idle time first."""
    executor = FakeExecutor()
    stopping = threading.Event()

    def stop_once() -> None:
        if not stopping.is_set():
            stopping.set()   # as WorkerThread.stop(): stopping first, then the wake-up
            executor.wakeup.set()

    pool = JobPool(executor, 2, lambda: IDLE, stopping, tick=stop_once)
    thread = threading.Thread(target=pool.run, daemon=True)
    thread.start()
    thread.join(PROMPT)
    assert not thread.is_alive(), "a stop before the wait's clear waited for the idle timeout"


def recording_conditions(timed_out: list[float]) -> type[threading.Condition]:
    """Conditions that record when each wait with a timeout began that ended by the timeout
    (not by a notify)."""

    class RecordingCondition(threading.Condition):
        def wait(self, timeout: float | None = None) -> bool:
            began = time.monotonic()
            notified = super().wait(timeout)
            if timeout is not None and not notified:
                timed_out.append(began)
            return notified

    return RecordingCondition


def test_a_runner_finishing_frees_its_slot_at_once_when_all_are_busy(monkeypatch):
    """Both runners busy: the acquisition loop waits for a free one; the first to finish wakes it
    (not its 0.5 s re-check), so the queued jobs run one right after the other. Whether a wait
    ended by a wake-up or by its re-check is recorded, not guessed from the wall time (which a
    loaded machine stretches)."""
    timed_out: list[float] = []
    monkeypatch.setattr(threading, "Condition", recording_conditions(timed_out))   # the pool's two conditions
    executor = FakeExecutor()
    pool = JobPool(executor, 2, lambda: IDLE, threading.Event())
    monkeypatch.undo()
    thread = threading.Thread(target=pool.run, daemon=True)
    thread.start()
    release = threading.Event()
    executor.run_job = lambda job: release.wait(PROMPT) if job.startswith("slow") else None
    try:
        executor.hand_over("slow-1")
        executor.hand_over("slow-2")
        time.sleep(0.2)   # both runners in their job, the loop waits for a free slot (and re-checks)
        for k in range(20):
            executor.hand_over(f"quick-{k}")
        released = time.monotonic()
        release.set()
        assert executor.wait_ran(22, PROMPT)
        assert [began for began in timed_out if began > released] == [], \
            "a finished job did not wake the acquisition loop (it waited for its re-check)"
    finally:
        release.set()
        _stop(pool, thread)


def test_many_jobs_in_batches_each_run_once_none_left_waiting():
    executor = FakeExecutor()
    pool, thread = _pool(executor, threads=4)
    try:
        for k in range(2000):
            executor.hand_over(f"job-{k}")
            if k % 7 == 0:
                time.sleep(0)   # let runners and the acquisition loop interleave
        assert executor.wait_ran(2000, 4 * PROMPT)
    finally:
        _stop(pool, thread)
    assert sorted(executor.ran) == sorted(f"job-{k}" for k in range(2000))


def test_stopping_wakes_every_idle_runner():
    executor = FakeExecutor()
    pool, thread = _pool(executor, threads=4)
    time.sleep(0.1)   # every runner waits for a job
    started = time.monotonic()
    _stop(pool, thread)
    assert time.monotonic() - started < PROMPT
