"""Several executor threads in one worker process.

A job spends most of its time waiting: for the connector's answer and for the database
(round trips, the commit's flush to disk). One thread running jobs one after the other leaves
the process idle during those waits; with several threads the waits overlap and PostgreSQL
flushes the commits of concurrent transactions together. As in Camunda's job executor, one
thread acquires and hands the jobs to a fixed set of executor threads; it acquires only as
many jobs as there are idle executor threads, so no job sits locked behind a busy one (another
worker process may take it instead).

Nothing about a job's effect changes: each job is still one case command under the case's
revision check (two jobs of one case running at once: the second re-runs on the first one's
result) and every connector call happens outside a transaction. On shutdown the executor
threads finish the job they run; jobs acquired but not yet started are unlocked for other
workers.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable

from engine.domain.errors import AmtsflowError
from engine.handover import unlock
from engine.outage import Outage
from engine.persistence.db import pinned

log = logging.getLogger("amtsflow.jobs")


class JobPool:
    def __init__(self, executor: Any, threads: int, idle_seconds: Callable[[], float],
                 stopping: threading.Event, *, tick: Callable[[], None] = lambda: None,
                 wait: Callable[[float], Any] | None = None, outage: Outage | None = None) -> None:
        """``executor``: the process's JobExecutor; ``idle_seconds``: how long to sleep when no
        job is due (until the next poll or the next job's due time); ``stopping``: set to end;
        ``tick``: called on every round of the acquisition loop (the worker's heartbeat);
        ``wait``: sleeps up to the given seconds or until the executor's wake-up is set (by
        default its wait(); the worker's also returns on a NOTIFY, see WorkerThread);
        ``outage``: reports a database that does not answer (engine/outage.py)."""
        if threads < 1:
            raise ValueError("a job pool needs at least one thread")
        self.executor = executor
        self.threads = threads
        self.idle_seconds = idle_seconds
        self.stopping = stopping
        self.tick = tick
        self.wait = wait if wait is not None else executor.wakeup.wait
        self.outage = outage if outage is not None else Outage(log, "worker")
        # jobs whose run ended while the database did not answer: their outcome is not written
        # and their lock stays; freed once the database answers (see _release_cut_short)
        self._cut_short: list[Any] = []
        self._cut_short_lock = threading.Lock()
        # acquired, not yet started; None ends a runner. The runners wait in its get(): a put()
        # wakes exactly one of them, without the Condition a runner would take again right after
        # its wake-up (while the acquisition loop still held it: a second wait and wake-up)
        self._queue: queue.SimpleQueue[tuple[Any, float] | None] = queue.SimpleQueue()
        self._busy = 0                                     # acquired and not yet finished
        self._slots = threading.Condition()   # the acquisition loop waits here for a free runner

    def run(self) -> None:
        """The acquisition loop (in the calling thread) until ``stopping`` is set."""
        with pinned(self._db()):   # the loop and each runner keep a connection (engine/persistence/db.py)
            self._acquire_until_stopped()

    def _db(self) -> Any:
        return getattr(getattr(self.executor, "engine", None), "db", None)

    def _acquire_until_stopped(self) -> None:
        runners = [threading.Thread(target=self._run_jobs, name=f"amtsflow-job-{k + 1}", daemon=True)
                   for k in range(self.threads)]
        for runner in runners:
            runner.start()
        wakeup, wait = self.executor.wakeup, self.wait
        try:
            while not self.stopping.is_set():
                self.tick()
                free = self._free_slots()
                if free == 0:
                    continue
                wakeup.clear()  # before acquiring: a job written meanwhile sets it again
                batch = self._claim(free)
                if batch:
                    with self._slots:
                        self._busy += len(batch)
                    for entry in batch:   # each wakes one runner: as many as there are jobs, not all
                        self._queue.put(entry)
                # nothing more is due: sleep until a job is written or falls due. A stop that came
                # before the clear() above lost its wake-up, but set ``stopping`` first: check it.
                if len(batch) < free and not self.stopping.is_set():
                    wait(self.idle_seconds())
        finally:
            left = []
            while True:   # not started: unlocked below (a runner that took one already runs it)
                try:
                    queued = self._queue.get_nowait()
                except queue.Empty:
                    break
                if queued is not None:
                    left.append(queued[0].id)
            for _runner in runners:
                self._queue.put(None)
            for runner in runners:
                runner.join()
            if left:
                try:
                    unlock(self.executor.engine, self.executor.owner, left)
                except Exception:  # noqa: BLE001 - the locks expire on their own
                    log.exception("worker: could not unlock %d acquired job(s)", len(left))

    def _free_slots(self) -> int:
        with self._slots:
            if self._busy >= self.threads:
                self._slots.wait(0.5)  # a runner finishing notifies; the timeout re-checks stopping
            return max(0, self.threads - self._busy)

    def _claim(self, free: int) -> list[tuple[Any, float]]:
        try:
            claimed = list(self.executor.claim(free))
        except AmtsflowError as exc:
            log.warning("worker: %s", exc.message)
        except Exception as exc:  # noqa: BLE001 - keep polling; the error is logged with its stack
            if not self.outage.failed("acquiring jobs", exc):
                log.exception("worker round failed")
        else:
            self.outage.answered()
            self._release_cut_short()
            return claimed
        return []

    def _release_cut_short(self) -> None:
        """Free the jobs whose run a database outage cut short, so that they run again now
        rather than when their lock expires (AMTSFLOW_JOB_LOCK_SECONDS). A job whose outcome did
        reach the database is gone or no longer this worker's: nothing changes for it."""
        with self._cut_short_lock:
            ids, self._cut_short = self._cut_short, []
        if not ids:
            return
        try:
            unlock(self.executor.engine, self.executor.owner, ids)
        except Exception as exc:  # noqa: BLE001 - tried again after the next acquisition
            with self._cut_short_lock:
                self._cut_short = ids + self._cut_short
            if not self.outage.failed("freeing jobs an outage cut short", exc):
                log.exception("worker: could not free %d job(s) an outage cut short", len(ids))
            return
        log.warning("worker: %d job(s) whose run the database outage cut short run again", len(ids))

    def _run_jobs(self) -> None:
        with pinned(self._db()):
            self._run_until_closed()

    def _run_until_closed(self) -> None:
        while True:
            entry = self._queue.get()
            if entry is None:
                return
            job, since = entry
            try:
                self.executor.run_claimed(job, since)
            except Exception as exc:  # noqa: BLE001 - a job must never take the worker down
                if self.outage.failed(f"job {getattr(job, 'id', job)}", exc):
                    with self._cut_short_lock:
                        self._cut_short.append(job.id)
                else:
                    log.exception("worker: job %s", getattr(job, "id", job))
            finally:
                with self._slots:
                    self._busy -= 1
                    self._slots.notify()   # the acquisition loop, if it waits for a free runner


__all__ = ["JobPool"]
