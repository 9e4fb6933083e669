"""Blueprint registration (each audience has its own package)."""

from __future__ import annotations

from flask import Flask

from webui.accounts.oidc import init_oidc
from webui.auth import init_auth
from webui.errors import init_errors
from webui.i18n import init_i18n
from webui.ops import init_ops
from webui.security import csrf_exempt, init_security, limit_public_forms
from webui.provider.views import init_provider
from webui.tenant_branding import init_branding
from webui.tenant_web import init_tenant_web
from webui.templating import init_templating


def init_app(app: Flask) -> None:
    """Register the blueprints of every audience (portal, inbox, studio, admin, api)."""
    from webui import assets
    from webui.accounts import views as accounts
    from webui.admin import views as admin
    from webui.api import blueprint as api
    from webui.api import callbacks, cockpit as api_cockpit, operations as api_operations, overrides as api_overrides, views as api_views  # noqa: F401 (routes on api.bp)
    from webui.engine_rest.routes import register as engine_rest
    from webui.inbox import views as inbox
    from webui.portal import blueprint as portal
    from webui.portal import payment, verify, views as portal_views  # noqa: F401 (routes on portal.bp)
    from webui.studio import blueprint as studio
    from webui.studio import cases as studio_cases, changes, figures as studio_figures, migration as studio_migration, operations as studio_operations, overrides as studio_overrides, views as studio_views  # noqa: F401

    init_tenant_web(app)       # first: every other hook runs inside the request's tenant
    init_security(app)
    init_i18n(app)
    init_auth(app)
    init_errors(app)
    init_templating(app)
    init_oidc(app)
    init_branding(app)
    init_provider(app)
    init_ops(app)
    rest = engine_rest()
    for blueprint in (assets.bp, accounts.bp, portal.bp, inbox.bp, studio.bp, admin.bp, api.bp, rest):
        app.register_blueprint(blueprint)
    csrf_exempt(app, api.bp)    # the API checks CSRF itself for cookie-authenticated writes
    csrf_exempt(app, rest)      # engine-rest accepts no browser session (tokens and Basic only)
    limit_public_forms(app, {
        "accounts.login": "AMTSFLOW_LOGIN_RATE_LIMIT",
        "accounts.demo_idp": "AMTSFLOW_LOGIN_RATE_LIMIT",
        "portal.apply": "AMTSFLOW_FORM_RATE_LIMIT",
        "portal.task": "AMTSFLOW_FORM_RATE_LIMIT",
        "portal.case_link": "AMTSFLOW_FORM_RATE_LIMIT",
    })
