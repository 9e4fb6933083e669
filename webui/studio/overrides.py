"""Studio: the current tenant's overrides of a shared process (issue 17): list, upload, compare
with the shared file, withdraw. The tenant is the request's (webui.tenant_web); process owners."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.domain.errors import AmtsflowError, DeploymentError, NotFound
from engine.services import overrides
from engine.tenancy import current_tenant
from webui.auth import current_user, engine
from webui.studio.blueprint import bp, process_overview
from webui.studio.problem_text import shown

MAX_BYTES = overrides.MAX_BYTES


def _process(key: str) -> dict[str, Any]:
    entry = next((p for p in process_overview() if p["key"] == key), None)
    if entry is None:
        abort(404)
    return entry


def _page(key: str, problems: list[Any] | None = None, comparison: Any = None) -> Any:
    tenant = current_tenant()
    return render_template(
        "studio/overrides.html", process=_process(key), tenant_id=tenant,
        current=overrides.list_current(engine(), tenant, key), files=overrides.overridable_files(engine(), key),
        problems=problems or [], comparison=comparison), 400 if problems else 200


@bp.get("/prozesse/<key>/anpassungen", endpoint="overrides")
def overrides_page(key: str) -> Any:
    comparison = None
    chosen = request.args.get("vergleich")
    if chosen:
        try:
            comparison = overrides.compare(engine(), current_tenant(), key, chosen)
        except NotFound:
            abort(404)
    return _page(key, comparison=comparison)


@bp.post("/prozesse/<key>/anpassungen", endpoint="override_upload")
def override_upload(key: str) -> Any:
    _process(key)
    upload = request.files.get("datei")
    name = request.form.get("ersetzt") or (upload.filename if upload else "") or ""
    if upload is None or not upload.filename:
        flash(_("Bitte wählen Sie eine Datei aus."), "danger")
        return redirect(url_for("studio.overrides", key=key), 303)
    user = current_user()
    assert user is not None
    try:
        o = overrides.upload(engine(), current_tenant(), key, name, upload.read(MAX_BYTES + 1), actor=user.username,
                             comment=request.form.get("kommentar") or None)
    except DeploymentError as exc:
        return _page(key, problems=[shown(p) for p in exc.problems])
    except AmtsflowError as exc:
        flash(exc.user_message, "danger")
        return redirect(url_for("studio.overrides", key=key), 303)
    flash(_("Anpassung %(file)s gespeichert (Version %(v)s). Neue Vorgänge verwenden sie; laufende bleiben bei "
            "ihrer Fassung.", file=o.file_name, v=o.version), "success")
    return redirect(url_for("studio.overrides", key=key, vergleich=o.file_name), 303)


@bp.post("/prozesse/<key>/anpassungen/<file_name>/zurueckziehen", endpoint="override_withdraw")
def override_withdraw(key: str, file_name: str) -> Any:
    user = current_user()
    assert user is not None
    try:
        overrides.withdraw(engine(), current_tenant(), key, file_name, actor=user.username)
    except NotFound:
        abort(404)
    flash(_("Die Anpassung von %(file)s ist zurückgezogen; neue Vorgänge verwenden wieder die gemeinsame Datei.",
            file=file_name), "success")
    return redirect(url_for("studio.overrides", key=key), 303)
