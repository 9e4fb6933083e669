"""Which tenant a web request is for, and running the request inside it (issue 17).

A WSGI middleware in front of the Flask app resolves the tenant before routing:

1. by host name (``musterstadt.serviceportal.example``; behind AMTSFLOW_TRUSTED_PROXIES proxies
   the X-Forwarded-Host they set, through werkzeug's ProxyFix);
2. on the default tenant's host (or any host when no tenant has one), by the first path segment
   (``/musterstadt/...``): the prefix moves from PATH_INFO to SCRIPT_NAME, so routing sees the
   app's own paths and ``url_for`` writes prefixed URLs;
3. otherwise the default tenant, when it is active.

When tenants have host names, an unknown host is answered with 404 (never with another
tenant's portal); only the installation's health and metrics endpoints answer on any host.

The request then runs inside ``engine.tenancy.tenant_scope(tenant)``: this is the one place
where web requests enter a tenant. Each tenant has its own session cookie (name and path), and
a session remembers the tenant it was signed in to (webui.auth refuses it elsewhere).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Iterable

from flask import Flask, Request, Response, abort, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.bootstrap import Engine
from engine.domain.errors import DatabaseUnreachable
from engine.outage import reason, unreachable
from engine.services import tenants as tenant_service
from engine.services.tenants import Route, Tenant
from engine.tenancy import DEFAULT_TENANT, tenant_scope

log = logging.getLogger(__name__)
ENVIRON_KEY = "amtsflow.tenant"
UNKNOWN_KEY = "amtsflow.tenant_unknown"
UNREACHABLE_KEY = "amtsflow.database_unreachable"   # no tenants' table yet and the database does not answer
INSTALLATION_PATHS = ("health", "metrics")   # answer on any host: probes and scrapers use IPs

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class TenantRouter:
    """WSGI middleware: resolve the tenant, move its path prefix into SCRIPT_NAME, run the app in
    the tenant's scope."""

    def __init__(self, inner: WsgiApp, engine: Engine, cache_seconds: float) -> None:
        self.inner = inner
        self.engine = engine
        self.cache_seconds = cache_seconds
        self._route: Route | None = None
        self._loaded = 0.0
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._route = None

    def route(self) -> Route | None:
        """The tenants' routing table, read again after ``cache_seconds``. While the database
        does not answer (a restart, a fail-over), the table read last stays in use (tenants
        change rarely; the request itself then meets the database or not); None when there is
        none yet (the request is answered 503)."""
        with self._lock:
            if self._route is not None and time.monotonic() - self._loaded < self.cache_seconds:
                return self._route
        try:
            fresh = tenant_service.routing_table(self.engine)
        except Exception as exc:
            if not unreachable(exc):
                raise
            log.warning("tenants' table not read, the database does not answer (%s); %s",
                        reason(exc),
                        "routing with the table read last" if self._route is not None else "answering 503")
            with self._lock:   # asked again after cache_seconds, not on every request meanwhile
                self._loaded = time.monotonic()
                return self._route
        with self._lock:
            self._route, self._loaded = fresh, time.monotonic()
        return fresh

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        first = (environ.get("PATH_INFO") or "/").lstrip("/").split("/", 1)[0]
        if first in INSTALLATION_PATHS:   # health and metrics answer without the tenants' table (it may be down)
            environ[ENVIRON_KEY] = None
            with tenant_scope(DEFAULT_TENANT):
                return self.inner(environ, start_response)
        route = self.route()
        if route is None:   # answered by the app with its 503 page (no tenant: the installation's look)
            environ[ENVIRON_KEY] = None
            environ[UNREACHABLE_KEY] = True
            with tenant_scope(DEFAULT_TENANT):
                return self.inner(environ, start_response)
        tenant, prefix = resolve(route, _host(environ), environ.get("PATH_INFO") or "/")
        if prefix:
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "").rstrip("/") + "/" + prefix
            environ["PATH_INFO"] = (environ.get("PATH_INFO") or "/")[len(prefix) + 1:] or "/"
        environ[ENVIRON_KEY] = tenant
        if tenant is None:
            first = (environ.get("PATH_INFO") or "/").lstrip("/").split("/", 1)[0]
            if first in INSTALLATION_PATHS:
                with tenant_scope(DEFAULT_TENANT):
                    return self.inner(environ, start_response)
            environ[UNKNOWN_KEY] = True
            return self.inner(environ, start_response)   # answered with the 404 page, no tenant
        with tenant_scope(tenant.id):
            return self.inner(environ, start_response)


