"""A worker for some municipalities only (`amtsflow worker --only-tenant / --skip-tenant`): it
runs their jobs and leaves the others' to other workers; its heartbeat says whom it serves, and
/health/ready names a municipality whose jobs no live worker runs."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine.jobs import JobExecutor
from engine.persistence import tables as t
from engine.persistence.tenant_tables import tenants
from engine.services import cases, heartbeats, operations_figures, queries
from engine.services import tenants as tenants_service
from engine.services.heartbeats import JobStats
from engine.tenancy import DEFAULT_TENANT, TenantSelection, all_tenants, tenant_scope
from tests.fakes import FakeConnector
from tests.integration.helpers import deploy_models

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
CITIES = ("stadt-a", "stadt-b")


@pytest.fixture
def municipalities(engine) -> Iterator[dict[str, str]]:
    """A case waiting for its service job in the default tenant and in each of two cities."""
    with engine.db.begin() as conn:
        for tenant in CITIES:
            conn.execute(tenants.insert().values(id=tenant, name=tenant, host=None, path_prefix=None,
                                                 settings={}, connectors={}, active=True, created_at=NOW))
    engine.connectors["test"] = FakeConnector()
    started = {}
    for tenant in (DEFAULT_TENANT, *CITIES):
        with tenant_scope(tenant):
            deploy_models(engine, "service.bpmn")
            started[tenant] = cases.start_case(engine, "service", {"name": tenant}, internal=True)
    yield started


def _waiting(engine) -> set[str]:
    """The tenants whose service job has not run yet."""
    with all_tenants("test"), engine.db.connect() as conn:
        return set(conn.execute(select(t.jobs.c.tenant_id).where(t.jobs.c.kind == "service")).scalars())


def test_a_worker_for_one_city_runs_its_jobs_only(engine, municipalities) -> None:
    city = JobExecutor(engine, "city", tenants=TenantSelection.of(only=["stadt-a"]))
    assert city.run_until_idle() == 1
    assert _waiting(engine) == {DEFAULT_TENANT, "stadt-b"}
    with tenant_scope("stadt-a"):
        assert queries.get_case(engine, municipalities["stadt-a"], with_history=False)["status"] == "completed"
    assert city.next_due_in() is None   # the others' due jobs do not wake it either


def test_the_shared_worker_skips_the_city_with_its_own(engine, municipalities) -> None:
    shared = JobExecutor(engine, "shared", tenants=TenantSelection.of(skip=["stadt-a"]))
    assert shared.next_due_in() == 0.0
    assert shared.run_until_idle() == 2
    assert _waiting(engine) == {"stadt-a"}
    assert shared.next_due_in() is None
    assert JobExecutor(engine, "city", tenants=TenantSelection.of(only=["stadt-a"])).run_until_idle() == 1
    assert _waiting(engine) == set()


def test_a_deactivated_citys_jobs_wait_until_it_is_active_again(engine, municipalities) -> None:
    """Deactivating a municipality stops its jobs too (timers, service calls): no worker takes
    them, and they do not keep an idle worker awake; reactivated, they run (late)."""
    tenants_service.deactivate_tenant(engine, "stadt-b")
    worker = JobExecutor(engine, "shared")
    assert worker.run_until_idle() == 2
    assert _waiting(engine) == {"stadt-b"}
    assert worker.next_due_in() is None   # its due job does not wake the worker
    tenants_service.update_tenant(engine, "stadt-b", active=True)
    assert worker.next_due_in() == 0.0
    assert worker.run_until_idle() == 1
    with tenant_scope("stadt-b"):
        assert queries.get_case(engine, municipalities["stadt-b"], with_history=False)["status"] == "completed"


def test_a_deactivated_citys_erasures_still_run_when_their_retention_period_ends(engine, municipalities, clock,
                                                                                tmp_path) -> None:
    """Deactivation holds a municipality's timers and service calls, not the erasure of personal
    data whose retention period ran out: that is a legal duty (DSGVO Art. 5(1)(e)) which
    pausing the municipality here does not suspend, and it calls no back-office system. An
    idle worker wakes for it; the operator's count of waiting jobs leaves it out."""
    from datetime import timedelta

    from engine.services.deploy import deploy, read_paths
    from tests.integration.helpers import MODELS

    folder = tmp_path / "leistung"
    folder.mkdir()
    (folder / "process.bpmn").write_text((MODELS / "usertask.bpmn").read_text())
    (folder / "service.toml").write_text('key = "usertask"\nname = "Test"\n[aufbewahrung]\nfrist = "P30D"\n')
    with tenant_scope("stadt-b"):
        deploy(engine, read_paths([str(folder)]))
        closed = cases.start_case(engine, "usertask", {"antragsteller": "Erika Mustermann"}, internal=True)
        [task] = queries.list_tasks(engine, case_id=closed)
        cases.complete_task(engine, task["id"], {"ok": True}, actor="sb1", internal=True)
    tenants_service.deactivate_tenant(engine, "stadt-b")
    assert tenants_service.waiting_jobs(engine, "stadt-b") == 1   # the service call; the erasure does not wait
    worker = JobExecutor(engine, "shared")
    assert worker.run_until_idle() == 2
    due_in = worker.next_due_in()   # the idle worker wakes for the erasure
    assert due_in is not None and timedelta(days=29) < timedelta(seconds=due_in) <= timedelta(days=30)
    clock.advance(timedelta(days=31))
    with all_tenants("test"):
        figures = operations_figures.snapshot(engine)
    assert figures.jobs_due == {("stadt-b", "retention"): 1} and figures.jobs_paused == {"stadt-b": 1}
    assert worker.next_due_in() == 0.0
    assert worker.run_until_idle() == 1
    with tenant_scope("stadt-b"):
        assert queries.get_case(engine, closed, with_history=False)["data"] == {"anonymisiert": True}
    assert _waiting(engine) == {"stadt-b"}   # its service call still waits
    assert worker.next_due_in() is None


