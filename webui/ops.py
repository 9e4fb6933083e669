"""Operations endpoints: /health/live, /health/ready and /metrics (Prometheus text format).

* ``/health/live`` answers 200 while the process serves requests (a liveness probe).
* ``/health/ready`` answers 200 when the database answers and a job worker was seen recently
  (its heartbeat, engine/services/heartbeats.py); 503 with the failing check otherwise.
* ``/metrics`` is for operators: an admin's session or API token, or the bearer token set in
  ``AMTSFLOW_METRICS_TOKEN`` (for a Prometheus without an account). Case, job, task and incident
  figures are read from the database, so every web process answers the same; each worker's job
  latency histogram comes from its heartbeat; request latency is per web process, or across all
  gunicorn processes when ``PROMETHEUS_MULTIPROC_DIR`` is set (``amtsflow serve`` sets it).
"""

from __future__ import annotations

import hmac
import os
import re
import time
import uuid
from typing import Any, Iterable, Iterator

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from engine import logcontext
from engine.bootstrap import Engine
from engine.services import heartbeats, operations_figures
from engine.tenancy import all_tenants

bp = Blueprint("ops", __name__)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")   # a proxy's id, if it looks like one
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _engine() -> Engine:
    engine: Engine = current_app.extensions["amtsflow"]
    return engine


@bp.get("/health/live")
def live() -> Response:
    return jsonify(status="ok")


@bp.get("/health/ready")
def ready() -> tuple[Response, int]:
    checks = operations_figures.readiness(_engine())
    healthy = all(value.startswith("ok") for value in checks.values())
    return jsonify(status="ok" if healthy else "unavailable", checks=checks), 200 if healthy else 503


def _metrics_reader() -> str | None:
    """Whose figures the caller may read: "installation" (every tenant's: the scrape token, the
    provider's operators), "tenant" (an admin: their municipality's), None (refused)."""
    expected = os.environ.get("AMTSFLOW_METRICS_TOKEN", "")
    header = request.headers.get("Authorization", "")
    if expected and header.lower().startswith("bearer ") and hmac.compare_digest(
            header[7:].strip().encode(), expected.encode()):
        return "installation"
    user = g.get("user")
    if user is not None and user.has_role("provider"):
        return "installation"
    return "tenant" if user is not None and user.has_role("admin") else None


@bp.get("/metrics")
def metrics() -> Response:
    reader = _metrics_reader()
    if reader is None:
        status = 403 if g.get("user") is not None else 401
        response = Response("metrics: AMTSFLOW_METRICS_TOKEN, a provider's or an admin's token is required\n",
                            status=status, mimetype="text/plain")
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="amtsflow metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(EngineCollector(_engine(), installation=reader == "installation"))
    multiproc = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry, path=multiproc)  # type: ignore[no-untyped-call]
    else:
        registry.register(current_app.extensions["amtsflow_request_registry"])
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class _RegistryCollector(Collector):
    """Exposes one app's request histogram (a registry of its own: tests build many apps)."""

    def __init__(self, inner: CollectorRegistry) -> None:
        self.inner = inner

    def collect(self) -> Iterable[Any]:
        return self.inner.collect()


