"""Alembic environment: the URL comes from the caller (amtsflow db upgrade)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from engine.persistence.schema import metadata

config = context.config


def run_migrations() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no database: pass a connection or set sqlalchemy.url")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)


def _run(conn: Connection) -> None:
    # amtsflow db upgrade reports each migration as it is applied (engine.persistence.migrate)
    context.configure(connection=conn, target_metadata=metadata, render_as_batch=True, compare_type=True,
                      on_version_apply=config.attributes.get("on_version_apply", ()))
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
