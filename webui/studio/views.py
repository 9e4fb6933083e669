"""Process-owner studio: deploy models (files or ZIP), validation report, versions, diagram, KPIs."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, jsonify, render_template, request

from engine.domain.errors import DeploymentError, NotFound
from engine.services import incidents
from engine.services.deploy import deploy
from webui.auth import current_user, engine, require_roles
from engine.services import activity_times, kpis
from webui.templating import duration
from webui.studio.blueprint import bp, process_overview
from webui.studio.problem_text import shown
from webui.studio.cases import ENDPOINTS as CASE_ENDPOINTS
from webui.studio.upload import Limits, source_files



OPERATOR_ENDPOINTS = {"studio.incidents", "studio.incident", "studio.incident_retry", "studio.incident_resolve",
                      *CASE_ENDPOINTS}


@bp.before_request
def _owners_only() -> Any:
    """Process owners; the incident pages also admins (operations)."""
    roles = ("owner", "admin") if request.endpoint in OPERATOR_ENDPOINTS else ("owner",)
    return require_roles(*roles)(lambda: None)()


def _kpis(process_key: str | None = None) -> dict[str, Any]:
    return {"status": kpis.cases_by_status(engine(), process_key),
            "lead": kpis.lead_times(engine(), process_key),
            "breaches": kpis.deadline_breaches(engine(), engine().clock.now(), process_key)}


@bp.get("/")
def index() -> Any:
    return render_template("studio/index.html", processes=process_overview(), kpi=_kpis(),
                           open_incidents=len(incidents.list_incidents(engine())))


@bp.post("/bereitstellen")
def upload() -> Any:
    uploads = [(f.filename, f.read()) for f in request.files.getlist("files") if f and f.filename]
    limits = Limits(current_app.config["AMTSFLOW_MAX_ZIP_ENTRIES"], current_app.config["AMTSFLOW_MAX_ZIP_BYTES"])
    user = current_user()
    assert user is not None
    shared = request.form.get("shared") == "ja"   # the provider's library: every tenant sees it
    if shared and not user.has_role("provider"):
        abort(403)
    try:
        result = deploy(engine(), source_files(uploads, limits), actor=user.username, shared=shared)
    except DeploymentError as exc:
        return render_template("studio/report.html", problems=[shown(p) for p in exc.problems], result=None,
                               warnings=[], names=[n for n, _ in uploads], shared=shared), 400
    return render_template("studio/report.html", problems=[], result=result, names=[n for n, _ in uploads],
                           warnings=[shown(w) for w in result.warnings], shared=shared)


@bp.get("/prozesse/<key>")
def process(key: str) -> Any:
    entry = next((p for p in process_overview() if p["key"] == key), None)
    if entry is None:
        abort(404)
    wanted = request.args.get("version", type=int)
    version = next((v for v in entry["versions"] if v["version"] == wanted), entry["versions"][0])
    counts = kpis.open_items_per_element(engine(), version["id"])
    waits = activity_times.waiting_times(engine(), version["id"])
    model = engine().definitions.get(version["id"]).model
    activities = [{"id": e.id, "name": e.name, "kind": e.kind, "open": counts.get(e.id, 0), "wait": waits.get(e.id)}
                  for e in model.elements.values() if e.kind.endswith("Task")]
    return render_template("studio/process.html", process=entry, version=version, activities=activities,
                           kpi=_kpis(key))


@bp.get("/definitionen/<definition_id>/diagramm.json")
def diagram(definition_id: str) -> Any:
    try:
        xml = kpis.process_xml(engine(), definition_id)
    except NotFound:
        abort(404)
    counts = kpis.open_items_per_element(engine(), definition_id)
    waits = {element: {"completed": w.completed, "mean": duration(w.mean), "seconds": w.mean.total_seconds()}
             for element, w in activity_times.waiting_times(engine(), definition_id).items()}
    return jsonify(xml=xml, active=sorted(counts), counts=counts, waits=waits)
