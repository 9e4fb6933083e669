"""Configuration from AMTSFLOW_* environment variables (read when asked, never at import)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from engine.domain.errors import ConfigurationError
from engine.persistence.db import default_sqlite_url, sqlite_file
from engine.runtime.budget import Limits

__all__ = ["Settings", "sqlite_file"]


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_sqlite_url)
    secret_key: str | None = None
    demo: bool = False
    embedded_worker: bool | None = None   # worker thread inside the web process; None: only on SQLite
    job_lock_seconds: int = 300
    default_retries: int = 3
    retry_backoff_seconds: float = 10.0
    message_ttl_seconds: int = 7 * 24 * 3600
    timezone: str = "Europe/Berlin"
    public_url: str | None = None         # the portal's address as citizens reach it (links in mails, payment return)
    connector_config: Mapping[str, str] = field(default_factory=dict)
    case_cache_size: int = 512            # recently saved workflows kept in memory per process; 0: off
    worker_threads: int | None = None     # executor threads per worker; None: 1 on SQLite, 4 on PostgreSQL
    sqlite_busy_seconds: float = 30.0     # SQLite: how long a writer waits for the write lock, then "busy"
    # SQLite: FULL syncs the WAL on every commit (a committed decision survives a power cut);
    # NORMAL syncs at checkpoints only (faster; the last commits may be lost on power loss)
    sqlite_synchronous: str = "FULL"
    # Budgets of one command and limits of what a model may ask for (engine/runtime/budget.py).
    max_steps: int = Limits.steps
    max_command_seconds: float = Limits.seconds
    max_state_bytes: int = Limits.state_bytes
    max_instances: int = Limits.instances
    max_timer_years: int = Limits.timer_years
    max_data_depth: int = Limits.data_depth
    max_call_depth: int = Limits.call_depth

    def limits(self) -> Limits:
        return Limits(steps=self.max_steps, seconds=self.max_command_seconds, state_bytes=self.max_state_bytes,
                      instances=self.max_instances, timer_years=self.max_timer_years,
                      data_depth=self.max_data_depth, call_depth=self.max_call_depth)

    @property
    def job_threads(self) -> int:
        """Executor threads of a job worker. On SQLite one: every job's command takes the one
        write lock, so more threads would only queue for it."""
        if self.worker_threads is not None:
            return self.worker_threads
        return 1 if self.database_url.startswith("sqlite") else 4

    @property
    def runs_embedded_worker(self) -> bool:
        if self.embedded_worker is None:
            return self.database_url.startswith("sqlite")
        return self.embedded_worker

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> "Settings":
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if env.get("AMTSFLOW_DATABASE_URL"):
            values["database_url"] = env["AMTSFLOW_DATABASE_URL"]
        if env.get("AMTSFLOW_PUBLIC_URL"):
            values["public_url"] = env["AMTSFLOW_PUBLIC_URL"].rstrip("/")
        if env.get("AMTSFLOW_SECRET_KEY"):
            values["secret_key"] = env["AMTSFLOW_SECRET_KEY"]
        if env.get("AMTSFLOW_DEMO"):
            values["demo"] = env["AMTSFLOW_DEMO"].lower() in ("1", "true", "yes")
        if env.get("AMTSFLOW_EMBEDDED_WORKER"):
            values["embedded_worker"] = env["AMTSFLOW_EMBEDDED_WORKER"].lower() in ("1", "true", "yes")
        for name, attr in (("AMTSFLOW_JOB_LOCK_SECONDS", "job_lock_seconds"),
                           ("AMTSFLOW_DEFAULT_RETRIES", "default_retries"),
                           ("AMTSFLOW_CASE_CACHE_SIZE", "case_cache_size"),
                           ("AMTSFLOW_WORKER_THREADS", "worker_threads"),
                           ("AMTSFLOW_MAX_STEPS", "max_steps"),
                           ("AMTSFLOW_MAX_STATE_BYTES", "max_state_bytes"),
                           ("AMTSFLOW_MAX_INSTANCES", "max_instances"),
                           ("AMTSFLOW_MAX_TIMER_YEARS", "max_timer_years"),
                           ("AMTSFLOW_MAX_DATA_DEPTH", "max_data_depth"),
                           ("AMTSFLOW_MAX_CALL_DEPTH", "max_call_depth")):
            if env.get(name):
                values[attr] = _number(env, name, int)
        if env.get("AMTSFLOW_SQLITE_BUSY_SECONDS"):
            values["sqlite_busy_seconds"] = _number(env, "AMTSFLOW_SQLITE_BUSY_SECONDS", float)
        if env.get("AMTSFLOW_SQLITE_SYNCHRONOUS"):
            values["sqlite_synchronous"] = env["AMTSFLOW_SQLITE_SYNCHRONOUS"].strip().upper()
        if env.get("AMTSFLOW_MAX_COMMAND_SECONDS"):
            values["max_command_seconds"] = _number(env, "AMTSFLOW_MAX_COMMAND_SECONDS", float)
        values["connector_config"] = {
            k[len("AMTSFLOW_CONNECTOR_"):].lower(): v for k, v in env.items() if k.startswith("AMTSFLOW_CONNECTOR_")
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


# The least each numeric setting of the engine may be: a thread count of 0 or a negative lock
# time is a typo, not a choice; the case cache (0: off) and the retries may be 0.
_LEAST = {"AMTSFLOW_CASE_CACHE_SIZE": 0, "AMTSFLOW_DEFAULT_RETRIES": 0}


def _number(env: Mapping[str, str], name: str, kind: type[int] | type[float]) -> int | float:
    least = _LEAST.get(name, 1) if kind is int else None
    value = env_number(env, name, kind, None, least=least)   # only called for a variable that is set
    return int(value) if kind is int else float(value)


def env_number(env: Mapping[str, str], name: str, kind: type[int] | type[float], default: float | None, *,
               least: float | None = None) -> Any:
    """The environment variable ``name`` as an int or a float of seconds (``default`` when unset or empty);
    ConfigurationError naming it when it is not one, or below ``least`` (None: an int of at
    least 1, a float above 0). Every numeric AMTSFLOW_* setting is read through this, so an
    operator's typo stops the command or server with one line, not a stack trace."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value: int | float | None = kind(text)
    except ValueError:
        value = None
    if kind is int:
        bound = 1 if least is None else least
        if value is None or value < bound:
            raise ConfigurationError(f"{name} must be a whole number of at least {bound:g}, not {text!r}")
        return value
    if value is None or not math.isfinite(value) or (value <= 0 if least is None else value < least):
        bound_text = "above 0" if least is None else f"of at least {least:g}"
        raise ConfigurationError(f"{name} must be a number of seconds {bound_text}, not {text!r}")
    return value
