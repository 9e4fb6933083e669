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
    _limiter_after_hooks_only_when_checked(app, limiter)
    app.after_request(_headers)


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


def _limiter_after_hooks_only_when_checked(app: Flask, limiter: Limiter) -> None:
    """Flask-Limiter's after-request hook (the X-RateLimit headers, deductions that depend on
    the response) and its teardown look at the request's limiter state, and the first look
    creates it: on a request that checked no limit (every API request while no limit for all
    routes is set) they find nothing to do, for about 3 % of the request's CPU. They run only
    when a limit was checked in this request (that check made the state)."""
    from flask.globals import request_ctx

    def when_checked(hook: Callable[[Any], Any], passes_through: bool) -> Callable[[Any], Any]:
        def run(value: Any) -> Any:
            if hasattr(request_ctx, "_limiter_request_context"):
                return hook(value)
            return value if passes_through else None
        return run

    def of_limiter(hook: Any) -> bool:   # partial(Limiter.__inject_headers, limiter), a bound method
        return getattr(hook, "__self__", None) is limiter or getattr(hook, "args", None) == (limiter,)

    for funcs, passes_through in ((app.after_request_funcs, True), (app.teardown_request_funcs, False)):
        hooks: list[Any] = funcs.get(None, [])
        hooks[:] = [when_checked(hook, passes_through) if of_limiter(hook) else hook for hook in hooks]


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
