"""Flask app factory: the composition root of the web process."""

from __future__ import annotations

import secrets
from typing import Any, Mapping

from flask import Flask

from engine.bootstrap import Engine, build_engine
from engine.domain.errors import ConfigurationError
from engine.settings import Settings
from webui.config import web_config


NO_SECRET = ("AMTSFLOW_SECRET_KEY is not set: sessions and forms cannot be protected (set it to a long random "
             "value, e.g. the output of `python -c 'import secrets; print(secrets.token_hex(32))'`, or run "
             "`amtsflow demo` for a local first look)")
MIN_SECRET_LENGTH = 32   # characters; `serve` refuses a shorter AMTSFLOW_SECRET_KEY (a guessable key forges sessions)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None,
               test_config: Mapping[str, Any] | None = None, keep_connections: bool = False) -> Flask:
    """``keep_connections``: each request thread keeps its pooled database connection across
    requests (Engine.keep_connection; PostgreSQL), for a server whose request
    threads live as long as the process (``amtsflow serve``'s gunicorn workers)."""
    app = Flask(__name__)
    settings = settings or Settings.from_env()
    secret = settings.secret_key
    if secret is None and (settings.demo or (test_config or {}).get("TESTING")):
        secret = secrets.token_hex(32)   # demo and tests only; production needs AMTSFLOW_SECRET_KEY
    if secret is None:   # at start, not as a 500 on every request
        raise ConfigurationError(NO_SECRET)
    app.config.update(SECRET_KEY=secret, **web_config(settings, test_config))
    if test_config:
        app.config.update(test_config)
    app.extensions["amtsflow"] = engine or build_engine(settings)
    app.extensions["amtsflow_settings"] = settings
    from webui import routes
    routes.init_app(app)
    from engine.services.identity import prepare_login_checks
    prepare_login_checks()
    from webui.request_tenant import init_request_tenant
    init_request_tenant(app)   # first of the request hooks: every request acts for one tenant
    if keep_connections:
        engine_ = app.extensions["amtsflow"]

        def keep() -> None:
            engine_.keep_connection()

        app.before_request(keep)
    return app
