"""The tenant a web request acts for (issue 17): every request runs in one tenant's scope.

webui/tenant_web.py resolves the tenant from the host name or path prefix (its WSGI middleware
already runs the request in that tenant's scope); :func:`resolve_request_tenant` is the one place
the Flask request hooks take it from. A request with an API token acts for the token's tenant
instead (webui/auth.py switches with :func:`act_for`).
"""

from __future__ import annotations

from flask import Flask, g

from engine.tenancy import current_scope, enter, leave


def resolve_request_tenant() -> str:
    """The tenant of the current request (TENANT RESOLUTION HOOK: host name or path prefix, as
    webui/tenant_web.py resolved it; the default tenant when nothing resolved one)."""
    from webui.tenant_web import request_tenant_id

    return request_tenant_id()


def act_for(tenant_id: str) -> None:
    """From here on the request acts for ``tenant_id`` (an API token's tenant)."""
    _leave()
    token = enter(tenant_id)
    g.amtsflow_scope = (token, current_scope())


def _enter() -> None:
    tenant_id = resolve_request_tenant()
    scope = current_scope()
    if scope is None or scope.tenant_id != tenant_id:   # the tenant middleware entered it already
        act_for(tenant_id)


def _leave(_error: BaseException | None = None) -> None:
    """Undo :func:`act_for`, unless the scope was left already: a streamed response's teardown
    runs after the tenant middleware's scope ended, and resetting then would bring back the
    request's tenant in the thread (for the next request or test)."""
    entered = g.pop("amtsflow_scope", None)
    if entered is not None and current_scope() is entered[1]:
        leave(entered[0])


def init_request_tenant(app: Flask) -> None:
    """Registered before every other request hook: they read tenant-owned tables already."""
    app.before_request_funcs.setdefault(None, []).insert(0, _enter)
    app.teardown_request(_leave)
