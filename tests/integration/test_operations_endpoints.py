"""/health/live, /health/ready, /metrics and JSON logs, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import logging
import time
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from engine import logcontext
from engine.bootstrap import Engine
from engine.jobs import JobExecutor, WorkerThread
from engine.ports import FakeClock
from engine.services import cases, heartbeats, identity
from engine.services.deploy import deploy, read_paths
from engine.settings import Settings
from tests.conftest import model
from webui.app import create_app


@pytest.fixture
def app(engine: Engine) -> Any:
    settings = Settings(database_url=str(engine.db.url), secret_key="test")
    return create_app(settings, engine=engine, test_config={"TESTING": True, "RATELIMIT_ENABLED": False})


@pytest.fixture
def admin_token(engine: Engine) -> str:
    identity.create_user(engine, "ops", "Betrieb", roles=["admin"])
    return identity.create_api_token(engine, "ops", "prometheus")[1]


def _families(text: str) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def test_live_answers_without_anything(app: Any) -> None:
    response = app.test_client().get("/health/live")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_ready_needs_a_recent_worker_heartbeat(app: Any, engine: Engine, clock: FakeClock) -> None:
    client = app.test_client()
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "ok"
    assert "no job worker" in response.get_json()["checks"]["worker"]

    executor = JobExecutor(engine)
    heartbeats.beat(engine, executor.owner, "process", clock.now(), executor.stats)
    response = client.get("/health/ready")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["checks"]["worker"] == "ok (1 live)"

    clock.advance(timedelta(seconds=heartbeats.LIVE_SECONDS + 1))   # the worker died silently
    assert client.get("/health/ready").status_code == 503


def test_a_crashed_workers_row_is_forgotten_when_a_worker_starts_a_day_later(engine: Engine, clock: FakeClock) -> None:
    from sqlalchemy import select

    from engine.persistence.ops_tables import workers

    stats = JobExecutor(engine).stats
    heartbeats.beat(engine, "crashed", "process", clock.now(), stats)        # never says it is gone
    clock.advance(timedelta(hours=23))
    heartbeats.beat(engine, "restarted", "process", clock.now(), stats)
    clock.advance(timedelta(hours=2))
    heartbeats.beat(engine, "restarted", "process", clock.now(), stats)      # a beat of a running worker prunes nothing
    with engine.db.connect() as conn:
        assert sorted(conn.execute(select(workers.c.owner)).scalars()) == ["crashed", "restarted"]
    heartbeats.beat(engine, "next", "process", clock.now(), stats)
    with engine.db.connect() as conn:
        assert sorted(conn.execute(select(workers.c.owner)).scalars()) == ["next", "restarted"]


def test_ready_reports_an_unreachable_database() -> None:
    engine_settings = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", secret_key="t")
    app = create_app(engine_settings, test_config={"TESTING": True})
    response = app.test_client().get("/health/ready")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("unavailable")


def test_worker_thread_beats_and_leaves(engine: Engine) -> None:
    worker = WorkerThread(engine, poll_seconds=0.05, kind="process")
    worker.start()
    try:
        deadline = time.monotonic() + 60   # the first beat: never this late when it works, but a loaded machine is slow
        while not heartbeats.live_workers(engine) and time.monotonic() < deadline:
            worker.join(0.02)
        [row] = heartbeats.live_workers(engine)
        assert row["owner"] == worker.executor.owner and row["kind"] == "process"
    finally:
        worker.stop()
        worker.join(10)
    assert heartbeats.live_workers(engine) == []


def test_metrics_need_an_admin_or_the_metrics_token(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = app.test_client()
    response = client.get("/metrics")
    assert response.status_code == 401 and "Bearer" in response.headers["WWW-Authenticate"]
    monkeypatch.setenv("AMTSFLOW_METRICS_TOKEN", "s3cret-scrape-token")
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"}).status_code == 200


def test_metrics_parse_and_count_what_the_database_holds(app: Any, engine: Engine, admin_token: str,
                                                         clock: FakeClock) -> None:
    deploy(engine, read_paths([str(model("usertask.bpmn"))]), actor="test")
    for _ in range(3):
        cases.start_case(engine, "usertask", {}, actor="test", internal=True)
    executor = JobExecutor(engine)
    executor.stats.record(0.03, failed=False)
    executor.stats.record(2.0, failed=True)
    heartbeats.beat(engine, executor.owner, "process", clock.now(), executor.stats)
    client = app.test_client()
    client.get("/health/live")   # one request observed before the scrape

    response = client.get("/metrics", headers={"Authorization": f"Bearer {admin_token}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    families = _families(response.get_data(as_text=True))

    [running] = [s for s in families["amtsflow_cases"].samples if s.labels == {
        "tenant": "default", "process": "usertask", "status": "waiting"}]
    assert running.value == 3
    [tasks] = families["amtsflow_open_tasks"].samples
    assert tasks.labels == {"tenant": "default", "process": "usertask"} and tasks.value == 3
    assert families["amtsflow_incidents_open"].samples == []
    assert families["amtsflow_workers_live"].samples[0].value == 1
    latency = {s.labels["le"]: s.value for s in families["amtsflow_job_latency_seconds"].samples
               if s.name.endswith("_bucket")}
    assert latency["0.025"] == 0 and latency["0.05"] == 1 and latency["2.5"] == 2 and latency["+Inf"] == 2
    executed = {s.name: s.value for s in families["amtsflow_jobs_executed"].samples}
    assert executed["amtsflow_jobs_executed_total"] == 2
    assert families["amtsflow_jobs_failed"].samples[0].value == 1
    requests = [s for s in families["amtsflow_http_request_duration_seconds"].samples
                if s.name.endswith("_count") and s.labels["endpoint"] == "ops.live"]
    assert requests and requests[0].value == 1


def test_metrics_and_readiness_name_a_municipality_no_worker_serves(app: Any, engine: Engine, admin_token: str,
                                                                   clock: FakeClock,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers started for some municipalities only: the scrape counts the live workers per
    tenant (0 for one nobody serves) and /health/ready answers 503 naming it."""
    from engine.services import tenants
    from engine.tenancy import TenantSelection

    tenants.add_tenant(engine, "stadt-a", "Stadt A", path_prefix="stadt-a")
    heartbeats.beat(engine, "w-a", "process", clock.now(), JobExecutor(engine).stats, TenantSelection.of(only=["stadt-a"]))
    monkeypatch.setenv("AMTSFLOW_METRICS_TOKEN", "scrape")
    client = app.test_client()
    families = _families(client.get("/metrics", headers={"Authorization": "Bearer scrape"}).get_data(as_text=True))
    assert {s.labels["tenant"]: s.value for s in families["amtsflow_workers_serving"].samples} == {
        "default": 0, "stadt-a": 1}
    own = _families(client.get("/metrics", headers={"Authorization": f"Bearer {admin_token}"}).get_data(as_text=True))
    assert {s.labels["tenant"]: s.value for s in own["amtsflow_workers_serving"].samples} == {"default": 0}
    ready = client.get("/health/ready")
    assert ready.status_code == 503 and "tenant(s) default" in ready.get_json()["checks"]["worker"]
    heartbeats.beat(engine, "w-rest", "process", clock.now(), JobExecutor(engine).stats,
                    TenantSelection.of(skip=["stadt-a"]))
    assert client.get("/health/ready").status_code == 200


