"""The provider's operators (role ``provider``): the tenants of the installation, and acting for
one of them in the staff pages (issue 17). A switch is audited (who, which tenant, when);
everyone else only ever sees the tenant whose host or path prefix they use."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, ngettext

from engine.domain.errors import AmtsflowError
from engine.services import tenants
from engine.services.tenant_settings import TenantInvalid
from engine.tenancy import tenant_scope
from webui.auth import current_user, engine, require_roles
from webui.tenant_paths import app_segments
from webui.tenant_web import request_tenant_id, router

bp = Blueprint("provider", __name__, url_prefix="/anbieter")
STAFF_BLUEPRINTS = ("studio", "inbox", "admin", "provider")
TEXT_FIELDS = ("primary_colour", "accent_colour", "contact_phone", "contact_email", "imprint_url",
               "accessibility_url", "portal_url")


@bp.before_request
@require_roles("provider")
def _providers_only() -> None:
    return None


@bp.get("/")
def index() -> Any:
    listed = tenants.list_tenants(engine())
    # a deactivated municipality's open jobs wait (engine/jobs.py): the provider sees how many
    waiting = {t.id: tenants.waiting_jobs(engine(), t.id) for t in listed if not t.active}
    return render_template("provider/index.html", tenants=listed, waiting=waiting,
                           acting=session.get("acting_tenant") or request_tenant_id())


@bp.post("/wechseln")
def switch() -> Any:
    user = current_user()
    assert user is not None
    wanted = request.form.get("tenant", "")
    try:
        tenant = tenants.get_tenant(engine(), wanted)
    except AmtsflowError:
        abort(404)
    tenants.record_switch(engine(), user.username, tenant.id)
    session["acting_tenant"] = tenant.id
    flash(_("Sie arbeiten jetzt für %(name)s.", name=tenant.name), "success")
    return redirect(url_for("provider.index"))


def _form_values() -> dict[str, Any]:
    settings: dict[str, Any] = {k: request.form.get(k, "").strip() for k in TEXT_FIELDS}
    settings["address"] = [line for line in request.form.get("address", "").splitlines() if line.strip()]
    return settings


def _save(tenant_id: str | None) -> tuple[dict[str, str], str]:
    """Add or update from the form; (field errors in German, the tenant's id)."""
    form = request.form
    new_id = tenant_id or form.get("id", "").strip()
    reserved = app_segments(current_app)
    try:
        if tenant_id is None:
            tenants.add_tenant(engine(), new_id, form.get("name", ""), host=form.get("host"),
                               path_prefix=form.get("path_prefix"), settings=_form_values(), reserved_prefixes=reserved)
        else:
            tenants.update_tenant(engine(), tenant_id, name=form.get("name", ""), host=form.get("host") or None,
                                  path_prefix=form.get("path_prefix") or None, settings=_form_values(),
                                  active=form.get("active") == "ja", reserved_prefixes=reserved)
        upload = request.files.get("logo")
        if upload is not None and upload.filename:
            tenants.set_logo(engine(), new_id, upload.read(current_app.config["AMTSFLOW_MAX_UPLOAD_BYTES"]))
        elif form.get("remove_logo") == "ja":
            tenants.set_logo(engine(), new_id, None)
    except TenantInvalid as exc:
        return exc.field_errors, new_id
    except AmtsflowError as exc:
        return {"id": exc.user_message}, new_id
    router(current_app).invalidate()
    return {}, new_id


@bp.route("/mandanten/neu", methods=["GET", "POST"])
def new_tenant() -> Any:
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors, new_id = _save(None)
        if not errors:
            flash(_("Der Mandant wurde angelegt."), "success")
            return redirect(url_for("provider.edit_tenant", tenant_id=new_id))
    return render_template("provider/tenant.html", tenant=None, values=request.form, errors=errors), (400 if errors else 200)


@bp.route("/mandanten/<tenant_id>", methods=["GET", "POST"])
def edit_tenant(tenant_id: str) -> Any:
    try:
        current = tenants.get_tenant(engine(), tenant_id)
    except AmtsflowError:
        abort(404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors, _id = _save(tenant_id)
        if not errors:
            flash(_("Die Änderungen wurden gespeichert."), "success")
            if current.active and request.form.get("active") != "ja":
                flash(_paused_message(tenants.waiting_jobs(engine(), tenant_id)), "info")
            return redirect(url_for("provider.edit_tenant", tenant_id=tenant_id))
        values: Any = request.form
    else:
        values = {"name": current.name, "host": current.host or "", "path_prefix": current.path_prefix or "",
                  "address": "\n".join(current.settings.get("address") or []),
                  "active": "ja" if current.active else "",
                  **{k: current.settings.get(k) or "" for k in TEXT_FIELDS}}
    return render_template("provider/tenant.html", tenant=current, values=values, errors=errors), (400 if errors else 200)


def _paused_message(waiting: int) -> str:
    """What deactivating a municipality means for its running cases, in German."""
    return str(ngettext("Der Mandant ist deaktiviert: Portal, Anmeldung und Schnittstellen antworten nicht mehr, und "
                    "%(num)d offener Auftrag (Frist oder Dienstaufruf) ruht, bis er wieder aktiv ist. "
                    "Personenbezogene Daten, deren Aufbewahrungsfrist abläuft, werden weiterhin gelöscht.",
                    "Der Mandant ist deaktiviert: Portal, Anmeldung und Schnittstellen antworten nicht mehr, und "
                    "%(num)d offene Aufträge (Fristen, Dienstaufrufe) ruhen, bis er wieder aktiv ist. "
                    "Personenbezogene Daten, deren Aufbewahrungsfrist abläuft, werden weiterhin gelöscht.",
                    waiting))


def _act_for_chosen_tenant() -> None:
    """A provider's operator who switched works in the staff pages for the chosen tenant."""
    acting = session.get("acting_tenant")
    user = current_user()
    if not acting or user is None or not user.has_role("provider") or request.blueprint not in STAFF_BLUEPRINTS:
        return
    stack = ExitStack()
    stack.enter_context(tenant_scope(acting))
    g.acting_scope = stack
    g.acting_tenant = acting


def _leave_chosen_tenant(_exc: BaseException | None) -> None:
    stack: ExitStack | None = g.pop("acting_scope", None)
    if stack is not None:
        stack.close()


def _acting() -> dict[str, Any]:
    acting = g.get("acting_tenant")
    if not acting:
        return {"acting_tenant": None}
    try:
        return {"acting_tenant": tenants.get_tenant(engine(), acting)}
    except AmtsflowError:
        return {"acting_tenant": None}


def init_provider(app: Flask) -> None:
    """After init_auth: the acting tenant is chosen once the user is known."""
    app.before_request(_act_for_chosen_tenant)
    app.teardown_request(_leave_chosen_tenant)
    app.context_processor(_acting)
    app.register_blueprint(bp)
