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
    app.after_request(_headers)
    app.before_request(_require_secret)


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint and not request.endpoint.startswith(("assets.", "static")):
        response.headers.setdefault("Cache-Control", "no-store")
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