class EngineCollector(Collector):
    """Figures read from the database at scrape time (the same from every web process)."""

    def __init__(self, engine: Engine, *, installation: bool = False) -> None:
        """``installation``: every tenant's figures (the operator's scrape), else the request's tenant's."""
        self.engine, self.installation = engine, installation

    def collect(self) -> Iterator[Any]:
        if self.installation:
            with all_tenants("metrics: the installation's scrape (AMTSFLOW_METRICS_TOKEN or the provider role)"):
                figures = operations_figures.snapshot(self.engine)
        else:
            figures = operations_figures.snapshot(self.engine)
        cases = GaugeMetricFamily("amtsflow_cases", "Cases by tenant, process and status",
                                  labels=["tenant", "process", "status"])
        for (tenant, process, status), count in sorted(figures.cases.items()):
            cases.add_metric([tenant, process, status], count)
        yield cases
        tasks = GaugeMetricFamily("amtsflow_open_tasks", "Open user tasks by tenant and process",
                                  labels=["tenant", "process"])
        for (tenant, process), count in sorted(figures.open_tasks.items()):
            tasks.add_metric([tenant, process], count)
        yield tasks
        due = GaugeMetricFamily("amtsflow_jobs_due", "Jobs due now (not suspended, retries left)",
                                labels=["tenant", "kind"])
        overdue = GaugeMetricFamily("amtsflow_jobs_overdue", f"Jobs due for more than "
                                    f"{operations_figures.OVERDUE_SECONDS} s", labels=["tenant", "kind"])
        for (tenant, kind), count in sorted(figures.jobs_due.items()):
            due.add_metric([tenant, kind], count)
        for (tenant, kind), count in sorted(figures.jobs_overdue.items()):
            overdue.add_metric([tenant, kind], count)
        yield due
        yield overdue
        paused = GaugeMetricFamily("amtsflow_jobs_paused", "Open jobs of a deactivated tenant: they wait until it is "
                                   "active again (amtsflow tenants update TENANT --active); erasures run and are "
                                   "not counted", labels=["tenant"])
        for tenant, count in sorted(figures.jobs_paused.items()):
            paused.add_metric([tenant], count)
        yield paused
        incidents = GaugeMetricFamily("amtsflow_incidents_open", "Open incidents by tenant", labels=["tenant"])
        for tenant, count in sorted(figures.incidents_open.items()):
            incidents.add_metric([tenant], count)
        yield incidents
        yield GaugeMetricFamily("amtsflow_workers_live", "Job workers seen in the last "
                                f"{heartbeats.LIVE_SECONDS:.0f} s", value=len(figures.workers))
        serving = GaugeMetricFamily("amtsflow_workers_serving", "Live job workers that run a tenant's jobs "
                                    "(0: nobody runs them; see amtsflow worker --only-tenant/--skip-tenant)",
                                    labels=["tenant"])
        for tenant, count in sorted(figures.workers_serving.items()):
            serving.add_metric([tenant], count)
        yield serving
        yield from _worker_metrics(figures.workers)


def _worker_metrics(workers: list[dict[str, Any]]) -> Iterator[Any]:
    executed = CounterMetricFamily("amtsflow_jobs_executed", "Jobs run by a worker since it started",
                                   labels=["worker"])
    failed = CounterMetricFamily("amtsflow_jobs_failed", "Jobs that failed (retry or incident) per worker",
                                 labels=["worker"])
    latency = HistogramMetricFamily("amtsflow_job_latency_seconds",
                                    "How late a due job started, per worker", labels=["worker"])
    for worker in workers:
        stats = worker["stats"]
        executed.add_metric([worker["owner"]], stats.get("executed", 0))
        failed.add_metric([worker["owner"]], stats.get("failed", 0))
        bounds, counts = stats.get("latency_buckets", []), stats.get("latency_counts", [])
        running, buckets = 0, []
        for bound, count in zip([*map(str, bounds), "+Inf"], counts):
            running += count
            buckets.append((bound, running))
        if buckets:
            latency.add_metric([worker["owner"]], buckets, stats.get("latency_sum", 0.0))
    yield executed
    yield failed
    yield latency


def init_ops(app: Flask) -> None:
    """Register the endpoints and time every request."""
    multiproc = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    own = CollectorRegistry(auto_describe=False)
    histogram = Histogram("amtsflow_http_request_duration_seconds", "Web request latency",
                          ["method", "endpoint", "status"], buckets=REQUEST_BUCKETS,
                          registry=None if multiproc else own)
    app.extensions["amtsflow_request_registry"] = _RegistryCollector(own)

    @app.before_request
    def _start_request() -> None:
        g.request_started = time.perf_counter()
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if _REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        logcontext.request_id.set(g.request_id)
        logcontext.bind_case(None)

    @app.after_request
    def _observe(response: Response) -> Response:
        if g.get("request_id"):
            response.headers["X-Request-ID"] = g.request_id
        started = g.get("request_started")
        if started is not None:
            endpoint = request.endpoint or "unmatched"   # the route, not the path: bounded label values
            histogram.labels(request.method, endpoint, str(response.status_code)).observe(
                time.perf_counter() - started)
        return response

    app.register_blueprint(bp)