def test_a_deactivated_citys_expired_messages_and_drafts_are_erased_too(engine, municipalities, clock) -> None:
    """A buffered message nobody took and a citizen's application draft are personal data whose
    time runs out as a case's retention period does: erased while the city is deactivated
    (migration 0037), and not counted among its waiting jobs."""
    from datetime import timedelta

    from engine.services import application_drafts, messages

    with tenant_scope("stadt-b"):
        assert messages.correlate_message(engine, "zahlung_gebucht", "ZZ-1", {"betrag": 5}).status == "buffered"
        application_drafts.save(engine, "erika", "usertask", {"name": "Erika"})
    tenants_service.deactivate_tenant(engine, "stadt-b")
    assert tenants_service.waiting_jobs(engine, "stadt-b") == 1                 # its service call only
    worker = JobExecutor(engine, "shared")
    worker.run_until_idle()
    clock.advance(timedelta(days=31))
    assert worker.run_until_idle() == 2
    with all_tenants("test"), engine.db.connect() as conn:
        assert conn.execute(select(t.messages.c.id).where(t.messages.c.tenant_id == "stadt-b")).all() == []
        assert conn.execute(select(t.application_drafts)).all() == []
    assert _waiting(engine) == {"stadt-b"}


def test_a_handed_over_job_of_a_deactivated_city_waits_too(engine, municipalities) -> None:
    """A job this process's own command wrote is locked to its worker at once (the hand-over):
    once the city is deactivated, the worker unlocks it instead of running it, so a chain of
    service calls that was running stops at its next job."""
    local = JobExecutor(engine, "local").take_local_jobs()
    try:
        assert local.run_until_idle() == 3      # the fixture's jobs, one per tenant
        with tenant_scope("stadt-b"):
            cases.start_case(engine, "service", {"name": "B2"}, internal=True)   # handed to "local"
        tenants_service.deactivate_tenant(engine, "stadt-b")
        local.paused_recheck_seconds = 0
        assert local.run_until_idle() == 0
        with all_tenants("test"), engine.db.connect() as conn:
            assert conn.execute(select(t.jobs.c.tenant_id, t.jobs.c.lock_owner)).all() == [("stadt-b", None)]
        tenants_service.update_tenant(engine, "stadt-b", active=True)
        assert local.run_until_idle() == 1
        assert _waiting(engine) == set()
    finally:
        local.release_local_jobs()


def test_a_failed_check_of_the_paused_tenants_keeps_the_handed_over_job(engine, municipalities, monkeypatch) -> None:
    """The database does not answer the check: the handed-over job goes back in line (still
    locked to this worker) and runs in the next round, not after its lock expired."""
    from engine import jobs

    local = JobExecutor(engine, "local").take_local_jobs()
    try:
        assert local.run_until_idle() == 3
        with tenant_scope("stadt-a"):
            cases.start_case(engine, "service", {"name": "A2"}, internal=True)   # handed to "local"

        def unreachable(_db):
            raise ConnectionError("database gone")

        monkeypatch.setattr(jobs, "reading", unreachable)
        with pytest.raises(ConnectionError):
            local.claim(4)
        monkeypatch.undo()
        assert local.run_until_idle() == 1
    finally:
        local.release_local_jobs()


