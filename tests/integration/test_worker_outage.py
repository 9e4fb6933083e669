"""A worker whose PostgreSQL server does not answer (restarted, failed over, not yet up) says
so in one line and keeps trying; it logs no stack trace per round and stops cleanly."""

from __future__ import annotations

import logging
import time

import pytest

from engine.bootstrap import bootstrap
from engine.jobs import WorkerThread
from engine.settings import Settings


@pytest.mark.parametrize("threads", [1, 4])
def test_a_worker_without_its_database_logs_one_line_and_stops_cleanly(threads, caplog):
    engine = bootstrap(Settings(database_url="postgresql://amtsflow@127.0.0.1:1/amtsflow"))  # nobody listens on port 1
    worker = WorkerThread(engine, poll_seconds=0.05, threads=threads)
    worker_listener = logging.getLogger("engine.persistence.notify")
    with caplog.at_level(logging.WARNING, logger="amtsflow.jobs"), caplog.at_level(logging.WARNING, logger=worker_listener.name):
        worker.start()
        time.sleep(2.5)   # some 50 rounds, two more attempts at the LISTEN connection
        worker.stop()
        worker.join(timeout=10)
    assert not worker.is_alive()
    ours = [r for r in caplog.records if r.name == "amtsflow.jobs"]
    assert [r.levelno for r in ours] == [logging.WARNING], [r.getMessage() for r in ours]
    assert ours[0].getMessage().startswith("worker: the database does not answer (")
    assert ours[0].exc_info is None
    listening = [r.getMessage() for r in caplog.records if r.name == worker_listener.name]
    assert len(listening) == 1 and listening[0].startswith("job listener: the database does not answer ("), listening
    engine.db.dispose()
