"""Security on every route: CSRF, security headers (CSP), rate limits on public forms."""

from __future__ import annotations

from typing import Any, Callable

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from webui.inputguard import init_input_guard

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_security(app: Flask) -> None:
    init_input_guard(app)            # first: sets the body limit before anything reads the body
    csrf = CSRFProtect(app)
    app.extensions["amtsflow_csrf"] = csrf
    limiter = Limiter(get_remote_address, app=app, storage_uri=app.config["RATELIMIT_STORAGE_URI"],
                      default_limits=[], headers_enabled=True)
    app.extensions["amtsflow_limiter"] = limiter
    _check_limits_for_all_routes_only_when_set(app, limiter)
    app.after_request(_headers)
    app.before_request(_require_secret)


def _check_limits_for_all_routes_only_when_set(app: Flask, limiter: Limiter) -> None:
    """Flask-Limiter looks in a before_request hook at every request for the limits that apply
    to many routes: default, application, meta and blueprint limits, the in-memory fallback's.
    A route's own limit (``limiter.limit`` on a view: the public forms) is checked by the view's
    wrapper, not by the hook. amtsflow sets none of the former unless the operator configures
    them (RATELIMIT_DEFAULT, RATELIMIT_APPLICATION, RATELIMIT_META ...), and resolving that
    nothing applies cost about 5 % of an API request's CPU: the hook runs only while one is set
    (asked per request: limits may be added after start-up)."""
    hooks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit
    manager = limiter.limit_manager

    def check_when_set() -> None:
        if (manager._default_limits or manager._application_limits or manager._blueprint_limits
                or limiter._meta_limits or limiter._in_memory_fallback):
            check()

    if check in hooks:     # not when disabled (RATELIMIT_ENABLED=False): then it set no hooks
        hooks[hooks.index(check)] = check_when_set


def _headers(response: Response) -> Response:
    """The security headers a view has not set itself (one pass over the response's headers,
    not one search and one validated set per header)."""
    headers = response.headers
    present = {name.lower() for name, _value in headers}
    added = [(name, value) for name, value in HEADERS.items() if name.lower() not in present]
    if current_app.config.get("SESSION_COOKIE_SECURE") and "strict-transport-security" not in present:
        added.append(("Strict-Transport-Security", "max-age=31536000"))
    endpoint = request.endpoint
    if endpoint and not endpoint.startswith(("assets.", "static")) and "cache-control" not in present:
        added.append(("Cache-Control", "no-store"))
    headers.extend(added)
    return response


def _require_secret() -> None:
    if not current_app.config.get("SECRET_KEY"):
        raise RuntimeError("AMTSFLOW_SECRET_KEY is not set: sessions and forms cannot be protected "
                           "(set it, or run `amtsflow demo` for a local first look)")


def limit_public_forms(app: Flask, endpoints: dict[str, str]) -> None:
    """Rate-limit POSTs of the given endpoints; value = config key holding the limit ("10 per minute")."""
    limiter: Limiter = app.extensions["amtsflow_limiter"]
    for endpoint, config_key in endpoints.items():
        view = app.view_functions[endpoint]
        limited: Any = limiter.limit(_config_value(config_key), methods=["POST"])(view)
        app.view_functions[endpoint] = limited


def _config_value(key: str) -> Callable[[], str]:
    return lambda: str(current_app.config[key])


def csrf_exempt(app: Flask, blueprint: Any) -> None:
    app.extensions["amtsflow_csrf"].exempt(blueprint)
