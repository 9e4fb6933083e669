"""Log records that say which request and which case they belong to, and JSON logs.

``AMTSFLOW_LOG_FORMAT=json`` makes every log line one JSON object (python-json-logger) with
``request_id`` (from the web request, ``X-Request-ID`` when a proxy sends one), ``case_id``
(the case a command or job works on) and ``tenant`` (the municipality the request, command or
job acts for) where known; the default is plain text for people.
"""

from __future__ import annotations

import logging
import os
import sys
from contextvars import ContextVar

from engine.domain.errors import ConfigurationError
from engine.tenancy import tenant_or_none

request_id: ContextVar[str | None] = ContextVar("amtsflow_request_id", default=None)
case_id: ContextVar[str | None] = ContextVar("amtsflow_case_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def bind_case(value: str | None) -> None:
    """The case the current request, command or job works on (until the next one binds another)."""
    case_id.set(value)


class ContextFilter(logging.Filter):
    """Adds request_id, case_id and tenant to every record (None when unknown; the tenant also
    for work that acts for every tenant, as the worker's acquisition)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.case_id = case_id.get()
        record.tenant = tenant_or_none()
        return True


LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def configure(log_format: str | None = None, level: str | None = None) -> None:
    """Set up the root logger once per process (CLI entry points call this)."""
    from pythonjsonlogger.json import JsonFormatter

    chosen = (log_format or os.environ.get("AMTSFLOW_LOG_FORMAT") or "text").strip().lower()
    if chosen not in ("text", "json"):
        raise ConfigurationError(f"AMTSFLOW_LOG_FORMAT must be text or json, not {chosen!r}")
    chosen_level = (level or os.environ.get("AMTSFLOW_LOG_LEVEL") or "INFO").strip().upper()
    if chosen_level not in LEVELS:
        raise ConfigurationError(f"AMTSFLOW_LOG_LEVEL must be one of {', '.join(LEVELS)}, not {chosen_level!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    if chosen == "json":
        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(case_id)s %(tenant)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_amtsflow", False)]:
        root.removeHandler(old)
    handler._amtsflow = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    # Our own loggers (and the web server's "Serving on") at the chosen level; libraries only
    # when something goes wrong (SpiffWorkflow logs every task state change at INFO).
    root.setLevel(logging.WARNING)
    for name in ("amtsflow", "waitress", "gunicorn.error"):
        logging.getLogger(name).setLevel(chosen_level)
