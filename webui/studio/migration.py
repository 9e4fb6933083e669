"""Studio: migrate running cases of a process to another version (plan, dry run, batch, progress)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.domain.errors import AmtsflowError, FormValidationError, NotFound
from engine.services import case_migration
from engine.services.case_migration import MigrationPlan
from webui.auth import current_user, engine
from webui.studio.blueprint import bp, process_overview

SAMPLE = 10


def _process(key: str) -> dict[str, Any]:
    entry = next((p for p in process_overview() if p["key"] == key), None)
    if entry is None:
        abort(404)
    return entry


def _plan(key: str, source: int, target: int, form: Any) -> tuple[MigrationPlan, Any]:
    proposal = case_migration.propose(engine(), key, source, target)
    mapping = dict(proposal.plan.mapping)
    for element in proposal.source:
        chosen = form.get(f"ziel-{element.id}")
        if chosen is None:
            continue
        if chosen:
            mapping[element.id] = chosen
        else:
            mapping.pop(element.id, None)
    return MigrationPlan(key, source, target, mapping), proposal


def _versions(entry: dict[str, Any]) -> tuple[int, int]:
    numbers = sorted(v["version"] for v in entry["versions"])
    source = request.values.get("von", type=int) or (numbers[-2] if len(numbers) > 1 else numbers[-1])
    target = request.values.get("nach", type=int) or numbers[-1]
    return source, target


@bp.route("/prozesse/<key>/migration", methods=["GET", "POST"], endpoint="migration")
def migration_page(key: str) -> Any:
    entry = _process(key)
    source, target = _versions(entry)
    results, errors = None, {}
    try:
        plan, proposal = _plan(key, source, target, request.form if request.method == "POST" else {})
    except NotFound:
        abort(404)
    running = len(case_migration.running_cases(engine(), key, source))
    if request.method == "POST":
        try:
            if request.form.get("aktion") == "starten":
                user = current_user()
                assert user is not None
                batch_id = case_migration.start_batch(engine(), plan, actor=user.username,
                                                      comment=request.form.get("kommentar", ""))
                flash(_("Die Migration läuft; der Stand aktualisiert sich, wenn Sie die Seite neu laden."), "success")
                return redirect(url_for("studio.migration_batch", batch_id=batch_id), 303)
            results = case_migration.dry_run(engine(), plan, sample=SAMPLE, actor="probelauf")
        except FormValidationError as exc:
            errors = exc.field_errors
        except AmtsflowError as exc:
            flash(exc.user_message, "danger")
    status = 400 if errors else 200
    return render_template("studio/migration.html", process=entry, source=source, target=target, plan=plan,
                           proposal=proposal, results=results, errors=errors, running=running,
                           sample=SAMPLE), status


@bp.get("/migrationen/<batch_id>", endpoint="migration_batch")
def migration_batch(batch_id: str) -> Any:
    try:
        batch = case_migration.get_batch(engine(), batch_id)
    except NotFound:
        abort(404)
    return render_template("studio/migration_batch.html", batch=batch, process=_process(batch.process_key))
