"""A tenant's look in the portal and the staff pages (issue 17): its colours as KERN's custom
properties in a small style sheet (the CSP allows no inline styles), its logo, and the links and
names the templates show. A tenant without settings (the default tenant of every installation
so far) adds nothing: the pages look as they did before tenants."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, Flask, Response, abort, request

from engine.services import tenants as tenant_service
from engine.services.tenants import Tenant
from webui.auth import engine
from webui.tenant_web import request_tenant

bp = Blueprint("branding", __name__, url_prefix="/assets/mandant")
COLOURS = ("primary_colour", "accent_colour")


def style_sheet(tenant: Tenant) -> str:
    """KERN's action colour (buttons, links, focus) and the header's accent line."""
    primary, accent = tenant.setting("primary_colour"), tenant.setting("accent_colour")
    lines = [":root {"]
    if primary:
        lines += [f"  --kern-color-action-default: {primary};", f"  --amtsflow-brand: {primary};"]
    if accent:
        lines.append(f"  --amtsflow-accent: {accent};")
    lines.append("}")
    if primary:
        lines.append(".site-brand { color: var(--amtsflow-brand); }")
        lines.append(".site-brand:focus-visible { outline-color: var(--amtsflow-brand); }")
    if accent:
        lines.append(".site-header { border-bottom: 4px solid var(--amtsflow-accent); }")
    return "\n".join(lines) + "\n"


def version(tenant: Tenant) -> str:
    """Changes with the colours and the logo: a new URL, so browsers never show stale branding."""
    shown = {k: tenant.setting(k) for k in (*COLOURS, "logo")}
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:12]


@bp.get("/stil.css")
def css() -> Response:
    tenant = request_tenant()
    if tenant is None:
        abort(404)
    response = Response(style_sheet(tenant), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=86400" if request.args.get("v") == version(tenant) else "no-cache"
    return response


@bp.get("/logo")
def logo() -> Response:
    tenant = request_tenant()
    found = tenant_service.logo(engine(), tenant) if tenant is not None else None
    if tenant is None or found is None:
        abort(404)
    content, media_type = found
    response = Response(content, mimetype=media_type)
    # an SVG opened on its own must not run anything (the upload check refuses scripts as well)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response.headers["Cache-Control"] = "public, max-age=86400" if request.args.get("v") == version(tenant) else "no-cache"
    return response


def _branding() -> dict[str, Any]:
    tenant = request_tenant()
    if tenant is None:
        return {"tenant": None, "tenant_style": False, "tenant_logo": False, "tenant_version": ""}
    return {"tenant": tenant, "tenant_style": any(tenant.setting(k) for k in COLOURS),
            "tenant_logo": bool(tenant.setting("logo")), "tenant_version": version(tenant)}


def init_branding(app: Flask) -> None:
    app.register_blueprint(bp)
    app.context_processor(_branding)