def test_a_command_of_another_tenant_leaves_its_job_free_for_that_tenants_workers(engine, municipalities) -> None:
    """The hand-over (engine/handover.py) locks a new service job to this process's worker when
    a command writes it: not when that worker does not run the command's tenant's jobs."""
    local = JobExecutor(engine, "local", tenants=TenantSelection.of(only=["stadt-a"])).take_local_jobs()
    try:
        with tenant_scope("stadt-b"):
            cases.start_case(engine, "service", {"name": "B2"}, internal=True)
        with tenant_scope("stadt-a"):
            cases.start_case(engine, "service", {"name": "A2"}, internal=True)
        with all_tenants("test"), engine.db.connect() as conn:
            owners = dict(conn.execute(select(t.jobs.c.tenant_id, t.jobs.c.lock_owner)
                                       .where(t.jobs.c.lock_owner.is_not(None))).all())
        assert owners == {"stadt-a": "local"}
        assert JobExecutor(engine, "b", tenants=TenantSelection.of(only=["stadt-b"])).run_until_idle() == 2
    finally:
        local.release_local_jobs()


def test_the_heartbeat_records_whom_a_worker_serves_and_readiness_names_the_unserved(engine, municipalities) -> None:
    started = engine.clock.now()
    heartbeats.beat(engine, "w-a", "process", started, JobStats(), TenantSelection.of(only=["stadt-a"]))
    checks = operations_figures.readiness(engine)
    assert checks["worker"].startswith("no live job worker runs the jobs of tenant(s) default, stadt-b"), checks
    heartbeats.beat(engine, "w-rest", "process", started, JobStats(), TenantSelection.of(skip=["stadt-a"]))
    assert operations_figures.readiness(engine)["worker"] == "ok (2 live)"
    [row] = [w for w in heartbeats.live_workers(engine) if w["owner"] == "w-rest"]
    assert row["tenants"] == {"skip": ["stadt-a"]}
    heartbeats.gone(engine, "w-rest")
    heartbeats.beat(engine, "w-all", "thread", started, JobStats())   # an embedded worker: every tenant
    assert operations_figures.readiness(engine)["worker"] == "ok (2 live)"


def test_selection_rules() -> None:
    with pytest.raises(ValueError, match="not both"):
        TenantSelection.of(only=["a"], skip=["b"])
    with pytest.raises(ValueError, match="invalid tenant id"):
        TenantSelection.of(only=["Stadt A"])
    assert TenantSelection.of().everyone and TenantSelection.of().to_json() is None
    selection = TenantSelection.from_json({"only": ["b", "a"]})
    assert selection.admits("a") and not selection.admits("c") and selection.to_json() == {"only": ["a", "b"]}
    assert TenantSelection.from_json(None).everyone


def test_the_cli_refuses_an_unknown_tenant_and_runs_the_named_ones(engine, municipalities) -> None:
    from webui.cli import main

    runner = CliRunner()
    refused = runner.invoke(main, ["worker", "--once", "--only-tenant", "stadt-c"], obj=engine)
    assert refused.exit_code == 2 and "no such tenant: stadt-c" in refused.output, refused.output
    assert _waiting(engine) == {DEFAULT_TENANT, *CITIES}
    both = runner.invoke(main, ["worker", "--once", "--only-tenant", "stadt-a", "--skip-tenant", "stadt-b"], obj=engine)
    assert both.exit_code == 2 and "not both" in both.output, both.output
    ran = runner.invoke(main, ["worker", "--once"], obj=engine, env={"AMTSFLOW_WORKER_SKIP_TENANTS": "stadt-a stadt-b"})
    assert ran.exit_code == 0 and "ran 1 job(s)" in ran.output, ran.output
    assert _waiting(engine) == set(CITIES)
    paused = runner.invoke(main, ["tenants", "deactivate", "stadt-a"], obj=engine)
    assert paused.exit_code == 0 and "its 1 open job(s)" in paused.output \
        and "tenants update stadt-a --active" in paused.output and "erasures" in paused.output, paused.output
    assert runner.invoke(main, ["worker", "--once"], obj=engine).output.startswith("ran 1 job(s)")
    assert _waiting(engine) == {"stadt-a"}