def resolve(route: Route, host: str, path: str) -> tuple[Tenant | None, str | None]:
    """(tenant, path prefix taken off the path) for a request; (None, None): no tenant answers."""
    by_host = route.by_host.get(host)
    if by_host is not None and not by_host.is_default:
        return by_host, None
    host_routed = bool(route.by_host)
    default_host = route.default is not None and route.default.host == host
    if host_routed and by_host is None and not default_host:
        return None, None
    first = path.lstrip("/").split("/", 1)[0]
    by_prefix = route.by_prefix.get(first)
    if by_prefix is not None and first:
        return by_prefix, first
    return route.default, None


def _host(environ: dict[str, Any]) -> str:
    host = str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "").strip().lower()
    if host.startswith("["):                       # IPv6 literal with or without a port
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0].rstrip(".")


def request_tenant() -> Tenant | None:
    """The tenant this request was resolved to (None: an unknown host)."""
    tenant: Tenant | None = request.environ.get(ENVIRON_KEY)
    return tenant


def request_tenant_id() -> str:
    tenant = request_tenant()
    return tenant.id if tenant is not None else DEFAULT_TENANT


def router(app: Flask) -> TenantRouter:
    return app.extensions["amtsflow_tenant_router"]  # type: ignore[no-any-return]


class TenantSessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions, one cookie per tenant: its own name and, under a path prefix, the
    prefix as cookie path, so that a browser keeps separate sign-ins per municipality."""

    def get_cookie_name(self, app: Flask) -> str:
        base = str(app.config["SESSION_COOKIE_NAME"])
        tenant = request.environ.get(ENVIRON_KEY)
        return base if tenant is None or tenant.id == DEFAULT_TENANT else f"{base}_{tenant.id}"

    def get_cookie_path(self, app: Flask) -> str:
        return request.script_root or str(app.config.get("SESSION_COOKIE_PATH") or "/")

    # Flask's open_session builds the signing serializer (key derivation objects) before it looks
    # for the cookie, and save_session asks seven cookie settings before it sees that an empty,
    # unchanged session sets no cookie: Python on every request of an API client, which sends
    # no cookie. The same outcomes, without that work where no cookie is involved.
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def init_tenant_web(app: Flask) -> None:
    """Resolve tenants before routing (behind the trusted proxies' ProxyFix) and refuse unknown hosts."""
    engine: Engine = app.extensions["amtsflow"]
    tenant_router = TenantRouter(app.wsgi_app, engine, float(app.config["AMTSFLOW_TENANT_CACHE_SECONDS"]))
    app.extensions["amtsflow_tenant_router"] = tenant_router
    proxies = int(app.config["AMTSFLOW_TRUSTED_PROXIES"])
    wrapped: Any = tenant_router
    if proxies:
        wrapped = ProxyFix(wrapped, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies, x_prefix=proxies)
    app.wsgi_app = wrapped  # type: ignore[method-assign]
    app.session_interface = TenantSessionInterface()

    @app.before_request
    def _refuse_unknown_host() -> None:
        if request.environ.get(UNREACHABLE_KEY):
            raise DatabaseUnreachable("the database does not answer: the tenants' table could not be read")
        if request.environ.get(UNKNOWN_KEY):
            log.info("no tenant for host %r: 404", request.host)
            abort(404)
