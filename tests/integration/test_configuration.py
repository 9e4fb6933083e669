"""Settings an operator gets wrong are named in one English line (ConfigurationError), not a
stack trace; a PostgreSQL URL written as PostgreSQL's own tools write it works."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import make_url

from engine.domain.errors import ConfigurationError
from engine.persistence.db import database_url, make_engine
from engine.settings import Settings
from tests.integration.helpers import MODELS
from webui.cli import main
from webui.config import web_config


@pytest.mark.parametrize("name,value,says", [
    ("AMTSFLOW_WORKER_THREADS", "vier", "must be a whole number of at least 1, not 'vier'"),
    ("AMTSFLOW_WORKER_THREADS", "0", "at least 1"),
    ("AMTSFLOW_JOB_LOCK_SECONDS", "-5", "at least 1"),
    ("AMTSFLOW_CASE_CACHE_SIZE", "-1", "at least 0"),
    ("AMTSFLOW_MAX_STEPS", "1e4", "whole number"),
    ("AMTSFLOW_MAX_COMMAND_SECONDS", "nan", "above 0"),
    ("AMTSFLOW_SQLITE_BUSY_SECONDS", "lang", "above 0"),
    ("AMTSFLOW_SQLITE_SYNCHRONOUS", "OFF", "FULL, NORMAL"),
])
def test_an_engine_setting_to_correct_is_named(name, value, says, tmp_path):
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env({name: value, "AMTSFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite'}"})
        if name == "AMTSFLOW_SQLITE_SYNCHRONOUS":   # checked where the database is opened
            make_engine(f"sqlite:///{tmp_path / 'a.sqlite'}", synchronous=value)
    assert name in str(raised.value) and says in str(raised.value)


def test_numeric_settings_that_may_be_zero_and_the_defaults():
    settings = Settings.from_env({"AMTSFLOW_CASE_CACHE_SIZE": "0", "AMTSFLOW_DEFAULT_RETRIES": " 0 ",
                                  "AMTSFLOW_MAX_COMMAND_SECONDS": "0.5", "AMTSFLOW_WORKER_THREADS": ""})
    assert (settings.case_cache_size, settings.default_retries, settings.max_command_seconds) == (0, 0, 0.5)
    assert settings.worker_threads is None   # empty: the default


@pytest.mark.parametrize("name,value", [
    ("AMTSFLOW_MAX_UPLOAD_BYTES", "10MB"),
    ("AMTSFLOW_LONG_POLLS_MAX", "-3"),
    ("AMTSFLOW_TRUSTED_PROXIES", "ja"),
    ("AMTSFLOW_PAYMENT_WAIT_SECONDS", "-1"),
])
def test_a_web_setting_to_correct_is_named(name, value):
    with pytest.raises(ConfigurationError, match=name):
        web_config(Settings(), None, {name: value})
    web_config(Settings(), None, {"AMTSFLOW_TRUSTED_PROXIES": "0", "AMTSFLOW_PAYMENT_WAIT_SECONDS": "0"})


@pytest.mark.parametrize("given,opened", [
    ("postgresql://amt:geh%40im@db.example:5432/amtsflow", "postgresql+psycopg://amt:geh%40im@db.example:5432/amtsflow"),
    ("postgres://amt@db.example/amtsflow", "postgresql+psycopg://amt@db.example/amtsflow"),
    ("postgresql+psycopg://amt@/amtsflow?host=/var/run/postgresql",
     "postgresql+psycopg://amt@/amtsflow?host=/var/run/postgresql"),
    ("sqlite:///instance/amtsflow.sqlite", "sqlite:///instance/amtsflow.sqlite"),
])
def test_database_urls_as_operators_write_them(given, opened):
    assert database_url(given) == opened


@pytest.mark.parametrize("given,says", [
    ("postgresql+psycopg2://amt@db/amtsflow", "driver 'psycopg2'"),
    ("mysql://root:geheim@db/amtsflow", "mysql database"),
    ("postgresql://amt:geheim@db:fuenf/amtsflow", "not a database URL"),
])
def test_database_urls_amtsflow_cannot_open_are_refused_without_the_password(given, says):
    with pytest.raises(ConfigurationError, match=says) as raised:
        database_url(given)
    assert "AMTSFLOW_DATABASE_URL" in str(raised.value) and "geheim" not in str(raised.value)


@pytest.mark.postgres
def test_a_postgresql_url_without_a_driver_runs_on_psycopg(pg_url):
    plain = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    db = make_engine(plain)
    try:
        assert db.dialect.driver == "psycopg"
        with db.connect() as conn:
            assert conn.execute(text("SELECT current_database()")).scalar_one() == make_url(pg_url).database
    finally:
        db.dispose()


def _cli(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AMTSFLOW_")}
    return subprocess.run([sys.executable, "-c", "from webui.cli import main; main()", *args], capture_output=True, text=True,
                          env={**clean, **env}, cwd=str(MODELS.parents[1]), timeout=timeout)


def test_the_cli_reports_a_setting_to_correct_in_one_line(sqlite_url):
    out = CliRunner().invoke(main, ["tasks", "--json"], env={"AMTSFLOW_DATABASE_URL": sqlite_url,
                                                             "AMTSFLOW_WORKER_THREADS": "vier"})
    assert out.exit_code == 2, out.output
    assert out.output.strip() == ("error: configuration: AMTSFLOW_WORKER_THREADS must be a whole number "
                                  "of at least 1, not 'vier'")
    out = CliRunner().invoke(main, ["db", "upgrade"], env={"AMTSFLOW_DATABASE_URL": "postgresql+psycopg2://db/x"})
    assert out.exit_code == 2 and out.output.startswith("error: configuration: AMTSFLOW_DATABASE_URL names")
    assert CliRunner().invoke(main, ["tasks", "--json"], env={"AMTSFLOW_DATABASE_URL": sqlite_url}).exit_code == 0


def test_serve_stops_on_a_web_setting_to_correct_before_it_serves(sqlite_url):
    """Checked before the server starts (gunicorn's workers would each fail to boot, with a stack
    trace per worker)."""
    done = _cli({"AMTSFLOW_DATABASE_URL": sqlite_url, "AMTSFLOW_SECRET_KEY": "k" * 40,
                 "AMTSFLOW_LONG_POLLS_MAX": "-3"}, "serve", "--port", "0", timeout=30)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == "error: configuration: AMTSFLOW_LONG_POLLS_MAX must be a whole number of at least 1, not '-3'"
    assert done.stdout == ""   # it never said it serves


@pytest.mark.parametrize("variable,value", [("AMTSFLOW_LOG_LEVEL", "verbose"), ("AMTSFLOW_LOG_FORMAT", "xml")])
def test_a_log_setting_to_correct_stops_the_worker_in_one_line(variable, value, sqlite_url):
    from engine import logcontext

    with pytest.raises(ConfigurationError, match=variable):
        logcontext.configure(**({"level": value} if variable.endswith("LEVEL") else {"log_format": value}))
    done = _cli({"AMTSFLOW_DATABASE_URL": sqlite_url, variable: value}, "worker", "--once", timeout=30)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().startswith(f"error: configuration: {variable} must be")


@pytest.mark.parametrize("secret,says", [
    (None, "AMTSFLOW_SECRET_KEY is not set"),
    ("geheim", "AMTSFLOW_SECRET_KEY has 6 characters: a key that short can be guessed"),
])
def test_serve_refuses_a_missing_or_guessable_secret_key(secret, says, sqlite_url):
    env = {"AMTSFLOW_DATABASE_URL": sqlite_url, **({"AMTSFLOW_SECRET_KEY": secret} if secret else {})}
    done = _cli(env, "serve", "--port", "0", timeout=30)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().startswith(f"error: configuration: {says}")
    assert done.stdout == ""


@pytest.mark.parametrize("command", [["worker", "--once"], ["serve", "--port", "0"]])
def test_a_connector_setting_to_correct_stops_worker_and_serve_at_start(command, sqlite_url):
    done = _cli({"AMTSFLOW_DATABASE_URL": sqlite_url, "AMTSFLOW_SECRET_KEY": "k" * 40,
                 "AMTSFLOW_CONNECTOR_PAYMENT_TIMEOUT": "zehn"}, *command, timeout=30)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == ("error: configuration: connector payment (connectors.payment:create) failed to "
                                   "start: configuration payment_timeout='zehn' is not a number")


def test_a_server_that_accepts_but_never_answers_is_given_up_on(monkeypatch):
    """A database host that does not answer (a network fault, a server hung in start-up): a new
    connection gives up after CONNECT_TIMEOUT instead of holding a request thread or a job for
    as long as TCP waits. Here a socket that accepts connections and never says a word."""
    import socket
    import threading
    import time

    from sqlalchemy.exc import OperationalError

    from engine.persistence import db as database

    monkeypatch.setattr(database, "CONNECT_TIMEOUT", 1)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    engine = make_engine(f"postgresql://amtsflow@127.0.0.1:{silent.getsockname()[1]}/amtsflow")
    outcome: list[BaseException] = []

    def connect() -> None:
        try:
            engine.connect().close()
        except BaseException as exc:  # noqa: BLE001 - what the test looks at
            outcome.append(exc)

    started = time.monotonic()
    attempt = threading.Thread(target=connect, daemon=True)
    attempt.start()
    attempt.join(15)
    try:
        assert not attempt.is_alive(), "the connection attempt still waits"
        assert isinstance(outcome[0], OperationalError) and time.monotonic() - started < 10
    finally:
        silent.close()
        engine.dispose()
