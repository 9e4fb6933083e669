"""A job whose database connection is lost while it runs (a server restart or failover; the
connection comes back at once) runs again without using a retry; one that loses it every time
ends in an incident after a few runs instead of running forever."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from engine import jobs
from engine.jobs import CUT_SHORT_LIMIT, JobExecutor
from engine.persistence import tables as t
from engine.services import cases, queries
from tests.fakes import FakeConnector
from tests.integration.helpers import deploy_models


def _lost(*_args, **_kwargs):
    raise OperationalError("UPDATE cases ...", {}, Exception("server closed the connection unexpectedly"),
                           connection_invalidated=True)


@pytest.fixture
def waiting(engine):
    engine.connectors["test"] = FakeConnector()
    deploy_models(engine, "service.bpmn")
    return cases.start_case(engine, "service", {"name": "Erika"}, internal=True)


def _job(engine):
    with engine.db.connect() as conn:
        return conn.execute(select(t.jobs)).one()


def test_a_lost_connection_frees_the_job_without_using_a_retry(engine, waiting, monkeypatch) -> None:
    before = _job(engine)
    executor = JobExecutor(engine, "w1")
    with monkeypatch.context() as patch:
        patch.setattr(jobs, "run_case_command", _lost)
        assert executor.run_due() == 1
    job = _job(engine)
    assert (job.retries, job.attempts, job.last_error, job.lock_owner) == (before.retries, 0, None, None)
    assert job.due_at == before.due_at                            # due now: not put back by a backoff
    assert executor.run_due() == 1
    assert queries.get_case(engine, waiting, with_history=False)["status"] == "completed"


def test_a_job_that_loses_its_connection_every_time_fails_in_the_end(engine, waiting, monkeypatch) -> None:
    before = _job(engine)
    executor = JobExecutor(engine, "w1")
    monkeypatch.setattr(jobs, "run_case_command", _lost)
    for _ in range(CUT_SHORT_LIMIT):
        executor.run_due()
        assert _job(engine).retries == before.retries
    executor.run_due()
    job = _job(engine)
    assert job.retries == before.retries - 1 and "server closed the connection" in job.last_error
