"""Web configuration from AMTSFLOW_* environment variables, read when the app is created."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from engine.domain.errors import ConfigurationError
from engine.settings import Settings, env_number
from webui.engine_rest.long_polls import long_poll_config

ROOT = Path(__file__).resolve().parents[1]


def web_config(settings: Settings, test_config: Mapping[str, Any] | None,
               environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Flask config keys for the web layer; test_config values are applied over these by the caller."""
    env = os.environ if environ is None else environ
    testing = bool((test_config or {}).get("TESTING"))
    insecure_http = settings.demo or testing or env.get("AMTSFLOW_INSECURE_COOKIES", "") in ("1", "true", "yes")
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not insecure_http,
        "SESSION_COOKIE_NAME": "amtsflow_session",
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "MAX_CONTENT_LENGTH": env_number(env, "AMTSFLOW_MAX_REQUEST_BYTES", int, 25 * 1024 * 1024),
        "AMTSFLOW_MAX_BODY_BYTES": env_number(env, "AMTSFLOW_MAX_BODY_BYTES", int, 1024 * 1024),   # all but uploads
        "AMTSFLOW_MAX_UPLOAD_BYTES": env_number(env, "AMTSFLOW_MAX_UPLOAD_BYTES", int, 10 * 1024 * 1024),
        "AMTSFLOW_MAX_ZIP_ENTRIES": 200,
        # the payment return page waits this long for the platform's booking before it answers
        "AMTSFLOW_PAYMENT_WAIT_SECONDS": env_number(env, "AMTSFLOW_PAYMENT_WAIT_SECONDS", float, 5.0, least=0),
        "AMTSFLOW_MAX_ZIP_BYTES": 20 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,      # bound to the session instead
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": settings.timezone,
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "RATELIMIT_STORAGE_URI": env.get("AMTSFLOW_RATELIMIT_STORAGE_URI", "memory://"),
        "AMTSFLOW_FORM_RATE_LIMIT": env.get("AMTSFLOW_FORM_RATE_LIMIT", "30 per minute"),
        "AMTSFLOW_LOGIN_RATE_LIMIT": env.get("AMTSFLOW_LOGIN_RATE_LIMIT", "10 per minute"),
        "AMTSFLOW_NODE_MODULES": env.get("AMTSFLOW_NODE_MODULES", str(ROOT / "node_modules")),
        "AMTSFLOW_DEMO_IDP": settings.demo or testing or env.get("AMTSFLOW_DEMO_IDP", "") in ("1", "true", "yes"),
        "AMTSFLOW_OIDC": _oidc(env),
        "AMTSFLOW_SITE_NAME": env.get("AMTSFLOW_SITE_NAME", "Serviceportal Musterstadt"),
        **long_poll_config(env),
        # reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host/-Port/-Prefix are
        # trusted (0: none; the tenant is then resolved from the Host header the server sees)
        "AMTSFLOW_TRUSTED_PROXIES": env_number(env, "AMTSFLOW_TRUSTED_PROXIES", int, 0, least=0),
        # how long a web process keeps the tenants' hosts and prefixes before reading them again
        "AMTSFLOW_TENANT_CACHE_SECONDS": env_number(env, "AMTSFLOW_TENANT_CACHE_SECONDS", float, 5.0, least=0),
    }


def _oidc(env: Mapping[str, str]) -> dict[str, str] | None:
    """OpenID Connect client for production (e.g. Keycloak or BundID through a broker)."""
    issuer = env.get("AMTSFLOW_OIDC_ISSUER")
    if not issuer:
        return None
    client_id = env.get("AMTSFLOW_OIDC_CLIENT_ID")
    secret = env.get("AMTSFLOW_OIDC_CLIENT_SECRET")
    if not client_id or not secret:
        raise ConfigurationError("AMTSFLOW_OIDC_ISSUER is set: AMTSFLOW_OIDC_CLIENT_ID and "
                                 "AMTSFLOW_OIDC_CLIENT_SECRET are required too")
    return {
        "issuer": issuer.rstrip("/"),
        "client_id": client_id,
        "client_secret": secret,
        "scope": env.get("AMTSFLOW_OIDC_SCOPE", "openid profile email"),
        "trust_claim": env.get("AMTSFLOW_OIDC_TRUST_CLAIM", "acr"),
        "name": env.get("AMTSFLOW_OIDC_LABEL", "BundID"),
    }
