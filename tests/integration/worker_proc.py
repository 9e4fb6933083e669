"""A real worker process for concurrency and crash tests (python -m tests.integration.worker_proc).

Its connector appends one line per call to a file (``O_APPEND``), so calls from every
process are counted; with AMTSFLOW_TEST_SLOW_CALL it signals "in call" and sleeps, to be
killed mid-job.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Mapping

from engine.bootstrap import bootstrap
from engine.jobs import JobExecutor
from engine.ports import OperationSpec, ServiceRequest, ServiceResult
from engine.settings import Settings


class CountingConnector:
    name = "test"

    def __init__(self, log: Path, slow: float) -> None:
        self.log = log
        self.slow = slow

    def operations(self) -> Mapping[str, OperationSpec]:
        return {"lookup": OperationSpec(), "noop": OperationSpec()}

    def call(self, operation: str, request: ServiceRequest) -> ServiceResult:
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, f"{os.getpid()} {request.idempotency_key}\n".encode())
        finally:
            os.close(fd)
        if self.slow:
            Path(str(self.log) + ".incall").write_text(str(os.getpid()))
            time.sleep(self.slow)
        return ServiceResult({"found": True})


def main() -> int:
    log = Path(sys.argv[1])
    idle_seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    slow = float(os.environ.get("AMTSFLOW_TEST_SLOW_CALL", "0"))
    engine = bootstrap(Settings.from_env(), connectors={"test": CountingConnector(log, slow)})
    executor = JobExecutor(engine, owner=f"proc-{os.getpid()}")
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < idle_seconds:
        if executor.run_due(limit=5):
            idle_since = time.monotonic()
        else:
            time.sleep(0.05)
    engine.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