def test_due_and_overdue_jobs_are_counted(app: Any, engine: Engine, admin_token: str, clock: FakeClock) -> None:
    deploy(engine, read_paths([str(model("wait.bpmn"))]), actor="test")
    cases.start_case(engine, "wait", {"dauer": "PT1H"}, actor="test", internal=True)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {admin_token}"}
    families = _families(client.get("/metrics", headers=headers).get_data(as_text=True))
    assert not families["amtsflow_jobs_due"].samples          # the timer is not due yet
    clock.advance(timedelta(hours=2))
    families = _families(client.get("/metrics", headers=headers).get_data(as_text=True))
    assert {s.labels["kind"]: s.value for s in families["amtsflow_jobs_due"].samples} == {"timer": 1}
    assert {s.labels["kind"]: s.value for s in families["amtsflow_jobs_overdue"].samples} == {"timer": 1}


def test_json_logs_carry_request_and_case_ids(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    logcontext.configure("json")
    root = logging.getLogger()
    [handler] = [h for h in root.handlers if getattr(h, "_amtsflow", False)]
    monkeypatch.setattr(handler, "stream", stream)
    try:
        @app.get("/_log_probe")
        def probe() -> str:
            logcontext.bind_case("case-123")
            logging.getLogger("amtsflow.test").warning("probe")
            return "ok"

        response = app.test_client().get("/_log_probe", headers={"X-Request-ID": "req-abcdef12"})
        assert response.headers["X-Request-ID"] == "req-abcdef12"
        [line] = [json.loads(x) for x in stream.getvalue().splitlines() if '"probe"' in x]
        assert line["message"] == "probe" and line["level"] == "WARNING"
        assert line["request_id"] == "req-abcdef12" and line["case_id"] == "case-123"
        assert line["tenant"] == "default"   # the municipality the request acts for
        assert line["logger"] == "amtsflow.test" and "time" in line
    finally:
        root.removeHandler(handler)


def test_a_forged_request_id_is_replaced(app: Any) -> None:
    for forged in ("<script>alert(1)</script>", "a" * 65, "short"):
        response = app.test_client().get("/health/live", headers={"X-Request-ID": forged})
        assert response.headers["X-Request-ID"] != forged
        assert len(response.headers["X-Request-ID"]) == 32


def test_the_operator_s_scrape_covers_every_tenant_an_admin_sees_their_own(
        app: Any, engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """A regional provider alerts on overdue jobs and open incidents of every municipality: the
    scrape token (and the provider role) reads every tenant's figures, labelled by tenant; a
    municipality's admin reads only theirs (before, every scrape counted the default tenant's)."""
    from engine.services import tenants
    from engine.tenancy import tenant_scope

    tenants.add_tenant(engine, "musterstadt", "Stadt Musterstadt", path_prefix="musterstadt")
    for tenant, count in (("default", 1), ("musterstadt", 2)):
        with tenant_scope(tenant):
            deploy(engine, read_paths([str(model("wait.bpmn"))]), actor="test")
            for _ in range(count):
                cases.start_case(engine, "wait", {"dauer": "PT1H"}, actor="test", internal=True)
    with tenant_scope("musterstadt"):
        identity.create_user(engine, "ms-admin", "Admin Musterstadt", roles=["admin"])
        ms_token = identity.create_api_token(engine, "ms-admin", "dashboard")[1]
    clock.advance(timedelta(hours=2))
    monkeypatch.setenv("AMTSFLOW_METRICS_TOKEN", "s3cret-scrape-token")
    client = app.test_client()

    def overdue(path: str, token: str) -> dict[str, float]:
        families = _families(client.get(path, headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True))
        assert {s.labels["tenant"] for s in families["amtsflow_cases"].samples} <= set(
            s.labels["tenant"] for s in families["amtsflow_jobs_overdue"].samples)
        return {s.labels["tenant"]: s.value for s in families["amtsflow_jobs_overdue"].samples}

    assert overdue("/metrics", "s3cret-scrape-token") == {"default": 1, "musterstadt": 2}
    assert overdue("/musterstadt/metrics", ms_token) == {"musterstadt": 2}


def test_a_deactivated_tenants_jobs_count_as_paused_not_overdue(
        app: Any, engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its jobs wait on purpose (engine/jobs.py): an alert on overdue jobs must not fire for a
    municipality the provider paused; the scrape shows them as paused instead."""
    from engine.services import tenants
    from engine.tenancy import tenant_scope

    tenants.add_tenant(engine, "musterstadt", "Stadt Musterstadt", path_prefix="musterstadt")
    for tenant in ("default", "musterstadt"):
        with tenant_scope(tenant):
            deploy(engine, read_paths([str(model("wait.bpmn"))]), actor="test")
            cases.start_case(engine, "wait", {"dauer": "PT1H"}, actor="test", internal=True)
    tenants.deactivate_tenant(engine, "musterstadt")
    clock.advance(timedelta(hours=2))
    monkeypatch.setenv("AMTSFLOW_METRICS_TOKEN", "s3cret-scrape-token")
    families = _families(app.test_client().get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
                         .get_data(as_text=True))
    assert {s.labels["tenant"]: s.value for s in families["amtsflow_jobs_overdue"].samples} == {"default": 1}
    assert {s.labels["tenant"]: s.value for s in families["amtsflow_jobs_due"].samples} == {"default": 1}
    assert {s.labels["tenant"]: s.value for s in families["amtsflow_jobs_paused"].samples} == {"musterstadt": 1}
