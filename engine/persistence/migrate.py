"""Run Alembic migrations programmatically (``amtsflow db upgrade``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # configparser interpolates "%": a URL's escapes (a Unix socket's "host=%2Fvar%2Frun...", a
    # password's "%40") must reach env.py as they are
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


class SchemaMismatch(RuntimeError):
    """The database's schema is not the one this release runs on; the message says what to do."""


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def schema_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at (None: no amtsflow schema yet)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_schema(engine: Engine) -> None:
    """SchemaMismatch unless the schema is this release's newest: a process that serves or runs
    jobs on an older schema fails request by request, on a newer one it may write what the
    newer release does not expect (after going back to an older release without its backup)."""
    current, scripts = schema_revision(engine), _scripts()
    head = scripts.get_current_head()
    if current == head:
        return
    if current is None:
        raise SchemaMismatch("the database has no amtsflow schema yet: run `amtsflow db upgrade`")
    _refuse_unknown(current, scripts)
    raise SchemaMismatch(f"the database schema is at revision {current}, this release needs {head}: "
                         "run `amtsflow db upgrade`")


def _refuse_unknown(current: str, scripts: ScriptDirectory) -> None:
    if current not in {script.revision for script in scripts.walk_revisions()}:
        raise SchemaMismatch(f"the database schema is at revision {current}, which this release does not know "
                             f"(its newest is {scripts.get_current_head()}): a newer amtsflow wrote it; run that "
                             "release, or restore the backup taken before the upgrade")


def pending(engine: Engine) -> tuple[str | None, list[str]]:
    """The schema's revision and the migrations ``upgrade`` would apply, oldest first."""
    current, scripts = schema_revision(engine), _scripts()
    if current is not None:
        _refuse_unknown(current, scripts)
    todo = [script.revision for script in scripts.iterate_revisions("heads", current or "base")]
    return current, list(reversed(todo))


def upgrade(engine: Engine, revision: str = "head", *, applied: Callable[[str, str, float], None] | None = None) -> None:
    """Migrate to ``revision``; ``applied(revision, first line of its description, seconds)``
    after each migration (a long one on a large installation shows where it is)."""
    current = schema_revision(engine)
    if current is not None:
        _refuse_unknown(current, _scripts())   # not alembic's stack trace about a revision it cannot locate
    config = alembic_config(engine)
    if applied is not None:
        last = [time.monotonic()]

        def report(*, step: Any, **_: Any) -> None:
            now = time.monotonic()
            doc = (step.up_revision.doc or "").strip().splitlines()
            applied(step.up_revision_id, doc[0] if doc else "", now - last[0])
            last[0] = now

        config.attributes["on_version_apply"] = (report,)
    with engine.connect() as conn:
        conn.info["write"] = True
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        conn.commit()
