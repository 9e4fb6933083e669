"""Run Alembic migrations programmatically (``amtsflow db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # configparser interpolates "%": a URL's escapes (a Unix socket's "host=%2Fvar%2Frun...", a
    # password's "%40") must reach env.py as they are
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine)
    with engine.connect() as conn:
        conn.info["write"] = True
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        conn.commit()
